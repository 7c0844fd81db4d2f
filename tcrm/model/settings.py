"""The workspace settings, ``tcrm.yaml``: team, pipelines, reference lists, goals."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tcrm.model.access import AccessPolicy, check_signing_key
from tcrm.model.fields import FieldDefs
from tcrm.model.types import Currency, RecordId, TimeZoneName, amount_in_range, new_list

FORMAT_VERSION = 1

Rate = Annotated[Decimal, AfterValidator(amount_in_range)]
"""An exchange rate: finite, in the accepted range of amounts (as a goal's target)."""


MaxDays = Annotated[int, Field(ge=1, le=3650)]
"""A standard time in days (a stage's or a stage task's ``max_days``)."""


class _Base(BaseModel):
    # Keys a person adds by hand are kept (and round-tripped by the store). defer_build:
    # validators are built on first use, not at import (``tcrm --help`` never needs them).
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, defer_build=True)


class Member(_Base):
    """A team member: owner of deals and clients, assignee of tasks, author of activities."""

    id: RecordId
    name: str
    email: str | None = None
    timezone: TimeZoneName | None = Field(
        default=None, description="where 'today' is for this person; the workspace's if unset"
    )
    signing_key: Annotated[str, AfterValidator(check_signing_key)] | None = Field(
        default=None,
        description="their SSH public key ('ssh-ed25519 AAAA...'): commits signed with it "
        "(git's gpg.format ssh) are theirs; see access.require_signed",
    )


class TaskTemplate(_Base):
    """A task created when a deal enters a stage: a business process with a standard time."""

    title: str
    due_in_days: Annotated[int, Field(ge=0, le=3650)] = 0
    priority: Literal["high", "medium", "low"] | None = None
    max_days: MaxDays | None = Field(
        default=None, description="standard time: days the task may stay open before escalating"
    )
    escalate_to: RecordId | None = Field(
        default=None, description="team member given an escalation task past max_days"
    )


class Stage(_Base):
    id: RecordId
    name: str
    probability: Annotated[int, Field(ge=0, le=100, description="win probability, percent")]
    rotting_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="a deal idle for longer than this is rotting"
    )
    required: list[str] = Field(
        default_factory=new_list, description="deal fields that must be set to enter this stage"
    )
    tasks: list[TaskTemplate] = Field(
        default_factory=new_list, description="tasks created when a deal enters this stage"
    )
    max_days: MaxDays | None = Field(
        default=None, description="standard time: days a deal may stay in this stage"
    )
    escalate_to: RecordId | None = Field(
        default=None, description="team member given an escalation task past max_days"
    )


REQUIRABLE_DEAL_FIELDS = frozenset(
    {"amount", "close_date", "owner", "source", "contacts", "probability", "tags"}
)


class Pipeline(_Base):
    id: RecordId
    name: str
    stages: Annotated[list[Stage], Field(min_length=1)]
    transitions: dict[str, list[str]] | None = Field(
        default=None,
        description="optional matrix: stage -> stages a deal may move to from it",
    )

    def stage(self, stage_id: str) -> Stage | None:
        for stage in self.stages:  # a loop, not next(genexpr): called per record listed
            if stage.id == stage_id:
                return stage
        return None

    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def may_move(self, from_stage: str, to_stage: str) -> bool:
        if self.transitions is None or from_stage == to_stage:
            return True
        return to_stage in self.transitions.get(from_stage, [])

    @model_validator(mode="after")
    def _consistent(self) -> Pipeline:
        ids = self.stage_ids()
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"pipeline {self.id!r} repeats stage {', '.join(duplicates)}")
        for stage in self.stages:
            unknown = [f for f in stage.required if f not in REQUIRABLE_DEAL_FIELDS]
            if unknown:
                raise ValueError(
                    f"stage {stage.id!r} requires unknown deal field {unknown[0]!r} "
                    f"(one of {', '.join(sorted(REQUIRABLE_DEAL_FIELDS))})"
                )
        for source, targets in (self.transitions or {}).items():
            for name in [source, *targets]:
                if name not in ids:
                    raise ValueError(
                        f"transitions of pipeline {self.id!r} name unknown stage {name!r} "
                        f"(stages: {', '.join(ids)})"
                    )
        return self


class Lists(_Base):
    """Reference lists: a value outside its list is an error, not a new value."""

    sources: list[str] = Field(default_factory=new_list)
    tags: list[str] = Field(default_factory=new_list)
    lost_reasons: list[str] = Field(default_factory=new_list)
    regions: list[str] = Field(default_factory=new_list)
    client_statuses: list[str] = Field(default_factory=new_list)
    activity_kinds: list[str] = Field(default_factory=lambda: ["call", "meeting", "email", "note"])

    @field_validator("*")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        seen = [v for i, v in enumerate(values) if v in values[:i]]
        if seen:
            raise ValueError(f"{seen[0]!r} is listed twice")
        return values


GoalMetric = Literal[
    "activities", "tasks_completed", "deals_created", "deals_won", "won_amount", "new_clients"
]


class Goal(_Base):
    """A KPI goal: e.g. 20 calls a week for every member, or 50,000 EUR won a quarter."""

    metric: GoalMetric
    target: Annotated[
        Decimal,
        Field(gt=0, description="a count, or an amount for won_amount"),
        AfterValidator(amount_in_range),
    ]
    period: Literal["day", "week", "month", "quarter", "year"] = "week"
    kind: str | None = Field(default=None, description="activity kind, for metric 'activities'")
    member: RecordId | None = Field(default=None, description="a member id; every member if unset")


class MailSettings(_Base):
    """How filed mail is kept (see docs/mail.md)."""

    store_body: Literal["full", "snippet", "none"] = Field(
        default="snippet",
        description="how much of a filed message's text the activity keeps: all of it, "
        "the first lines, or none. It stays in git history forever, hence a snippet",
    )
    counts_as_contact: Literal["both", "in", "out", "none"] = Field(
        default="both",
        description="which filed mail restarts a client's keep-in-touch clock: received "
        "and sent, only received, only sent, or none",
    )


HOOK_EVENTS = (
    "client.added",
    "deal.added",
    "deal.stage_changed",
    "deal.won",
    "deal.lost",
    "task.added",
    "task.done",
    "task.overdue",
    "activity.logged",
    "sync.merged",
)
"""Events a hook runs after (the change is committed)."""

BEFORE_EVENTS = (
    "before.client.added",
    "before.deal.added",
    "before.deal.stage_changed",
    "before.deal.won",
    "before.deal.lost",
    "before.task.added",
    "before.task.done",
    "before.activity.logged",
)
"""Events a hook runs before (nothing written yet); a ``blocking`` one may refuse."""


class Hook(_Base):
    """A script run on an event, given the event and its records as JSON on stdin."""

    on: str = Field(description="the event: " + ", ".join((*HOOK_EVENTS, *BEFORE_EVENTS)))
    run: str = Field(min_length=1, description="the script, relative to the workspace")
    timeout: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=10, description="seconds before the hook (and its process group) is killed"
    )
    blocking: bool = Field(
        default=False, description="before.* events only: a non-zero exit refuses the change"
    )

    @field_validator("on")
    @classmethod
    def _known_event(cls, on: str) -> str:
        if on not in HOOK_EVENTS and on not in BEFORE_EVENTS:
            raise ValueError(
                f"unknown hook event {on!r} (events: {', '.join((*HOOK_EVENTS, *BEFORE_EVENTS))})"
            )
        return on

    @field_validator("run")
    @classmethod
    def _inside(cls, run: str) -> str:
        parts = run.replace("\\", "/").split("/")
        if run.startswith(("/", "~")) or ":" in parts[0] or ".." in parts or ".git" in parts:
            raise ValueError(f"hook {run!r} must be a path inside the workspace (e.g. hooks/x.sh)")
        return run

    @model_validator(mode="after")
    def _blocking_before(self) -> Hook:
        if self.blocking and not self.on.startswith("before."):
            raise ValueError(
                f"hook {self.run!r} is blocking on {self.on!r}: only before.* events may block "
                f"(the change is committed when {self.on} runs)"
            )
        return self


class RoutingRule(_Base):
    """Who owns a new client or deal: the first rule whose ``match`` fits decides."""

    id: RecordId | None = Field(
        default=None, description="names the rule's rotation in routing.yaml (else its position)"
    )
    records: Literal["client", "deal", "any"] = Field(
        default="any", description="which new records the rule routes"
    )
    match: dict[str, str] = Field(
        default_factory=dict,
        description="field -> value, all must hold: source, region, tag, or a custom field",
    )
    owner: RecordId | None = Field(default=None, description="this member owns it")
    round_robin: list[RecordId] | None = Field(
        default=None, description="members in turn (the rotation is committed in routing.yaml)"
    )
    least_open_deals: list[RecordId] | None = Field(
        default=None, description="the member with the fewest open deals (ties: listed first)"
    )

    @model_validator(mode="after")
    def _one_action(self) -> RoutingRule:
        actions = [a for a in ("owner", "round_robin", "least_open_deals") if getattr(self, a)]
        if len(actions) != 1:
            raise ValueError(
                "a routing rule needs exactly one of owner, round_robin, least_open_deals"
            )
        return self

    def members(self) -> list[str]:
        return [self.owner] if self.owner else list(self.round_robin or self.least_open_deals or [])


class Settings(_Base):
    """The contents of ``tcrm.yaml``."""

    version: Annotated[int, Field(ge=1)] = FORMAT_VERSION
    name: str
    timezone: TimeZoneName = "UTC"
    currency: Currency = "EUR"
    date_order: Literal["DMY", "MDY", "YMD"] = Field(
        default="DMY",
        description=(
            "how numeric dates such as 01/02/2027 are read: day/month/year (DMY), "
            "month/day/year (MDY) or year/month/day (YMD); a date that does not fit is "
            "refused, never guessed. YYYY-MM-DD is always read as such"
        ),
    )
    team: list[Member] = Field(default_factory=new_list)
    pipelines: Annotated[list[Pipeline], Field(min_length=1)]
    default_pipeline: RecordId | None = None
    lists: Lists = Field(default_factory=Lists)
    goals: list[Goal] = Field(default_factory=new_list)
    rates: dict[Currency, Rate] | None = Field(
        default=None, description="exchange rates to the workspace currency, for reports"
    )
    access: AccessPolicy | None = Field(
        default=None,
        description="who may change what, enforced by `tcrm verify` (docs/access.md); "
        "everyone may do everything without it",
    )
    fields: FieldDefs = Field(
        default_factory=FieldDefs,
        description="custom fields per record kind (docs/fields.md)",
    )

    @field_validator("fields")
    @classmethod
    def _known_stages(cls, fields: FieldDefs, info: ValidationInfo) -> FieldDefs:
        """``required_in_stages`` names stages of the pipelines (validated before it)."""
        pipelines = info.data.get("pipelines") or []
        stages = {s.id for p in pipelines for s in p.stages}
        for name, definition in fields.deal.items():
            unknown = [s for s in definition.required_in_stages if s not in stages]
            if unknown:
                raise ValueError(
                    f"fields.deal.{name}.required_in_stages names unknown stage {unknown[0]!r}"
                )
        return fields

    mail: MailSettings = Field(default_factory=MailSettings)
    hooks: list[Hook] = Field(
        default_factory=new_list,
        description="scripts run on events; each runs only once trusted (`tcrm hooks trust`)",
    )
    routing: list[RoutingRule] = Field(
        default_factory=new_list, description="who owns a new client or deal (first match wins)"
    )

    @field_validator("version")
    @classmethod
    def _supported(cls, version: int) -> int:
        if version > FORMAT_VERSION:
            raise ValueError(
                f"this workspace has format version {version}, newer than this tcrm "
                f"understands ({FORMAT_VERSION}); upgrade tcrm"
            )
        return version

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        for label, ids in (
            ("team member", [m.id for m in self.team]),
            ("pipeline", [p.id for p in self.pipelines]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{label} id {dupes[0]!r} is used twice")
        if self.default_pipeline and self.pipeline(self.default_pipeline) is None:
            raise ValueError(f"default_pipeline {self.default_pipeline!r} is not a pipeline")
        if self.access is not None:
            self._check_access(self.access)
        members = {m.id for m in self.team}
        named = [(f"stage {s.id!r}", s.escalate_to) for p in self.pipelines for s in p.stages] + [
            (f"task {t.title!r}", t.escalate_to)
            for p in self.pipelines
            for s in p.stages
            for t in s.tasks
        ]
        named += [
            (f"routing rule {i}", m) for i, r in enumerate(self.routing, 1) for m in r.members()
        ]
        for where, member in named:
            if member is not None and member not in members:
                raise ValueError(f"{where} names {member!r}, who is not a team member")
        rule_ids = [r.id for r in self.routing if r.id]
        dupes = sorted({i for i in rule_ids if rule_ids.count(i) > 1})
        if dupes:
            raise ValueError(f"routing rule id {dupes[0]!r} is used twice")
        return self

    def _check_access(self, access: AccessPolicy) -> None:
        """Roles list members of the team; rules name roles or members."""
        members = {m.id for m in self.team}
        for role, ids in access.roles.items():
            for member_id in ids:
                if member_id not in members:
                    raise ValueError(f"access role {role!r} lists {member_id!r}, not a team member")
        for name in access.named():
            if name not in access.roles and name not in members:
                raise ValueError(f"access rule names {name!r}, neither a role nor a team member")

    def pipeline(self, pipeline_id: str | None = None) -> Pipeline | None:
        if pipeline_id is None:
            pipeline_id = self.default_pipeline or self.pipelines[0].id
        for pipeline in self.pipelines:  # loops: called for every record listed
            if pipeline.id == pipeline_id:
                return pipeline
        return None

    def member(self, member_id: str) -> Member | None:
        for member in self.team:
            if member.id == member_id:
                return member
        return None

    def member_timezone(self, member_id: str | None) -> str:
        member = self.member(member_id) if member_id else None
        return (member.timezone if member and member.timezone else None) or self.timezone
