"""An action and a finding as they stood on a day: what the API's rows read.

The rules (status then, overdue, slippage) are the models'; the wording is
the board pages' (``reports.board_actions``, ``reports.findings``).
"""

import datetime
from dataclasses import dataclass

from priorities.models import Finding, FindingState
from reports.board_actions import ActionLine
from reports.findings import status_tag

NOT_REPORTED = "not_reported"


@dataclass(frozen=True)
class ActionRow(ActionLine):
    @property
    def status(self) -> str:
        return self.state.status if self.state else NOT_REPORTED

    @property
    def status_label(self) -> str:
        return self.state.status_label if self.state else "Not yet reported"

    @property
    def completed_date(self) -> datetime.date | None:
        return self.state.completed_date if self.state else None

    @property
    def status_since(self) -> datetime.date | None:
        return self.state.since if self.state else None

    @classmethod
    def of(cls, action, on: datetime.date) -> "ActionRow":
        """``action`` fetched ``as_at(on)`` with its area: no query."""
        state = action.state_on(on)
        return cls(action, action.area, action.overdue_in(state, on), state)


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    state: FindingState | None

    @property
    def status(self) -> str:
        return self.state.status if self.state else NOT_REPORTED

    @property
    def status_label(self) -> str:
        return status_tag(self.state).label

    @property
    def evidence(self) -> str:
        return self.state.evidence if self.state else ""

    @property
    def status_since(self) -> datetime.date | None:
        return self.state.since if self.state else None

    @classmethod
    def of(cls, finding: Finding, on: datetime.date) -> "FindingRow":
        """``finding`` fetched ``as_at(on)`` with its source: no query."""
        return cls(finding, finding.state_on(on))
