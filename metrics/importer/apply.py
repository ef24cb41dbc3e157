"""Writing a plan, with history for every row, inside the caller's transaction.

KPIs, targets, benchmarks and actions go through simple_history's bulk
helpers; actuals, which may number a hundred thousand, through
``_write_actuals``.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from metrics import calculated
from metrics.importer import apply_copy
from metrics.importer.apply_findings import link_action_kpis, moves_kpis, write_findings
from metrics.importer.columns import FINDINGS
from metrics.importer.errors import StaleImport
from metrics.importer.limits import BATCH, ROWS_PER_INSERT
from metrics.importer.plan import ACTUAL_FIELDS, Change, ImportPlan
from metrics.models import Actual, Benchmark, Kpi, Target
from priorities.models import Action, ActionState, ActionStatus
from priorities.services import STATE_FIELDS, dated_state, undated_state


def change_reason(run_id: int | None, reason: str) -> str:
    # simple_history keeps 100 characters of a change reason.
    prefix = f"Workbook import {run_id}" if run_id else "Workbook import"
    return (f"{prefix}: {reason.strip()}" if reason.strip() else prefix)[:100]


def apply_plan(plan: ImportPlan, *, user=None, run_id: int | None = None) -> None:
    """Write every change in the plan, with history. Call it inside transaction.atomic()."""
    if plan.rejections:
        raise ValueError("A plan with rejected rows cannot be applied.")
    if not connection.in_atomic_block:
        raise RuntimeError("apply_plan must run inside transaction.atomic().")
    reason = change_reason(run_id, plan.reason)
    by_model: dict[type, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_model[change.model].append(change)
    codes = {}
    for model in (Kpi, Target, Benchmark, Action):
        _write_with_history(model, by_model.get(model, []), codes, user=user, reason=reason)
        if model is Kpi:
            codes = dict(Kpi.objects.values_list("code", "pk"))
    _date_action_statuses(by_model.get(Action, []), user=user, reason=reason)
    link_action_kpis(by_model.get(Action, []), codes, user=user, reason=reason)
    write_findings(
        [change for change in plan.changes if change.sheet == FINDINGS],
        codes,
        user=user,
        reason=reason,
    )
    if by_model.get(Actual):
        _write_actuals(by_model[Actual], codes, user=user, reason=reason)
        # Once for the whole workbook: the calculations its figures feed.
        calculated.recalculate(
            kpi_ids={codes[change.refs["kpi"]] for change in by_model[Actual]},
            periods={change.refs["period"] for change in by_model[Actual]},
            user=user,
        )


def _write_with_history(model, changes: list[Change], codes: dict, *, user, reason) -> None:
    """Create and update the rows of a small sheet with simple_history's bulk helpers."""
    now = timezone.now()
    new = []
    for change in changes:
        if not change.is_new:
            continue
        values = dict(change.values)
        values.pop("kpis", None)  # links, written by link_action_kpis
        if "kpi" in change.refs:
            values["kpi_id"] = codes[change.refs["kpi"]]
        if "area" in change.refs:
            values["area"] = change.refs["area"]
        new.append(moves_kpis(model(**values), change, reason))
    if new:
        bulk_create_with_history(
            new,
            model,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
            default_date=now,
        )
    updated = [
        moves_kpis(change.instance, change, reason) for change in changes if not change.is_new
    ]
    fields = sorted(
        {key for change in changes if not change.is_new for key in change.old if key != "kpis"}
    )
    if updated:
        if any(f.name == "version" for f in model._meta.concrete_fields):
            # bulk_update skips save(), which is what moves the version on.
            for instance in updated:
                instance.version += 1
            fields.append("version")
        bulk_update_with_history(
            updated,
            model,
            fields,
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
            default_date=now,
        )


def _date_action_statuses(changes: list[Change], *, user, reason: str) -> None:
    """A dated status for each action whose status or dates the import set, as at its day."""
    dated = [change for change in changes if "status_as_at" in change.values]
    if not dated:
        return
    which = Q(pk__in=[change.pk for change in dated if not change.is_new])
    for change in dated:
        if change.is_new:
            which |= Q(area=change.refs["area"], ref=change.values["ref"])
    # An action never dated held its earlier state on every day: that is kept too.
    undated = {
        change.pk: change.old for change in dated if change.old.get("status_as_at", 1) is None
    }
    rows = []
    for action in Action.objects.filter(which):
        if action.pk in undated:
            old = undated[action.pk]
            before = ActionState(
                *(old.get(name, getattr(action, name)) for name in STATE_FIELDS), since=None
            )
            rows.append(undated_state(action, before))
        rows.append(dated_state(action, source=reason, user=user))
    ActionStatus.objects.bulk_create(rows, batch_size=BATCH)


def _write_actuals(changes: list[Change], codes: dict, *, user, reason: str) -> None:
    """Create and update actuals with history, a few statements per hundred thousand rows.

    The ORM's bulk_create and simple_history's bulk helpers build a model
    object per row and per history row, which makes a hundred thousand
    figures take over ten seconds. Here new rows go in a few large
    statements and updates in batches; history rows are then copied from the
    rows just written by INSERT ... SELECT over every field the history model
    tracks, so no figure escapes the change history. Versions move on as
    Actual.save() would move them, and an update whose version changed since
    planning is refused as stale.
    """
    ops = connection.ops
    now = timezone.now()
    user_id = getattr(user, "pk", None)
    history = {"now": now, "user_id": user_id, "reason": reason}
    created = [c for c in changes if c.is_new]
    updated = [c for c in changes if not c.is_new]
    data_fields = [Actual._meta.get_field(name) for name in ACTUAL_FIELDS]
    adapters = [(f.name, _adapter(f)) for f in data_fields]
    with connection.cursor() as cursor:
        if apply_copy.available():
            apply_copy.copy_actuals(
                cursor,
                created,
                updated,
                codes,
                constant=_constant_values(user_id=user_id, now=now),
                history=lambda kind: _history_insert(kind, **history),
            )
            return
        if created:
            _insert_actuals(cursor, created, codes, user_id=user_id, now=now, history=history)
        update = (
            f"UPDATE {ops.quote_name(Actual._meta.db_table)} SET "
            + ", ".join(f"{ops.quote_name(f.column)} = %s" for f in data_fields)
            + f", {ops.quote_name('updated_by_id')} = %s, {ops.quote_name('updated_at')} = %s"
            # Loading a figure signs it off (metrics.signoff): by whom and when.
            + f", {ops.quote_name('state')} = '{Actual.State.SIGNED_OFF}'"
            + f", {ops.quote_name('reviewed_by_id')} = %s, {ops.quote_name('reviewed_at')} = %s"
            + f", {ops.quote_name('returned_reason')} = ''"
            + f", {ops.quote_name('version')} = {ops.quote_name('version')} + 1"
            + f" WHERE {ops.quote_name('id')} = %s AND {ops.quote_name('version')} = %s"
        )
        stamp = ops.adapt_datetimefield_value(now)
        for batch in _batches(updated):
            rows = [
                [adapt(change.values[name]) for name, adapt in adapters]
                + [user_id, stamp, user_id, stamp, change.pk, change.version]
                for change in batch
            ]
            cursor.executemany(update, rows)
            if cursor.rowcount not in (-1, len(rows)):
                raise StaleImport()
            _copy_history(cursor, [change.pk for change in batch], "~", **history)


def _insert_actuals(cursor, created: list[Change], codes: dict, *, user_id, now, history) -> None:
    """Insert new actuals, binding per row only the fields that differ between rows.

    Rows are grouped by the fields the sheet gave. Everything else in a row
    (empty commentary, who and when, version 1) is the same for the whole
    group, so it is bound once per statement and each row binds only its
    KPI, month and given fields: INSERT ... SELECT column1, ..., %s FROM
    (VALUES (...), ...). A plain sheet of figures binds three parameters a
    row instead of twelve, which is most of the time the database spends.
    """
    ops = connection.ops
    table = ops.quote_name(Actual._meta.db_table)
    # SQLite has one writer at a time, so the rows this transaction adds are
    # exactly those above the highest id it starts from. PostgreSQL returns
    # each statement's new ids instead. (Both name the columns of a VALUES
    # list column1, column2 ...; the project supports no other database.)
    by_range = connection.vendor == "sqlite"
    if by_range:
        cursor.execute(f"SELECT MAX({ops.quote_name('id')}) FROM {table}")
        before = cursor.fetchone()[0] or 0
    groups: dict[tuple, list[Change]] = defaultdict(list)
    for change in created:
        groups[tuple(change.values)].append(change)
    months: dict[datetime.date, object] = {}
    for given, group in groups.items():
        head, tail, one_row, params, adapters, per_statement = _insert_statement(
            given, user_id=user_id, now=now, returning=not by_range
        )
        for batch in _batches(group, per_statement):
            values = params.copy()
            for change in batch:
                period = change.refs["period"]
                month = months.get(period)
                if month is None:
                    month = months[period] = ops.adapt_datefield_value(period)
                values += (codes[change.refs["kpi"]], month)
                values += [adapt(change.values[name]) for name, adapt in adapters]
            cursor.execute(f"{head}{', '.join([one_row] * len(batch))}{tail}", values)
            if not by_range:
                ids = [record[0] for record in cursor.fetchall()]
                if len(ids) != len(batch):
                    raise StaleImport()
                _copy_history(cursor, ids, "+", **history)
    if by_range:
        pk = ops.quote_name("id")
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {pk} > %s", [before])
        if cursor.fetchone()[0] != len(created):
            raise StaleImport()
        head, params = _history_insert("+", **history)
        cursor.execute(f"{head}{pk} > %s", [*params, before])


def _insert_statement(given: tuple, *, user_id, now, returning: bool):
    """The INSERT for a group of new actuals giving these fields, in two parts around the rows.

    Returns the statement's head and tail, one row's placeholders, the parameters bound once
    per statement, each given field's adapter, and the rows per statement.
    """
    ops = connection.ops
    fields = [f for f in Actual._meta.concrete_fields if not f.primary_key]
    constant = _constant_values(user_id=user_id, now=now)
    table = ops.quote_name(Actual._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    varying = ["kpi_id", "period", *given]
    adapters = [(name, _adapter(Actual._meta.get_field(name))) for name in given]
    selected, params = [], []
    for f in fields:
        if f.attname in varying:
            selected.append(f"column{varying.index(f.attname) + 1}")
        else:
            selected.append("%s")
            params.append(constant[f.attname])
    head = f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} FROM (VALUES "
    tail = ") AS given"
    if returning:
        tail += " " + ops.return_insert_columns([Actual._meta.pk])[0]
    one_row = f"({', '.join(['%s'] * len(varying))})"
    # Every full batch is the same statement, which the driver then prepares
    # once: one giant statement would cost more to compile than its rows
    # take to write.
    per_statement = max(1, min(ROWS_PER_INSERT, (_parameter_limit() - len(params)) // len(varying)))
    return head, tail, one_row, params, adapters, per_statement


def _constant_values(*, user_id, now) -> dict:
    """Every column of a new actual by attname, as the database takes it, but its id."""
    fields = [f for f in Actual._meta.concrete_fields if not f.primary_key]
    constant = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    stamp = connection.ops.adapt_datetimefield_value(now)
    # An analyst's import is the figures' sign-off (metrics.signoff), recorded as such.
    constant.update(
        updated_by_id=user_id,
        updated_at=stamp,
        version=1,
        state=Actual.State.SIGNED_OFF,
        first_submitted_at=stamp,
        submitted_at=stamp,
        reviewed_by_id=user_id,
        reviewed_at=stamp,
    )
    return constant


def _adapter(field: models.Field):
    """A function giving a value as the database driver takes it, as the ORM would."""
    if isinstance(field, models.DecimalField):
        adapt, digits, places = (
            connection.ops.adapt_decimalfield_value,
            field.max_digits,
            field.decimal_places,
        )
        return lambda value: None if value is None else adapt(value, digits, places)
    return lambda value: value


def _batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parameter_limit() -> int:
    """How many parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        # Django assumes SQLite's old default of 999; ask the library itself.
        getlimit = getattr(connection.connection, "getlimit", None)
        if getlimit is not None:
            import sqlite3

            return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def _history_insert(history_type: str, *, now, user_id, reason) -> tuple[str, list]:
    """INSERT ... SELECT copying actuals into their history, up to the WHERE."""
    history = Actual.history.model
    ops = connection.ops
    tracked = {f.attname for f in history.tracked_fields}
    extra = _history_values(history_type, now=now, user_id=user_id, reason=reason)
    columns, selects, params = [], [], []
    for f in history._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(ops.quote_name(f.column))
        if f.attname in tracked:
            selects.append(ops.quote_name(f.column))
        else:
            selects.append("%s")
            params.append(extra[f.attname])
    table = ops.quote_name(Actual._meta.db_table)
    sql = (
        f"INSERT INTO {ops.quote_name(history._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(selects)} FROM {table} WHERE "
    )
    return sql, params


def _history_values(history_type: str, *, now, user_id, reason) -> dict:
    """The columns of a history row that are not copied from the actual, by attname."""
    history = Actual.history.model
    tracked = {f.attname for f in history.tracked_fields}
    values = {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in history._meta.concrete_fields
        if not f.primary_key and f.attname not in tracked
    }
    values.update(
        history_date=connection.ops.adapt_datetimefield_value(now),
        history_user_id=user_id,
        history_change_reason=reason,
        history_type=history_type,
    )
    return values


def _copy_history(cursor, ids: list[int], history_type: str, *, now, user_id, reason):
    """Add a history row for each of these actuals, copied from the row as it now stands.

    When the ids run without a gap (as a fresh INSERT's usually do) one
    range selects exactly them; otherwise they are listed.
    """
    if not ids:
        return
    head, params = _history_insert(history_type, now=now, user_id=user_id, reason=reason)
    ids = sorted(ids)
    pk = connection.ops.quote_name("id")
    if ids[-1] - ids[0] + 1 == len(ids):
        cursor.execute(f"{head}{pk} BETWEEN %s AND %s", [*params, ids[0], ids[-1]])
        return
    for batch in _batches(ids, max(1, _parameter_limit() - len(params))):
        cursor.execute(f"{head}{pk} IN ({', '.join(['%s'] * len(batch))})", [*params, *batch])
