"""The four kinds of record, one YAML file each: clients, deals, tasks, activities.

A record's id is its file name, never a key inside the file, so it cannot disagree with it.
Field order here is the key order in the files.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from tcrm.model import satisfaction
from tcrm.model.moments import as_utc as as_utc  # here too: its callers import it here
from tcrm.model.types import (
    Amount,
    Currency,
    Date,
    DateOrDateTime,
    DateTime,
    Email,
    ExternalIds,
    Offset,
    Phone,
    RecordId,
    RRule,
    TimeZoneName,
    new_list,
)

RecordIds = list[RecordId]

SURVEY_KIND = satisfaction.SURVEY_KIND
"""The activity kind of a satisfaction survey's answer (always allowed; it has a score)."""

# Every model here sets ``defer_build``: pydantic builds a validator on first use, so a
# command pays only for the models it touches (building all of them costs ~40 ms at start).


class Conflict(BaseModel):
    """A field two people changed to different values; left by a sync until resolved.

    The record keeps ``mine`` as the field's value; ``tcrm check`` and ``tcrm conflicts``
    list it, ``tcrm resolve`` clears it. An absent ``mine``/``theirs`` means that side
    removed the value. ``mine``/``theirs`` are the sides of the clone that merged; the
    ``*_by`` and ``*_commit`` keys say who made each value, so anyone reading it later
    knows whose is whose.
    """

    model_config = ConfigDict(extra="allow", defer_build=True)

    field: Annotated[
        str, Field(min_length=1, description="the field, e.g. stage or contacts[jo@x.com].role")
    ]
    mine: Any = Field(default=None, description="the value kept in the record (this clone's)")
    theirs: Any = Field(default=None, description="the other side's value")
    base: Any = Field(default=None, description="the value both started from")
    mine_by: str | None = Field(
        default=None, description="who made the kept value: a git identity, Name <email>"
    )
    mine_commit: str | None = Field(default=None, description="the commit of the kept value")
    theirs_by: str | None = Field(
        default=None, description="who made the other value: a git identity, Name <email>"
    )
    theirs_commit: str | None = Field(default=None, description="the commit of the other value")


class Record(BaseModel):
    """Common ground of every stored record."""

    model_config = ConfigDict(
        extra="allow", str_strip_whitespace=True, validate_assignment=True, defer_build=True
    )

    KIND: ClassVar[str]
    FOLDER: ClassVar[str]

    id: SkipJsonSchema[RecordId] = Field(default="", exclude=True)
    conflicts: list[Conflict] = Field(
        default_factory=new_list,
        description="unresolved merge conflicts, listed by `tcrm conflicts`, "
        "cleared by `tcrm resolve`; written by a sync, never by hand",
    )

    def to_data(self, clean: bool = True) -> dict[str, Any]:
        """The plain data written to the record's file: no nulls, no empty lists.

        ``clean=False`` keeps each text exactly as read (control characters included), for
        ``--json``, which carries the exact data; files are written clean (``clean_text``).
        """
        pruned: dict[str, Any] = _prune(self.model_dump(mode="json", exclude_none=True), clean)
        return pruned


_LINE_BREAKS = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Line breaks as ``\\n``, no control characters, no trailing spaces on lines of notes.

    That is what YAML keeps exactly and what a multi-line note needs to be written as a
    readable ``|`` block.
    """
    text = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))
    if "\n" in text:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


def _prune(value: Any, clean: bool = True) -> Any:
    if isinstance(value, str):
        return clean_text(value) if clean else value
    if isinstance(value, dict):
        pruned = {k: _prune(v, clean) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v, clean) for v in value]
    return value


class Contact(BaseModel):
    """A person at a client we talk to."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, defer_build=True)

    name: Annotated[str, Field(min_length=1)]
    role: str | None = None
    emails: list[Email] = Field(default_factory=new_list)
    phones: list[Phone] = Field(default_factory=new_list)
    notes: str | None = None


class Client(Record):
    """A company or person we sell to."""

    KIND: ClassVar[str] = "client"
    FOLDER: ClassVar[str] = "clients"

    name: Annotated[str, Field(min_length=1)]
    type: Literal["company", "person"] = "company"
    status: str | None = None
    owner: RecordId | None = None
    source: str | None = None
    region: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    website: str | None = None
    emails: list[Email] = Field(default_factory=new_list)
    phones: list[Phone] = Field(default_factory=new_list)
    address: str | None = None
    cadence_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="keep in touch at least every N days"
    )
    contacts: list[Contact] = Field(default_factory=new_list)
    created: DateTime | None = None
    notes: str | None = None
    external_ids: ExternalIds = Field(
        default_factory=dict,
        description="ids other tools gave this record (hubspot: '10021'); an import of "
        "that tool's export updates the record they name",
    )


class StageChange(BaseModel):
    """One entry of a deal's history: it entered ``stage`` (or changed status) at ``at``."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    at: DateTime
    stage: RecordId
    status: Literal["open", "won", "lost"] | None = Field(
        default=None, description="set when this entry closed or reopened the deal"
    )
    forced: bool | None = Field(default=None, description="the move overrode the rules")
    note: str | None = Field(default=None, description="why: given when closing the deal")


class Deal(Record):
    """An opportunity with a client, moving through the stages of a pipeline."""

    KIND: ClassVar[str] = "deal"
    FOLDER: ClassVar[str] = "deals"

    title: Annotated[str, Field(min_length=1)]
    client: RecordId
    pipeline: RecordId
    stage: RecordId
    status: Literal["open", "won", "lost"] = "open"
    amount: Amount | None = None
    currency: Currency | None = None
    probability: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="percent; overrides the stage's when set"
    )
    close_date: Date | None = Field(default=None, description="expected (or actual) close date")
    owner: RecordId | None = None
    source: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    contacts: list[str] = Field(default_factory=new_list, description="names of contact people")
    lost_reason: str | None = None
    closed: Date | None = Field(default=None, description="the day it was won or lost")
    created: DateTime | None = None
    stage_history: list[StageChange] = Field(default_factory=new_list)
    notes: str | None = None
    external_ids: ExternalIds = Field(
        default_factory=dict,
        description="ids other tools gave this record (hubspot: '10021'); an import of "
        "that tool's export updates the record they name",
    )

    @model_validator(mode="after")
    def _closing_is_consistent(self) -> Deal:
        if self.status == "lost" and not self.lost_reason:
            raise ValueError("a lost deal needs a lost_reason")
        if self.status != "lost" and self.lost_reason:
            raise ValueError(f"lost_reason is set but the deal is {self.status}")
        if self.status == "won" and self.amount is None:
            raise ValueError("a won deal needs an amount")
        if self.status != "open" and self.closed is None:
            raise ValueError(f"a {self.status} deal needs the date it closed ('closed')")
        return self


def entered_stage_at(deal: Deal) -> datetime | None:
    """When the deal entered its current stage (the last history entry naming it)."""
    for change in reversed(deal.stage_history):
        if change.stage == deal.stage and change.status in (None, "open"):
            return change.at
    return deal.stage_history[-1].at if deal.stage_history else deal.created


class Task(Record):
    """A to-do or a planned contact, with reminders and optional recurrence."""

    KIND: ClassVar[str] = "task"
    FOLDER: ClassVar[str] = "tasks"

    title: Annotated[str, Field(min_length=1)]
    status: Literal["open", "done", "cancelled"] = "open"
    due: DateOrDateTime | None = Field(
        default=None,
        description="a date, or a date-time (local to 'timezone' unless it has an offset)",
    )
    timezone: TimeZoneName | None = Field(
        default=None, description="zone of a local due time; the workspace's if unset"
    )
    duration: Annotated[int, Field(ge=1, le=24 * 60 * 14)] | None = Field(
        default=None, description="minutes"
    )
    reminders: list[Offset] = Field(default_factory=new_list, description="e.g. 30m, 1d before due")
    repeat: RRule | None = None
    priority: Literal["high", "medium", "low"] | None = None
    assignee: RecordId | None = None
    clients: RecordIds = Field(default_factory=new_list)
    deals: RecordIds = Field(default_factory=new_list)
    contacts: list[str] = Field(default_factory=new_list)
    from_stage: RecordId | None = Field(
        default=None,
        description="the stage of its deal whose task templates created it; cancelled "
        "while still open when the deal leaves that stage or closes",
    )
    series: RecordId | None = Field(
        default=None, description="id shared by every occurrence of a recurring task"
    )
    created: DateTime | None = None
    completed: DateTime | None = None
    notes: str | None = None
    external_ids: ExternalIds = Field(
        default_factory=dict,
        description="ids other tools gave this record (hubspot: '10021'); an import of "
        "that tool's export updates the record they name",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Task:
        if self.repeat and self.due is None:
            raise ValueError("a repeating task needs a due date")
        if self.reminders and self.due is None:
            raise ValueError("reminders need a due date")
        if isinstance(self.due, datetime) and self.due.tzinfo and self.timezone:
            raise ValueError("due has an offset and a timezone; keep one")
        if self.from_stage and len(self.deals) != 1:
            raise ValueError("from_stage needs exactly one deal (the one whose stage made it)")
        return self


class Attachment(BaseModel):
    """A mail attachment, by name and size only: the file itself is never stored."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    name: str
    size: Annotated[int, Field(ge=0, le=2**40, description="bytes")]


class MailInfo(BaseModel):
    """What an ``email`` activity filed from a message knows of it (docs/mail.md)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, defer_build=True)

    message_id: Annotated[
        str, Field(min_length=1, description="the Message-ID, without angle brackets")
    ]
    direction: Literal["in", "out"] = Field(description="received (in) or sent by us (out)")
    sender: str | None = Field(default=None, description="the From address")
    to: list[str] = Field(default_factory=new_list)
    cc: list[str] = Field(default_factory=new_list)
    thread: str | None = Field(default=None, description="the Message-ID the thread started with")
    attachments: list[Attachment] = Field(default_factory=new_list)
    survey: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        default=None,
        description="the survey question this message asked (tcrm mail campaign --survey); "
        "a reply with a score 0-10 is filed as a survey answer too",
    )


class Activity(Record):
    """Something that happened: a call, meeting, email or note, logged after the fact."""

    KIND: ClassVar[str] = "activity"
    FOLDER: ClassVar[str] = "activities"

    kind: Annotated[str, Field(min_length=1, description="one of lists.activity_kinds")]
    at: DateTime
    summary: Annotated[str, Field(min_length=1)]
    clients: RecordIds = Field(default_factory=new_list)
    deals: RecordIds = Field(default_factory=new_list)
    contacts: list[str] = Field(default_factory=new_list)
    outcome: str | None = None
    author: RecordId | None = None
    score: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None, description="a survey's answer, 0-10 (kind 'survey' only)"
    )
    notes: str | None = None
    mail: MailInfo | None = Field(default=None, description="set on mail filed by tcrm mail")
    external_ids: ExternalIds = Field(
        default_factory=dict,
        description="ids other tools gave this record (hubspot: '10021'); an import of "
        "that tool's export updates the record they name",
    )

    @model_validator(mode="after")
    def _survey_score(self) -> Activity:
        if self.kind == SURVEY_KIND and self.score is None:
            raise ValueError("a survey needs a score from 0 to 10")
        if self.kind != SURVEY_KIND and self.score is not None:
            raise ValueError(f"only a {SURVEY_KIND!r} activity has a score (this is {self.kind!r})")
        return self


RECORD_TYPES: dict[str, type[Record]] = {cls.KIND: cls for cls in (Client, Deal, Task, Activity)}
"""kind -> model; ``RECORD_TYPES["deal"].FOLDER == "deals"``."""

FOLDERS: dict[str, type[Record]] = {cls.FOLDER: cls for cls in RECORD_TYPES.values()}


def due_date(task: Task) -> date | None:
    """The calendar day a task is due on, in its own local time."""
    if task.due is None:
        return None
    return task.due.date() if isinstance(task.due, datetime) else task.due
