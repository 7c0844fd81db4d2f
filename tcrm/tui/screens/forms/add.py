"""The forms that add a client, a task, a deal or an activity (``tcrm ... add`` as a
form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.widgets import Select

from tcrm.errors import Problem, TcrmError, ValidationError
from tcrm.model.records import Client, Deal, Record, Task
from tcrm.model.rules import missing_required
from tcrm.model.types import check_timezone
from tcrm.model.when import WhenError, parse_day, parse_when
from tcrm.services import activities, clients, deals, records, tasks
from tcrm.tui.screens.forms.base import (
    Field,
    FormScreen,
    Problems,
    build_problems,
    choices,
    split_list,
    team_choices,
    time_zones,
)

if TYPE_CHECKING:
    pass


# --- clients --------------------------------------------------------------------------


class ClientForm(FormScreen):
    """``tcrm client add`` as a form."""

    HEADING = "New client"
    ALIASES: ClassVar[dict[str, str]] = {"contacts": "contact"}
    OVERRIDE = "Add anyway"
    KIND = "client"

    def form_fields(self) -> list[Field]:
        settings = self.tcrm.ws.settings
        lists = settings.lists
        team = team_choices(settings)
        return [
            Field("name", "Name", required=True, placeholder="Acme GmbH"),
            Field("type", "Type", "company", choices(["company", "person"]), required=True),
            Field("emails", "Emails", placeholder="hello@acme.com, ..."),
            Field("phones", "Phones", placeholder="+49 30 1234567"),
            Field("website", "Website", placeholder="https://acme.com"),
            Field(
                "contact",
                "Contacts",
                placeholder="Jane Doe <jane@acme.com>; Bram Peeters",
                separator=";",
            ),
            Field("status", "Status", choices=choices(lists.client_statuses)),
            Field("owner", "Owner", choices=team),
            Field("source", "Source", choices=choices(lists.sources)),
            Field("region", "Region", choices=choices(lists.regions)),
            Field("tags", "Tags", placeholder=", ".join(lists.tags[:3]), suggest=lists.tags),
            Field("cadence_days", "Cadence days", placeholder="keep in touch every N days"),
            Field("notes", "Notes"),
            *self.custom_fields(),
        ]

    def check(self, values: dict[str, str]) -> Problems:
        found: Problems = []
        contacts: list[dict[str, Any]] = []
        for text in split_list(values["contact"], ";"):
            try:
                contacts.append(clients.parse_contact(text))
            except TcrmError as exc:
                found.append(self.problem(exc, "contact"))
        data: dict[str, Any] = {
            "id": "draft",
            "name": values["name"],
            "type": values["type"] or "company",
            "status": values["status"],
            "owner": values["owner"],
            "source": values["source"],
            "region": values["region"],
            "tags": split_list(values["tags"]),
            "website": values["website"],
            "emails": split_list(values["emails"]),
            "phones": split_list(values["phones"]),
            "cadence_days": values["cadence_days"],
            "contacts": contacts,
            "notes": values["notes"],
        }
        data = {k: v for k, v in data.items() if v not in ("", [], None)}
        ws = self.tcrm.ws

        def build() -> Record:
            draft = records.build("client", data)
            records.ensure_valid(ws, draft)
            return draft

        return found + self.custom_problems(values) + build_problems(build, self)

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, now, force = self.tcrm.ws, self.tcrm.now(), self.forcing
        custom = self.custom_items(values)
        return lambda: clients.add_client(
            ws,
            force=force,
            name=values["name"],
            client_type=values["type"] or "company",
            emails=split_list(values["emails"]),
            phones=split_list(values["phones"]),
            website=values["website"] or None,
            tags=split_list(values["tags"]),
            source=values["source"] or None,
            owner=values["owner"] or None,
            status=values["status"] or None,
            region=values["region"] or None,
            cadence_days=values["cadence_days"] or None,
            contacts=split_list(values["contact"], ";"),
            notes=values["notes"] or None,
            now=now,
            assignments=custom,
        )

    def success(self, result: Any) -> str:
        client = cast(Client, result)
        return f"Added client {client.name} ({client.id})"


# --- tasks ----------------------------------------------------------------------------


class TaskForm(FormScreen):
    """``tcrm task add`` as a form; due dates as people type them (fri, +3d, ...)."""

    HEADING = "New task"
    KIND = "task"

    def __init__(self, *, client: str = "", deal: str = "", assignee: str = "") -> None:
        self.preset = {"clients": client, "deals": deal, "assignee": assignee}
        super().__init__()

    def form_fields(self) -> list[Field]:
        settings = self.tcrm.ws.settings
        team = team_choices(settings)
        return [
            Field("title", "Title", required=True, placeholder="Call Jane about the offer"),
            Field("due", "Due", placeholder="tomorrow 10:00, fri, +3d, 2026-12-01"),
            Field("assignee", "Assignee", self.preset["assignee"], team),
            Field("priority", "Priority", choices=choices(list(tasks.PRIORITIES))),
            Field("clients", "Clients", self.preset["clients"], placeholder="client ids or names"),
            Field("deals", "Deals", self.preset["deals"], placeholder="deal ids"),
            Field(
                "contacts",
                "Contacts",
                placeholder="contact people: names or emails",
                suggest=self.linked_contacts,
            ),
            Field("repeat", "Repeat", placeholder="daily, weekdays, weekly, monthly, yearly"),
            Field("reminders", "Reminders", placeholder="30m, 1d"),
            Field("duration", "Duration", placeholder="minutes, e.g. 30"),
            Field(
                "timezone",
                "Time zone",
                placeholder=f"of the due time (default: the assignee's, else {settings.timezone})",
                suggest=time_zones(),
            ),
            Field("notes", "Notes"),
            *self.custom_fields(),
        ]

    def linked_contacts(self) -> list[str]:
        """The contact people of the clients typed so far (for completion)."""
        names: list[str] = []
        for ref in split_list(self.values()["clients"]):
            try:
                client = records.resolve(self.tcrm.ws, "client", ref)
            except TcrmError:
                continue
            if isinstance(client, Client):
                names += [p.name for p in client.contacts]
        return names

    def duration(self, values: dict[str, str]) -> int | None:
        """The minutes typed; ``--duration`` takes a whole number (the service checks the
        range)."""
        return int(values["duration"]) if values["duration"] else None

    def check(self, values: dict[str, str]) -> Problems:
        ws, now = self.tcrm.ws, self.tcrm.now()
        settings = ws.settings
        found: Problems = []
        if not values["title"]:
            found.append(("title", "a task needs a title"))
        due = None
        typed_zone = ""
        if values["timezone"]:
            try:
                typed_zone = check_timezone(values["timezone"])
            except ValueError as exc:
                found.append(("timezone", str(exc)))
        if values["duration"]:
            try:
                minutes = int(values["duration"])
            except ValueError:
                found.append(("duration", "give a whole number of minutes"))
            else:
                if not 1 <= minutes <= tasks.MAX_DURATION:
                    found.append(("duration", f"give minutes, from 1 to {tasks.MAX_DURATION}"))
        if values["due"]:
            zone = typed_zone or settings.member_timezone(values["assignee"] or None)
            try:
                due, _ = tasks.parse_due(values["due"], now, zone, settings)
            except TcrmError as exc:
                found.append(self.problem(exc, "due"))
        try:
            offsets = tasks.parse_reminders(split_list(values["reminders"]))
        except TcrmError as exc:
            found.append(self.problem(exc, "reminders"))
            offsets = []
        if offsets and due is None and not values["due"]:
            found.append(("reminders", "reminders need a due date"))
        if values["repeat"]:
            try:
                tasks.parse_repeat(values["repeat"])
            except TcrmError as exc:
                found.append(self.problem(exc, "repeat"))
            if not values["due"]:
                found.append(("repeat", "a repeating task needs a due date"))
        if values["contacts"]:
            try:
                tasks.contact_names(ws, split_list(values["contacts"]))
            except TcrmError as exc:
                found.append(self.problem(exc, "contacts"))
        for name in ("clients", "deals"):
            for ref in split_list(values[name]):
                try:
                    records.resolve(ws, name[:-1], ref)
                except TcrmError as exc:
                    found.append(self.problem(exc, name))
        return found + self.custom_problems(values)

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, now = self.tcrm.ws, self.tcrm.now()
        duration, custom = self.duration(values), self.custom_items(values)
        return lambda: tasks.add_task(
            ws,
            title=values["title"],
            due=values["due"] or None,
            clients=split_list(values["clients"]),
            deals=split_list(values["deals"]),
            contacts=split_list(values["contacts"]),
            repeat=values["repeat"] or None,
            reminders=split_list(values["reminders"]),
            priority=values["priority"] or None,
            assignee=values["assignee"] or None,
            duration=duration,
            timezone=values["timezone"] or None,
            notes=values["notes"] or None,
            now=now,
            assignments=custom,
        )

    def success(self, result: Any) -> str:
        task = cast(Task, result)
        return f"Added task {task.id}: {task.title}"


# --- deals ----------------------------------------------------------------------------


class DealForm(FormScreen):
    """``tcrm deal add`` as a form; the stage's required fields are checked as you type,
    and "Add anyway" enters the stage without them, recorded as forced (``--force``)."""

    HEADING = "New deal"
    OVERRIDE = "Add anyway"
    KIND = "deal"

    def __init__(self, *, client: str = "", pipeline: str = "") -> None:
        self.preset = {"client": client, "pipeline": pipeline}
        super().__init__()

    def form_fields(self) -> list[Field]:
        settings = self.tcrm.ws.settings
        flow = settings.pipeline(self.preset["pipeline"] or None) or settings.pipeline()
        assert flow is not None
        team = team_choices(settings)
        return [
            Field("title", "Title", required=True, placeholder="Website relaunch"),
            Field(
                "client",
                "Client",
                self.preset["client"],
                required=True,
                placeholder="client id or name",
            ),
            Field(
                "pipeline",
                "Pipeline",
                flow.id,
                [(p.name, p.id) for p in settings.pipelines],
                required=True,
            ),
            Field(
                "stage",
                "Stage",
                flow.stages[0].id,
                [(s.name, s.id) for s in flow.stages],
                required=True,
            ),
            Field("amount", "Amount", placeholder="12000 or 12,000.50"),
            Field("currency", "Currency", settings.currency),
            Field("close_date", "Close date", placeholder="2026-12-31, eom, +1mo"),
            Field("probability", "Probability", placeholder="percent, 0-100 (default: stage's)"),
            Field("owner", "Owner", choices=team),
            Field("source", "Source", choices=choices(settings.lists.sources)),
            Field("tags", "Tags", suggest=settings.lists.tags),
            Field(
                "contacts",
                "Contacts",
                placeholder="the client's contact people: names or emails",
                suggest=self.client_contacts,
            ),
            *self.custom_fields(),
        ]

    def client_contacts(self) -> list[str]:
        """The contact people of the client typed (for completion)."""
        client = self._client(self.values()["client"])
        return [p.name for p in client.contacts] if client else []

    def _client(self, ref: str) -> Client | None:
        try:
            found = records.resolve(self.tcrm.ws, "client", ref) if ref else None
        except TcrmError:
            return None
        return found if isinstance(found, Client) else None

    def on_value_changed(self, name: str) -> None:
        if name != "pipeline":
            return
        settings = self.tcrm.ws.settings
        flow = settings.pipeline(self.values()["pipeline"] or None)
        if flow is not None:
            stage = self.query_one("#field-stage", Select)
            stage.set_options([(s.name, s.id) for s in flow.stages])
            stage.value = flow.stages[0].id

    def check(self, values: dict[str, str]) -> Problems:
        ws, now = self.tcrm.ws, self.tcrm.now()
        found: Problems = []
        client_id = ""
        if values["client"]:
            try:
                client = records.resolve(ws, "client", values["client"])
                client_id = client.id
            except TcrmError as exc:
                found.append(self.problem(exc, "client"))
            else:
                if isinstance(client, Client) and values["contacts"]:
                    try:
                        deals.contact_names(client, split_list(values["contacts"]))
                    except TcrmError as exc:
                        found.append(self.problem(exc, "contacts"))
        else:
            found.append(("client", "a deal needs a client"))
        data: dict[str, Any] = {
            "id": "draft",
            "title": values["title"],
            "client": client_id or "draft",
            "pipeline": values["pipeline"],
            "stage": values["stage"],
            "currency": values["currency"],
            "owner": values["owner"],
            "source": values["source"],
            "tags": split_list(values["tags"]),
        }
        if values["amount"]:
            try:
                data["amount"] = deals.parse_money(values["amount"])
            except TcrmError as exc:
                found.append(self.problem(exc, "amount"))
        if values["probability"]:
            try:
                data["probability"] = self.probability(values)
            except ValueError:
                found.append(("probability", "give a whole number of percent, 0 to 100"))
        if values["close_date"]:
            try:
                order = ws.settings.date_order
                data["close_date"] = parse_day(
                    values["close_date"], now.replace(tzinfo=None), order
                )
            except WhenError as exc:
                found.append(("close_date", str(exc)))
        data = {k: v for k, v in data.items() if v not in ("", [], None)}

        def build() -> Record:
            draft = records.build("deal", data)
            assert isinstance(draft, Deal)
            if client_id:
                records.ensure_valid(ws, draft)
            missing = missing_required(draft, ws.settings, draft.stage)
            if missing and not self.forcing:  # said on the stage and on each missing field
                needs = ", ".join(missing)
                raise ValidationError(
                    [Problem("stage", None, f"{draft.stage} needs {needs} first")]
                    + [Problem(f, None, f"stage {draft.stage} needs {f}") for f in missing]
                )
            return draft

        return found + self.custom_problems(values) + build_problems(build, self)

    def probability(self, values: dict[str, str]) -> int | None:
        """The percent typed; ``--probability`` takes a whole number (the model checks
        the range)."""
        return int(values["probability"]) if values["probability"] else None

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, now, force = self.tcrm.ws, self.tcrm.now(), self.forcing
        probability, custom = self.probability(values), self.custom_items(values)
        return lambda: deals.add_deal(
            ws,
            title=values["title"],
            client=values["client"],
            pipeline=values["pipeline"] or None,
            stage=values["stage"] or None,
            amount=values["amount"] or None,
            currency=values["currency"] or None,
            close_date=values["close_date"] or None,
            owner=values["owner"] or None,
            source=values["source"] or None,
            tags=split_list(values["tags"]),
            probability=probability,
            contacts=split_list(values["contacts"]),
            force=force,
            now=now,
            assignments=custom,
        )

    def success(self, result: Any) -> str:
        change = cast(deals.Change, result)
        extra = f" and {len(change.tasks)} task(s)" if change.tasks else ""
        forced = " (forced)" if change.forced else ""
        return f"Added deal {change.deal.id}{forced}{extra}"


# --- activities -----------------------------------------------------------------------


class ActivityForm(FormScreen):
    """``tcrm log REF... SUMMARY`` as a form, with the follow-up task of ``--next``."""

    HEADING = "Log an activity"
    ALIASES: ClassVar[dict[str, str]] = {"next_title": "next", "note": "notes"}
    KIND = "activity"

    def __init__(self, *, about: Sequence[str] = (), kind: str = "call") -> None:
        self.preset = {"about": ", ".join(about), "kind": kind}
        super().__init__()

    def form_fields(self) -> list[Field]:
        settings = self.tcrm.ws.settings
        team = team_choices(settings)
        kinds = settings.lists.activity_kinds
        kind = self.preset["kind"] if self.preset["kind"] in kinds else (kinds or ["note"])[0]
        return [
            Field("kind", "Kind", kind, choices(kinds), required=True),
            Field(
                "about",
                "About",
                self.preset["about"],
                required=True,
                placeholder="client, contact or deal; several with commas",
            ),
            Field("summary", "Summary", required=True, placeholder="wants a proposal"),
            Field("outcome", "Outcome"),
            Field("at", "When", placeholder="now (or: today 10:00, yesterday)"),
            Field("author", "By", choices=team, placeholder="you"),
            Field("notes", "Notes"),
            Field("next", "Follow-up", placeholder="what to do next (a task)"),
            Field(
                "next_due", "Follow-up due", placeholder=f"default {activities.DEFAULT_NEXT_DUE}"
            ),
            Field("next_assignee", "Follow-up for", choices=team),
            *self.custom_fields(),
        ]

    def check(self, values: dict[str, str]) -> Problems:
        ws, now = self.tcrm.ws, self.tcrm.now()
        found: Problems = []
        refs = split_list(values["about"])
        if not refs:
            found.append(("about", "name a client, contact or deal"))
        for ref in refs:
            try:
                activities.resolve_link(ws, ref)
            except TcrmError as exc:
                found.append(self.problem(exc, "about"))
        if not values["summary"]:
            found.append(("summary", "say what happened"))
        kinds = ws.settings.lists.activity_kinds
        prefixed, rest = activities.kind_prefix(values["summary"], kinds)
        if prefixed is not None and prefixed != values["kind"]:
            found.append(("summary", f"starts with {prefixed}: but Kind is {values['kind']}"))
        elif prefixed is not None and not rest:
            found.append(("summary", f"say what happened after {prefixed}:"))
        try:
            activities.activity_time(values["at"] or None, now, ws.settings.date_order)
        except TcrmError as exc:
            found.append(self.problem(exc, "at"))
        if values["next_due"]:
            if not values["next"]:
                found.append(("next_due", "a follow-up due needs a follow-up"))
            try:
                parse_when(values["next_due"], now.replace(tzinfo=None), ws.settings.date_order)
            except WhenError as exc:
                found.append(("next_due", str(exc)))
        if values["next_assignee"] and not values["next"]:
            found.append(("next_assignee", "a follow-up for someone needs a follow-up"))
        return found + self.custom_problems(values)

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, now, custom = self.tcrm.ws, self.tcrm.now(), self.custom_items(values)
        return lambda: activities.log_activity(
            ws,
            words=[*split_list(values["about"]), values["summary"]],
            kind=values["kind"] or None,
            outcome=values["outcome"] or None,
            at=values["at"] or None,
            note=values["notes"] or None,
            author=values["author"] or None,
            next_title=values["next"] or None,
            next_due=values["next_due"] or None,
            next_assignee=values["next_assignee"] or None,
            now=now,
            assignments=custom,
        )

    def success(self, result: Any) -> str:
        logged = cast(activities.Logged, result)
        text = f"Logged {logged.activity.kind} {logged.activity.id}"
        return text + (f" and follow-up task {logged.task.id}" if logged.task else "")
