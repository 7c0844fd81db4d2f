"""The forms that edit a record: its fields, custom fields and private fields set and
checked as ``set_fields`` checks them, saved in one commit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from tcrm.errors import Hint, TcrmError
from tcrm.model.fields import FieldDef
from tcrm.model.privacy import PRIVATE, UNREADABLE
from tcrm.model.records import Record, Task
from tcrm.services import activities, clients, deals, private, records, tasks
from tcrm.tui.screens.forms.base import (
    Field,
    FormScreen,
    Problems,
    build_problems,
    choices,
    custom_field,
    text_of,
)

if TYPE_CHECKING:
    pass


# --- editing any record ---------------------------------------------------------------


class EditForm(FormScreen):
    """``tcrm <kind> edit REF --set field=value ...`` as a form: only changed fields are
    set, checked as ``set_fields`` checks them, saved in one commit.

    Private fields show their plaintext to a reader (saved encrypted again, as every
    write is) and ``«private»``, read-only, to anyone else."""

    KIND = ""
    FIELDS: ClassVar[tuple[str, ...]] = ()
    PROTECTED: ClassVar[Mapping[str, Hint]] = {}

    def __init__(self, record: Record) -> None:
        record = private.reveal(self.tcrm.ws, record)
        self.record = record
        self.custom = self.tcrm.ws.settings.fields.of(record.KIND)
        """The kind's custom fields (tcrm.yaml ``fields:``), after the built-in ones."""
        data = record.to_data()
        self.initial = {name: text_of(data.get(name)) for name in self.FIELDS}
        for name, definition in self.custom.items():
            value = data.get(name)
            self.initial[name] = (
                ("true" if value is True else "false")
                if definition.type == "bool"
                else text_of(value)
            )
        self.locked = {n for n, v in self.initial.items() if v in (PRIVATE, UNREADABLE)}
        """Private values this member cannot read: shown, never assigned."""
        super().__init__()
        self.HEADING = f"Edit {record.KIND} {record.id}"

    def field_choices(self, name: str) -> Sequence[tuple[str, str]] | None:
        settings = self.tcrm.ws.settings
        team = [(f"{m.name} ({m.id})", m.id) for m in settings.team]
        lists = settings.lists
        return {
            "owner": team,
            "assignee": team,
            "status": choices(lists.client_statuses) if self.KIND == "client" else None,
            "source": choices(lists.sources),
            "region": choices(lists.regions),
            "priority": choices(list(tasks.PRIORITIES)),
            "kind": choices(lists.activity_kinds),
            "type": choices(["company", "person"]),
        }.get(name)

    def form_fields(self) -> list[Field]:
        return [
            *(
                Field(
                    name,
                    name.replace("_", " ").capitalize(),
                    self.initial[name],
                    self.field_choices(name),
                    read_only=name in self.locked,
                )
                for name in self.FIELDS
            ),
            *(self.custom_field(name, d) for name, d in self.custom.items()),
        ]

    def custom_field(self, name: str, definition: FieldDef) -> Field:
        return custom_field(
            self.tcrm.ws.settings, name, definition, self.initial[name], name in self.locked
        )

    def assignments(self, values: dict[str, str]) -> list[str]:
        return [
            f"{name}={values[name]}"
            for name in (*self.FIELDS, *self.custom)
            if name in values
            and name not in self.locked
            and values[name] != self.initial.get(name, "")
        ]

    def check(self, values: dict[str, str]) -> Problems:
        ws = self.tcrm.ws

        def build() -> Record:
            changes = records.parse_assignments(
                self.record,
                self.assignments(values),
                self.PROTECTED,
                settings=ws.settings,
                now=self.tcrm.now(),
            )
            new = records.updated(self.record, changes)
            records.ensure_valid(ws, new)
            return new

        return build_problems(build, self)

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, kind, ref, now = self.tcrm.ws, self.KIND, self.record.id, self.tcrm.now()
        items, protected = self.assignments(values), self.PROTECTED
        return lambda: records.set_fields(
            ws, kind=kind, ref=ref, assignments=items, protected=protected, now=now
        )

    def success(self, result: Any) -> str:
        return f"Saved {self.record.KIND} {self.record.id}"


class ClientEditForm(EditForm):
    KIND = "client"
    FIELDS = (
        "name",
        "type",
        "status",
        "owner",
        "source",
        "region",
        "tags",
        "website",
        "emails",
        "phones",
        "address",
        "cadence_days",
        "notes",
    )
    PROTECTED = clients.PROTECTED
    ALIASES: ClassVar[dict[str, str]] = {"contact": "add_contact"}

    def form_fields(self) -> list[Field]:
        return [
            *super().form_fields(),
            Field("add_contact", "Add contact", placeholder="Jane Doe <jane@acme.com>"),
        ]

    def check(self, values: dict[str, str]) -> Problems:
        found = super().check(values)
        if values.get("add_contact"):
            try:
                clients.parse_contact(values["add_contact"])
            except TcrmError as exc:
                found.append(self.problem(exc, "add_contact"))
        return found

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, ref, now = self.tcrm.ws, self.record.id, self.tcrm.now()
        items = self.assignments(values)
        people = [values["add_contact"]] if values.get("add_contact") else []
        return lambda: clients.edit_client(
            ws, ref=ref, assignments=items, add_contacts=people, now=now
        )

    def success(self, result: Any) -> str:
        edited = cast(clients.Edited, result)
        return f"Saved client {edited.client.id}" if edited.changed else "Nothing changed"


class DealEditForm(EditForm):
    KIND = "deal"
    FIELDS = (
        "title",
        "amount",
        "currency",
        "probability",
        "close_date",
        "owner",
        "source",
        "tags",
        "contacts",
        "notes",
    )
    PROTECTED = deals.PROTECTED


class TaskEditForm(EditForm):
    """``tcrm task edit``: due, repeat, reminders and contacts as ``task add`` takes them
    (``fri``, ``tomorrow 11:00``, ``weekly``, ``30m``, a contact's name or email)."""

    KIND = "task"
    FIELDS = (
        "title",
        "due",
        "repeat",
        "assignee",
        "priority",
        "reminders",
        "contacts",
        "duration",
        "notes",
    )
    PROTECTED = tasks.PROTECTED
    PLACEHOLDERS: ClassVar[dict[str, str]] = {
        "due": "tomorrow 10:00, fri, +3d, 2026-12-01",
        "repeat": "daily, weekdays, weekly, monthly, yearly or an RRULE",
        "reminders": "30m, 1d",
        "contacts": "names or emails of the clients' contact people",
    }

    def form_fields(self) -> list[Field]:
        return [
            dataclasses.replace(f, placeholder=self.PLACEHOLDERS.get(f.name, f.placeholder))
            for f in super().form_fields()
        ]

    def check(self, values: dict[str, str]) -> Problems:
        ws, now = self.tcrm.ws, self.tcrm.now()
        task = cast(Task, self.record)
        found: Problems = []
        typed = self.assignments(values)
        try:
            items = tasks.typed_assignments(ws, task, typed, now)
        except TcrmError:
            for item in typed:  # which field it was, each problem next to its own
                try:
                    tasks.typed_assignments(ws, task, [item], now)
                except TcrmError as exc:
                    name = item.split("=", 1)[0]
                    found.append((name, exc.words(self.label_of).removeprefix(f"{name}: ")))
            return found or [("", "check the values")]

        def build() -> Record:
            changes = records.parse_assignments(
                task, items, self.PROTECTED, settings=ws.settings, now=now
            )
            new = records.updated(task, changes)
            records.ensure_valid(ws, new)
            return new

        return build_problems(build, self)

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, now, ref = self.tcrm.ws, self.tcrm.now(), self.record.id
        items = self.assignments(values)
        return lambda: tasks.edit_task(ws, ref=ref, assignments=items, now=now)


class ActivityEditForm(EditForm):
    KIND = "activity"
    FIELDS = ("kind", "summary", "outcome", "notes")

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        ws, ref, now = self.tcrm.ws, self.record.id, self.tcrm.now()
        items = self.assignments(values)
        return lambda: activities.edit_activity(ws, ref=ref, assignments=items, now=now)
