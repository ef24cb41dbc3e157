"""Planning the Actions sheet, in the shape of the SEND Written Statement of Action.

An action is found by plan, area number and Ref, or with no Ref by its
text within the area. The original delivery date is never changed.
"""

import re
from collections import defaultdict

from metrics.importer.cells import (
    STATUS_WORDS,
    read_choice,
    read_code,
    read_date,
    read_list,
    read_text,
)
from metrics.importer.columns import ACTIONS, fold, listed
from metrics.importer.errors import CellProblem
from metrics.importer.layout import Sheet
from metrics.importer.plan import Change, SheetSummary
from metrics.importer.planning import Row, SheetPlanner, state_of
from metrics.models import Kpi
from priorities.models import Action, Plan, PriorityArea
from priorities.services import STATE_FIELDS


class _Known:
    """The plans, areas and actions stored, indexed the ways a row can name them."""

    def __init__(self, planner: SheetPlanner):
        self.plans = list(Plan.objects.all())
        self.plan_by = {fold(p.slug): p for p in self.plans}
        self.plan_by |= {fold(p.title): p for p in self.plans}
        areas = list(PriorityArea.objects.select_related("responsible_officer"))
        for plan in self.plans:
            planner.remember("plan", plan.pk, plan.slug, plan.title)
        for area in areas:
            planner.remember("area", state_of(area))
        self.area_by_number = {(a.plan_id, a.number): a for a in areas}
        self.area_by_title = {(a.plan_id, fold(a.title)): a for a in areas}
        actions = list(planner.locking(Action.objects.select_related("owner")))
        self.by_ref = {(a.area_id, a.ref.casefold()): a for a in actions}
        self.by_text: dict[tuple[int, str], list[Action]] = defaultdict(list)
        self.next_ref: dict[int, int] = defaultdict(int)
        for action in actions:
            self.by_text[(action.area_id, fold(action.description))].append(action)
            if action.ref.isdigit():
                self.next_ref[action.area_id] = max(self.next_ref[action.area_id], int(action.ref))
        # The KPIs each action is meant to move, by code.
        self.kpi_codes: dict[int, set[str]] = defaultdict(set)
        moved = Kpi.actions.through.objects.values_list("action_id", "kpi__code")
        for action_id, code in moved.order_by("action_id", "kpi__code"):
            self.kpi_codes[action_id].add(code)
            planner.remember("action kpi", action_id, code)


# "STATUS AT 11/11/21": the day the sheet's statuses are known from.
_STATUS_AT = re.compile(r"^\s*status\s+at\s+(.+?)\s*$", re.IGNORECASE)


class ActionsPlanner(SheetPlanner):
    def plan_actions(self, sheet: Sheet, summary: SheetSummary) -> None:
        known = _Known(self)
        seen: dict[tuple, int] = {}
        self.status_as_at, self.status_as_at_note = self._status_as_at(sheet)
        for row, given in self.rows(sheet):
            plan, area = self._plan_and_area(row, given, known)
            if row.rejected:
                summary.rejected += 1
                continue
            ref, text, current = self._match(row, given, area, known)
            if row.rejected:
                summary.rejected += 1
                continue
            if current is not None:
                ref = current.ref
            elif not ref:
                known.next_ref[area.pk] += 1
                ref = str(known.next_ref[area.pk])
            key = (area.pk, ref.casefold())
            if key in seen:
                row.reject(
                    "ref" if "ref" in sheet.columns else "description",
                    f"Action {ref} of area {area.number} is already on row {seen[key]}.",
                )
                summary.rejected += 1
                continue
            seen[key] = row.number
            values = self._action_values(row, given, area, current)
            if text is not None:
                values["description"] = text
            self.remember("action", key, state_of(current))
            label = f"{plan.slug} area {area.number} action {ref}"
            kpis = self._kpis(row, given, current, known)
            self._plan_action(row, summary, area, ref, current, values, label, kpis)
            if current is None and not row.rejected:
                self.new_actions[(fold(plan.slug), area.number, ref.casefold())] = (area, ref)

    def _kpis(self, row: Row, given: dict, current: Action | None, known: _Known):
        """The KPIs the row says the action moves, if they differ: (new, old, codes)."""
        if "kpis" not in given:
            return None
        names = row.read("kpis", given["kpis"], read_list)
        kpis = [self.kpi(row, "kpis", name) for name in names or []]
        if names is None or None in kpis:
            return None
        codes = sorted({kpi.code for kpi in kpis})
        old = sorted(known.kpi_codes.get(current.pk, ())) if current else []
        return None if codes == old else (listed(codes), listed(old), codes)

    def _plan_action(self, row, summary, area, ref, current, values, label, kpis) -> None:
        if row.rejected:
            summary.rejected += 1
            return
        links = {"kpis": kpis[0]} if kpis else {}
        refs = {"kpis": kpis[2]} if kpis else {}
        if current is None:
            if not values.get("description"):
                row.reject("description", f"Action {ref} is new: enter what will be done.")
                summary.rejected += 1
                return
            values["status_as_at"] = self._dated(row, None)
            candidate = Action(area=area, ref=ref, **values)
            change = Change(
                ACTIONS, row.number, label, Action, None, {"ref": ref, **values, **links}, {},
                {"area": area, **refs},
            )  # fmt: skip
        else:
            candidate, old = self.compare(current, values)
            if kpis:
                old["kpis"] = kpis[1]
                values |= links
            if not old:
                self.record(summary, None)
                return
            if any(name in old for name in STATE_FIELDS):
                # A new status or date is recorded as at the sheet's day.
                values["status_as_at"] = candidate.status_as_at = self._dated(row, current)
                old["status_as_at"] = current.status_as_at
            change = Change(
                ACTIONS, row.number, label, Action, current.pk, {k: values[k] for k in old}, old,
                refs, candidate,
            )  # fmt: skip
        self.validate(row, candidate, ["area", "owner"])
        if row.rejected:
            summary.rejected += 1
            return
        self.record(summary, change)

    def _status_as_at(self, sheet: Sheet) -> tuple:
        """The day a "Status at <date>" heading gives (else today), and a note if unread."""
        heading = sheet.headings.get(sheet.columns.get("status"), "")
        match = _STATUS_AT.match(heading)
        if not match:
            return self.today, ""
        try:
            day, _ = read_date(match[1])
        except CellProblem:
            return self.today, (
                f"The heading {heading!r} gives no date this import can read, so the status is "
                f"recorded as at the day of the import, {self.today:%-d %b %Y}."
            )
        return day, ""

    def _dated(self, row: Row, current: Action | None):
        """The day a row's status takes effect, refusing one that would rewrite the record."""
        day = self.status_as_at
        if self.status_as_at_note:
            row.warn("status", self.status_as_at_note)
        problem = (current or Action()).status_date_problem(day, self.today)
        if problem:
            row.reject("status", problem)
        return day

    def _plan_and_area(self, row: Row, given: dict, known: _Known):
        plan = area = None
        if "plan" in given:
            name = row.read("plan", given.pop("plan"), read_text)
            plan = known.plan_by.get(fold(name or ""))
            if name and plan is None:
                slugs = ", ".join(p.slug for p in known.plans)
                row.reject("plan", f"There is no plan {name!r}: use one of {slugs}.")
        elif not row.rejected:
            row.reject("plan", "Enter the plan for this action.")
        if "area" in given and plan is not None:
            area = self._area(
                row, given.pop("area"), plan, known.area_by_number, known.area_by_title
            )
        elif plan is not None:
            row.reject("area", "Enter the priority area's number for this action.")
        return plan, area

    def _match(self, row: Row, given: dict, area, known: _Known):
        """The row's Ref and text, and the stored action they name (None for a new one)."""
        ref = row.read("ref", given.pop("ref"), read_code) if "ref" in given else None
        text = (
            row.read("description", given["description"], read_text)
            if "description" in given
            else None
        )
        current = None
        if ref:
            current = known.by_ref.get((area.pk, ref.casefold()))
        elif text:
            matches = known.by_text.get((area.pk, fold(text)), [])
            if len(matches) > 1:
                row.reject(
                    "description", "Several actions in this area have this text: give the Ref."
                )
            current = matches[0] if matches else None
        else:
            row.reject("description", "Enter the action, or its Ref.")
        return ref, text, current

    def _area(self, row, raw, plan, by_number, by_title) -> PriorityArea | None:
        text = row.read("area", raw, read_text)
        if text is None:
            return None
        match = re.match(r"^(\d+)\s*(?:[.):\-]|$)", text)
        area = (
            by_number.get((plan.pk, int(match[1])))
            if match
            else by_title.get((plan.pk, fold(text)))
        )
        if area is None:
            row.reject(
                "area",
                f"Plan {plan.slug} has no priority area {text!r}: give the area's number (1, 2, "
                "...) as listed under Priority areas in the admin.",
            )
        return area

    def _action_values(self, row: Row, given: dict, area, current: Action | None) -> dict:
        values = {}
        for key in ("expected_outputs", "evidence_of_impact"):
            if key in given:
                values[key] = row.read(key, given[key], read_text)
        if "owner" in given:
            values["owner"] = self.officer(row, "owner", given["owner"])
        if "sro" in given:
            name = row.read("sro", given["sro"], read_text)
            officer = self.officers.get(fold(name or ""))
            responsible = area.responsible_officer
            if name and (officer is None or officer != responsible):
                row.warn(
                    "sro",
                    f"The senior responsible officer is recorded on the priority area "
                    f"({responsible or 'none'}), so {name!r} is not imported: change the area "
                    "in the admin if it has changed.",
                )
        if "status" in given:
            values["status"] = row.read(
                "status", given["status"], read_choice, Action.Status, STATUS_WORDS
            )
            if (
                current is not None
                and current.completed_date
                and values["status"] not in (None, Action.Status.COMPLETED)
            ):
                row.reject(
                    "status",
                    f"This action was completed on {current.completed_date:%d %b %Y}: to reopen "
                    "it, clear its completed date in the admin first.",
                )
        for key in ("original_delivery_date", "current_delivery_date"):
            if key not in given:
                continue
            parsed = row.read(key, given[key], read_date)
            if parsed is None:
                continue
            day, month_only = parsed
            stored = getattr(current, key) if current else None
            if stored and month_only and (stored.year, stored.month) == (day.year, day.month):
                day = stored  # "Oct-19" agrees with any day in October 2019.
            values[key] = day
        if values.get("status") == Action.Status.COMPLETED and not (
            current and current.completed_date
        ):
            # The sheet has no completion date: the day its statuses are as at (the
            # import's day unless a "Status at" heading says) is when it is known done.
            values["completed_date"] = self.status_as_at
        return values
