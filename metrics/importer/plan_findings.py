"""Planning the Findings sheet: the register's findings, their status and what answers them.

A finding is found by its source's slug and its Ref; the source must
already be in the register (one row, added in the admin), so a typing slip
in a slug cannot start a new inspection. A new status is checked by the
finding's own rule (``Finding.status_problem``, which
``record_finding_status`` applies again when writing).

The Actions and KPIs cells list every link in force: a link not yet in
force begins, and one no longer listed ends, both on the row's "Links
from" day (the import's day when empty). A link is ended, never deleted, so
earlier months keep showing what answered the finding then.
"""

import datetime
import re
from collections import defaultdict

from django.db.models import Q

from metrics.importer.cells import (
    FINDING_STATUS_WORDS,
    GRADE_WORDS,
    KIND_WORDS,
    read_choice,
    read_date,
    read_list,
    read_text,
)
from metrics.importer.columns import FINDINGS, action_key, fold
from metrics.importer.layout import Sheet
from metrics.importer.plan import Change, SheetSummary
from metrics.importer.planning import Row, SheetPlanner, state_of
from metrics.models import FindingKpi
from priorities.models import Action, Finding, FindingAction, FindingSource, PriorityArea

# What a row's status cells set: written through record_finding_status, not as fields.
STATUS_KEYS = ("status", "evidence", "status_as_at", "status_source")
_TEXT_FIELDS = ("title", "text", "required_outcomes", "cited")
_NEW_NEEDS = (("title", "its title"), ("kind", "its kind"), ("cited", "where in the source it is"))
# "improvement-plan-2021/3" names an area; "send-written-statement-of-action/1/4" an action.
_AREA = re.compile(r"^\s*([^/]+?)\s*/\s*(\d+)\s*$")
_ACTION = re.compile(r"^\s*([^/]+?)\s*/\s*(\d+)\s*/\s*(.+?)\s*$")


def open_links(day: datetime.date) -> Q:
    """Links not ended by ``day``: those a Findings row lists, and the template writes."""
    return Q(ended__isnull=True) | Q(ended__gt=day)


class _Known:
    """The sources, findings, areas, actions and open links stored, as rows name them."""

    def __init__(self, planner: "FindingsPlanner"):
        self.sources = {fold(s.slug): s for s in FindingSource.objects.order_by("slug")}
        self.source_dates = {s.pk: s.date for s in self.sources.values()}
        for source in self.sources.values():
            planner.remember("source", state_of(source))
        findings = planner.locking(Finding.objects.order_by("pk"))
        self.findings = {(f.source_id, f.ref.casefold()): f for f in findings}
        for finding in self.findings.values():
            planner.remember("finding", state_of(finding))
        areas = PriorityArea.objects.select_related("plan")
        self.areas = {(fold(a.plan.slug), a.number): a for a in areas}
        actions = Action.objects.select_related("area__plan")
        self.actions = {_action_name(a.area, a.ref): a for a in actions}
        self.action_links = self._links(planner, FindingAction, "action__area__plan", action_key)
        self.kpi_links = self._links(planner, FindingKpi, "kpi", lambda kpi: kpi.code)

    @staticmethod
    def _links(planner, model, related: str, name) -> dict[int, dict[str, object]]:
        """Each finding's open links, by the name a row gives what they link to."""
        target = related.split("__")[0]
        links = planner.locking(model.objects.filter(open_links(planner.today)))
        by_finding: dict[int, dict[str, object]] = defaultdict(dict)
        for link in links.select_related(related).order_by("pk"):
            by_finding[link.finding_id][name(getattr(link, target))] = link
            planner.remember(model.__name__, state_of(link))
        return by_finding


def _action_name(area: PriorityArea, ref: str) -> tuple:
    return (fold(area.plan.slug), area.number, ref.casefold())


class FindingsPlanner(SheetPlanner):
    def plan_findings(self, sheet: Sheet, summary: SheetSummary) -> None:
        known = _Known(self)
        seen: dict[tuple, int] = {}
        for row, given in self.rows(sheet):
            source, ref = self._source_and_ref(row, given, known)
            if row.rejected:
                summary.rejected += 1
                continue
            key = (source.pk, ref.casefold())
            if key in seen:
                row.reject("ref", f"Finding {ref} of {source.slug} is already on row {seen[key]}.")
                summary.rejected += 1
                continue
            seen[key] = row.number
            current = known.findings.get(key)
            label = f"{source.slug} {current.ref if current else ref}"
            change = self._plan_finding(row, given, source, ref, current, known, label)
            links = self._plan_links(row, given, key, current, known, label)
            if row.rejected:
                summary.rejected += 1
            elif change is not None:
                self.record(summary, change)
            elif links:
                summary.changed += 1
            else:
                summary.unchanged += 1
            if not row.rejected:
                self.plan.changes.extend(links)

    def _source_and_ref(self, row: Row, given: dict, known: _Known):
        source = ref = None
        name = row.read("source", given["source"], read_text) if "source" in given else None
        if name:
            source = known.sources.get(fold(name))
            if source is None:
                slugs = ", ".join(s.slug for s in known.sources.values()) or "none yet"
                row.reject(
                    "source",
                    f"There is no source {name!r}: use the short name (slug) of one listed under "
                    f"Finding sources in the admin ({slugs}), or add the source there first.",
                )
        else:
            row.reject("source", "Enter the source of this finding (its slug).")
        ref = row.read("ref", given["ref"], read_text) if "ref" in given else None
        if not ref:
            row.reject("ref", "Enter the finding's reference.")
        return source, ref

    def _plan_finding(self, row, given, source, ref, current, known, label) -> Change | None:
        values = self._finding_values(row, given, known)
        status = self._status_values(row, given, source, current)
        if current is None:
            for key, what in _NEW_NEEDS:
                if not values.get(key) and not row.rejected:
                    row.reject(key if key in row.sheet.columns else "ref",
                               f"Finding {ref} is new: enter {what}.")  # fmt: skip
            candidate, old = Finding(source=source, ref=ref, **values), {}
        else:
            candidate, old = self.compare(current, values)
            if not old and not status:
                self._check_grade(row, candidate)
                return None
        self._check_grade(row, candidate)
        if row.rejected:
            return None
        exclude = ["source", "area", "responsible_officer", "kind", "grade", "status", "evidence"]
        self.validate(row, candidate, exclude)
        if current is None:
            return Change(
                FINDINGS, row.number, label, Finding, None, {"ref": ref, **values, **status}, {},
                {"source": source},
            )  # fmt: skip
        if status:
            old |= {key: getattr(current, key) for key in STATUS_KEYS[:3]}
        values = {key: values[key] for key in old if key in values} | status
        return Change(FINDINGS, row.number, label, Finding, current.pk, values, old, {}, candidate)

    def _finding_values(self, row: Row, given: dict, known: _Known) -> dict:
        values = {}
        for key in _TEXT_FIELDS:
            if key in given:
                values[key] = row.read(key, given[key], read_text)
        if "kind" in given:
            values["kind"] = row.read("kind", given["kind"], read_choice, Finding.Kind, KIND_WORDS)
        if "grade" in given:
            values["grade"] = row.read(
                "grade", given["grade"], read_choice, Finding.Grade, GRADE_WORDS
            )
        if "area" in given:
            values["area"] = self._plan_area(row, given["area"], known)
        if "responsible_officer" in given:
            values["responsible_officer"] = self.officer(
                row, "responsible_officer", given["responsible_officer"]
            )
        return values

    def _plan_area(self, row: Row, raw, known: _Known) -> PriorityArea | None:
        text = row.read("area", raw, read_text)
        match = _AREA.match(text or "")
        area = known.areas.get((fold(match[1]), int(match[2]))) if match else None
        if text and area is None:
            row.reject(
                "area",
                f"There is no plan area {text!r}: write the plan's short name (slug), a slash and "
                "the area's number, for example improvement-plan-2021/3.",
            )
        return area

    def _check_grade(self, row: Row, finding: Finding) -> None:
        """A judgement has its grade and nothing else has one (the model's rule, said per cell)."""
        if row.rejected:
            return
        if finding.kind == Finding.Kind.JUDGEMENT and not finding.grade:
            row.reject("grade", "A judgement needs its grade: Outstanding, Good, Requires "
                       "improvement or Inadequate.")  # fmt: skip
        elif finding.kind != Finding.Kind.JUDGEMENT and finding.grade:
            row.reject(
                "grade" if "grade" in row.sheet.columns else "kind",
                f"Only a judgement has a grade, and this finding is "
                f"{finding.get_kind_display().lower()}: leave the grade empty (to remove a "
                "stored grade, change the finding in the admin).",
            )

    def _status_values(self, row: Row, given: dict, source, current: Finding | None) -> dict:
        """The new status the row records, with its day and source; {} for no change."""
        if "status" not in given and "evidence" not in given:
            return {}
        probe = current or Finding(source=source)
        status = probe.status
        if "status" in given:
            status = row.read(
                "status", given["status"], read_choice, Finding.Status, FINDING_STATUS_WORDS
            )
        evidence = (
            row.read("evidence", given["evidence"], read_text)
            if "evidence" in given
            else probe.evidence
        )
        if status is None or evidence is None:
            return {}
        if (status, evidence) == (probe.status, probe.evidence) and "status_as_at" not in given:
            # Open from the day it was made, for a new finding: nothing to date.
            return {}
        if current is not None and (status, evidence) == (current.status, current.evidence):
            return {}
        day = self.today
        if "status_as_at" in given:
            read = row.read("status_as_at", given["status_as_at"], read_date)
            day = read[0] if read else day
        if problem := probe.status_problem(status, evidence, day):
            closing = status == Finding.Status.CLOSED and not evidence
            row.reject("evidence" if closing else "status_as_at" if "status_as_at" in given
                       else "status", problem)  # fmt: skip
        said = (
            row.read("status_source", given["status_source"], read_text)
            if "status_source" in given
            else ""
        )
        if said and len(said) > 500:
            row.reject("status_source", "Keep where the status is known from to 500 characters.")
        return {"status": status, "evidence": evidence, "status_as_at": day, "status_source": said}

    # Links -----------------------------------------------------------------

    def _plan_links(self, row, given, finding, current, known, label) -> list[Change]:
        """The links to begin and end; ``finding`` is (source id, ref) as the writer finds it."""
        if "actions" not in given and "kpis" not in given:
            return []
        day = self._links_day(row, given, known.source_dates[finding[0]])
        changes = []
        if "actions" in given:
            wanted = self._wanted_actions(row, given["actions"], known)
            stored = known.action_links.get(current.pk, {}) if current else {}
            changes += self._link_changes(row, "actions", FindingAction, finding, wanted, stored,
                                          day, label)  # fmt: skip
        if "kpis" in given:
            wanted = {}
            for name in row.read("kpis", given["kpis"], read_list) or []:
                if kpi := self.kpi(row, "kpis", name):
                    wanted[kpi.code] = {"kpi": kpi.code}
            stored = known.kpi_links.get(current.pk, {}) if current else {}
            changes += self._link_changes(row, "kpis", FindingKpi, finding, wanted, stored, day,
                                          label)  # fmt: skip
        return changes

    def _links_day(self, row: Row, given: dict, made: datetime.date) -> datetime.date:
        if "since" not in given:
            return self.today
        read = row.read("since", given["since"], read_date)
        if read is None:
            return self.today
        day = read[0]
        if day > self.today:
            row.reject("since", "Links cannot take effect on a day in the future.")
        elif day < made:
            row.reject("since", f"The finding was made on {made:%-d %b %Y}: links take "
                       "effect on that day or later.")  # fmt: skip
        return day

    def _wanted_actions(self, row: Row, raw, known: _Known) -> dict[str, dict]:
        """The actions a cell names, by plan/area/ref, with how to find each when writing."""
        wanted = {}
        for name in row.read("actions", raw, read_list) or []:
            match = _ACTION.match(name)
            if match is None:
                row.reject(
                    "actions",
                    f"{name!r} does not name an action: write plan/area number/ref, for "
                    "example send-written-statement-of-action/1/4.",
                )
                continue
            key = (fold(match[1]), int(match[2]), match[3].casefold())
            if action := known.actions.get(key):
                wanted[action_key(action)] = {"area": action.area_id, "ref": action.ref}
            elif planned := self.new_actions.get(key):
                area, ref = planned
                wanted[f"{area.plan.slug}/{area.number}/{ref}"] = {"area": area.pk, "ref": ref}
            else:
                row.reject("actions", f"There is no action {name!r}: check the plan, area number "
                           "and Ref, or add the action on the Actions sheet.")  # fmt: skip
        return wanted

    def _link_changes(self, row, key, model, finding, wanted, stored, day, label) -> list[Change]:
        what = "action" if model is FindingAction else "KPI"
        changes = [
            Change(FINDINGS, row.number, f"{label}: {what} {name}", model, None, {"since": day},
                   {}, {"finding": finding, **target})
            for name, target in wanted.items()
            if name not in stored
        ]  # fmt: skip
        for name, link in stored.items():
            if name in wanted:
                continue
            if link.since >= day:
                row.reject(key, f"The link to {what} {name} takes effect on {link.since:%-d %b %Y},"
                           " so it cannot end before then: give a later Links from day, or remove"
                           " the link in the admin.")  # fmt: skip
                continue
            changes.append(
                Change(FINDINGS, row.number, f"{label}: {what} {name}", model, link.pk,
                       {"ended": day}, {"ended": link.ended}, {}, link)
            )  # fmt: skip
        return changes
