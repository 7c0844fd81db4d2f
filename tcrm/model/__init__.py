"""Pure models of the workspace: settings and records. No I/O, no front-end imports."""

from tcrm.model.records import (
    FOLDERS,
    RECORD_TYPES,
    Activity,
    Client,
    Contact,
    Deal,
    Record,
    StageChange,
    Task,
)
from tcrm.model.settings import FORMAT_VERSION, Member, Pipeline, Settings, Stage

__all__ = [
    "FOLDERS",
    "FORMAT_VERSION",
    "RECORD_TYPES",
    "Activity",
    "Client",
    "Contact",
    "Deal",
    "Member",
    "Pipeline",
    "Record",
    "Settings",
    "Stage",
    "StageChange",
    "Task",
]
