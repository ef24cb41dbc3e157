"""The priorities app's models, a module per kind of record."""

from priorities.models.actions import (
    ORIGINAL_DATE_FIXED,
    UPGRADE_SOURCE,
    Action,
    ActionQuerySet,
    ActionState,
    ActionStatus,
)
from priorities.models.dated import DatedLink, in_force
from priorities.models.findings import (
    Finding,
    FindingAction,
    FindingQuerySet,
    FindingSource,
    FindingState,
    FindingStatus,
)
from priorities.models.plans import Officer, Plan, PriorityArea, PriorityAreaQuerySet

__all__ = [
    "ORIGINAL_DATE_FIXED",
    "UPGRADE_SOURCE",
    "Action",
    "ActionQuerySet",
    "ActionState",
    "ActionStatus",
    "DatedLink",
    "Finding",
    "FindingAction",
    "FindingQuerySet",
    "FindingSource",
    "FindingState",
    "FindingStatus",
    "Officer",
    "Plan",
    "PriorityArea",
    "PriorityAreaQuerySet",
    "in_force",
]
