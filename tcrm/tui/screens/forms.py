"""Forms for adding and editing clients, deals, tasks and activities.

A form validates as you type with the same models and settings rules the services use
(``records.build``/``updated`` + ``ensure_valid``, and the services' own parsers for
dates, amounts and references) and shows each problem next to its field. Saving calls
the one service function the CLI calls; if it still refuses, the refusal is shown in the
form, nothing is written, and the form stays open.

Over 900 lines because it was not split while its forms were being reworked in parallel
(issue 22); its seam: the add forms (``ClientForm``, ``TaskForm``, ``DealForm``,
``ActivityForm``) and the edit forms (``EditForm`` and its subclasses), over ``FormScreen``.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tcrm.errors import Hint, OverridableError, Problem, TcrmError, ValidationError, option
from tcrm.model.fields import FieldDef
from tcrm.model.privacy import PRIVATE, UNREADABLE
from tcrm.model.records import Client, Deal, Record, Task
from tcrm.model.rules import missing_required
from tcrm.model.settings import Settings
from tcrm.model.types import check_timezone
from tcrm.model.when import WhenError, parse_day, parse_when
from tcrm.services import activities, clients, deals, private, records, tasks
from tcrm.tui.widgets.fields import TextField
from tcrm.tui.widgets.suggest import ListSuggester, Values

if TYPE_CHECKING:
    from tcrm.tui.app import TcrmApp

Problems = list[tuple[str, str]]
"""``(field, message)``; field ``""`` is about the whole form."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    choices: Sequence[tuple[str, str]] | None = None
    """``(label, value)`` for a choice from a list; ``None`` for free text."""
    placeholder: str = ""
    required: bool = False
    kind: str = "text"
    """``bool`` shows a checkbox (its value ``true``/``false``); anything else an input or,
    with ``choices``, a select."""
    read_only: bool = False
    """Shown but not editable: a private value this member may not read (``«private»``)."""
    suggest: Iterable[str] | Values | None = None
    """Values the item being typed is completed from (tags, contact people, zones)."""
    separator: str = ","
    """What separates the items of a list field (``;`` for contacts, whose names may
    hold commas)."""


def split_list(text: str, separator: str = ",") -> list[str]:
    return [item.strip() for item in text.split(separator) if item.strip()]


def problems_of(error: ValidationError, aliases: dict[str, str] | None = None) -> Problems:
    """Each problem on the field its path starts with (``emails.0`` -> ``emails``)."""
    out = []
    for problem in error.problems:
        head = re.split(r"[.\[]", problem.path or "", maxsplit=1)[0]
        head = (aliases or {}).get(head, head)
        out.append((head, problem.message))
    return out


def choices(values: Sequence[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


def show_text(line: Static, text: str) -> None:
    """``text`` on ``line`` (shown when not empty). Validation runs on every keystroke and
    rewrites every field's line: a ``Static.update`` asks Textual to lay the whole form out
    again, so a line whose text is unchanged is left alone."""
    if line.content != text:
        line.update(text)
    line.set_class(bool(text), "-shown")


class FormScreen(ModalScreen[Any]):
    """A modal form; subclasses say which fields, how to check them, and what to call."""

    CSS_PATH = "forms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+f", "override", "Save anyway", show=False),
    ]
    HEADING = "Form"
    ALIASES: ClassVar[dict[str, str]] = {}
    """Record fields (and fields the services' errors name) shown by another form field
    (``contacts`` -> ``contact``)."""
    OVERRIDE = ""
    """The label of the button that saves anyway after an overridable refusal (the CLI's
    ``--force``); empty when the form has no override."""
    KIND = ""
    """The record kind: its custom fields (tcrm.yaml ``fields:``) are in the form."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: set[str] = set()
        self.errors: dict[str, str] = {}
        self.saving = False
        self.forcing = False
        self._fields = self.form_fields()

    @property
    def tcrm(self) -> TcrmApp:
        return cast("TcrmApp", self.app)

    # --- to implement ---------------------------------------------------------------

    def form_fields(self) -> list[Field]:
        raise NotImplementedError

    def check(self, values: dict[str, str]) -> Problems:
        """Every problem with ``values``, without writing anything."""
        raise NotImplementedError

    def action(self, values: dict[str, str]) -> Callable[[], Any]:
        """The service call that saves ``values`` (run in a worker); with ``self.forcing``
        after the person chose the override, the call the CLI makes with ``--force``."""
        raise NotImplementedError

    def success(self, result: Any) -> str | None:
        return "Saved"

    # --- custom fields on an add form (``--set name=value``) ---------------------------

    def custom_fields(self) -> list[Field]:
        """The kind's custom fields, empty, after the built-in ones."""
        settings = self.tcrm.ws.settings
        return [
            custom_field(settings, name, definition, "false" if definition.type == "bool" else "")
            for name, definition in settings.fields.of(self.KIND).items()
        ]

    def custom_items(self, values: dict[str, str]) -> list[str]:
        """``name=value`` for each custom field given, as ``--set`` takes it (a checkbox
        left unticked is not given)."""
        names = self.tcrm.ws.settings.fields.of(self.KIND)
        return [
            f"{name}={values[name]}"
            for name in names
            if values.get(name) and values[name] != "false"
        ]

    def custom_problems(self, values: dict[str, str]) -> Problems:
        """Each custom value checked as ``--set`` checks it, next to its own field."""
        found: Problems = []
        ws, now = self.tcrm.ws, self.tcrm.now()
        for item in self.custom_items(values):
            try:
                records.custom_assignments(self.KIND, [item], ws.settings, now)
            except TcrmError as exc:
                name = item.split("=", 1)[0]
                found.append((name, exc.words(self.label_of).removeprefix(f"{name}: ")))
        return found

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.HEADING, id="form-title", markup=False)
            with VerticalScroll(id="form-fields"):
                for field in self._fields:
                    with Horizontal(classes="form-row", id=f"row-{field.name}"):
                        label = f"{field.label}{' *' if field.required else ''}"
                        yield Label(label, classes="form-label", markup=False)
                        with Vertical(classes="form-input"):
                            yield self._widget(field)
                            yield Static("", classes="form-error", id=f"error-{field.name}")
            yield Static("", id="form-message", markup=False)
            with Horizontal(id="form-buttons"):
                if self.OVERRIDE:
                    yield Button(
                        f"{self.OVERRIDE} ^f", id="form-override", variant="warning", compact=True
                    )
                yield Button("Save ^s", id="form-save", variant="primary", compact=True)
                yield Button("Cancel esc", id="form-cancel", compact=True)

    def _widget(self, field: Field) -> Input | Select[str] | Checkbox:
        if field.kind == "bool":
            return Checkbox(
                "yes",
                value=field.value == "true",
                id=f"field-{field.name}",
                compact=True,
                disabled=field.read_only,
            )
        if field.choices is not None:
            values = [v for _, v in field.choices]
            return Select(
                field.choices,
                value=field.value if field.value in values else Select.NULL,
                allow_blank=not field.required,
                prompt=f"({field.placeholder or 'none'})",
                id=f"field-{field.name}",
                compact=True,
                disabled=field.read_only,
            )
        suggester = (
            ListSuggester(field.suggest, separator=field.separator)
            if field.suggest is not None
            else None
        )
        return TextField(
            value=field.value,
            placeholder=field.placeholder,
            id=f"field-{field.name}",
            compact=True,
            disabled=field.read_only,
            suggester=suggester,
        )

    def on_mount(self) -> None:
        if self.OVERRIDE:
            self.query_one("#form-override").display = False
        first = self._fields[0].name if self._fields else None
        if first:
            self.query_one(f"#field-{first}").focus()

    # --- values and problems --------------------------------------------------------

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for field in self._fields:
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(widget, Select):
                value = widget.value
                out[field.name] = "" if value is Select.NULL or value is None else str(value)
            elif isinstance(widget, Checkbox):
                out[field.name] = "true" if widget.value else "false"
            else:
                out[field.name] = cast(Input, widget).value.strip()
        return out

    def field_names(self) -> set[str]:
        return {f.name for f in self._fields}

    def label_of(self, field: str) -> str:
        """A field an error names, as this form names it: the label of the form field
        showing it ("Due"); one the form does not show can only be given on the command
        line, so it reads as the option there (``--duration``)."""
        shown = self.ALIASES.get(field, field)
        labels = {f.name: f.label for f in self._fields}
        return labels.get(shown) or option(field)

    def problem(self, error: TcrmError, at: str = "") -> tuple[str, str]:
        """``error`` as a problem of this form: worded with the labels, on the row of the
        field it is about when the form shows it, else on ``at`` (``""``: the form's)."""
        field = self.ALIASES.get(error.field, error.field) if error.field else ""
        return (field if field in self.field_names() else at, error.words(self.label_of))

    def validate_form(self, everything: bool = False) -> Problems:
        values = self.values()
        try:
            found = self.check(values)
        except TcrmError as exc:  # a check that could not even run
            found = [self.problem(exc)]
        self.show_problems(found, everything)
        return found

    def show_problems(self, found: Problems, everything: bool = True) -> None:
        names = self.field_names()
        by_field: dict[str, str] = {}
        general: list[str] = []
        for field, message in found:
            if field in names:
                by_field.setdefault(field, message)
            else:
                general.append(f"{field}: {message}" if field else message)
        self.errors = by_field
        for name in names:
            shown = by_field.get(name, "") if (everything or name in self.touched) else ""
            line = self.query_one(f"#error-{name}", Static)
            show_text(line, shown)
            self.query_one(f"#row-{name}").set_class(bool(shown), "-invalid")
        banner = self.query_one("#form-message", Static)
        show_text(banner, "; ".join(dict.fromkeys(general)) if everything else "")

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("field-"):
            self.touched.add(event.input.id.removeprefix("field-"))
            self.on_value_changed(event.input.id.removeprefix("field-"))
            self.validate_form()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id and event.select.id.startswith("field-"):
            self.touched.add(event.select.id.removeprefix("field-"))
            self.on_value_changed(event.select.id.removeprefix("field-"))
            self.validate_form()

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id and event.checkbox.id.startswith("field-"):
            self.touched.add(event.checkbox.id.removeprefix("field-"))
            self.validate_form()

    def on_value_changed(self, name: str) -> None:
        """A field changed (e.g. the pipeline: the stage choices follow)."""

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [f.name for f in self._fields]
        current = (event.input.id or "").removeprefix("field-")
        if current in names and names.index(current) < len(names) - 1:
            self.focus_next()
        else:
            self.action_save()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#form-override")
    def _override_pressed(self) -> None:
        self.action_override()

    def action_override(self) -> None:
        """Save anyway after an overridable refusal, as the CLI's ``--force`` does."""
        if not self.OVERRIDE or not self.query_one("#form-override").display:
            return
        self.forcing = True
        self.action_save()

    # --- saving ---------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        found = self.validate_form(everything=True)
        if found:
            if self.OVERRIDE and not self.forcing and self._forcing_lifts():
                reason = next((m for f, m in found if f in ("", "stage")), found[0][1])
                self.show_problems(
                    [*found, ("", f"{reason}. {self.OVERRIDE} with ctrl+f (recorded as forced).")]
                )
                self.query_one("#form-override").display = True
            self.forcing = False
            self._focus_first_error()
            return
        self.saving = True
        self.tcrm.change(
            self.action(self.values()),
            success=self.success,
            failure=self._refused,
            then=self._saved,
        )

    def _forcing_lifts(self) -> bool:
        """Whether every problem is one the override lifts (``check`` with ``forcing``
        finds none): then the refusal is offered with its button, as ``--force`` is."""
        self.forcing = True
        try:
            return not self.check(self.values())
        except TcrmError:
            return False
        finally:
            self.forcing = False

    def _refused(self, error: TcrmError) -> None:
        self.saving = False
        self.forcing = False
        if isinstance(error, ValidationError):
            self.show_problems(problems_of(error, self.ALIASES))
        elif isinstance(error, OverridableError) and self.OVERRIDE:
            reason = error.reason_words(self.label_of)
            self.show_problems([("", f"{reason}. {self.OVERRIDE} with ctrl+f.")])
            self.query_one("#form-override").display = True
        else:
            self.show_problems([self.problem(error)])
        self._focus_first_error()

    def _saved(self, result: Any) -> None:
        self.dismiss(result)

    def _focus_first_error(self) -> None:
        for field in self._fields:
            if field.name in self.errors:
                self.query_one(f"#field-{field.name}").focus()
                return


# --- helpers for the forms below -------------------------------------------------------


def _checked(build: Callable[[], Record], form: FormScreen) -> Problems:
    try:
        build()
    except ValidationError as exc:
        return problems_of(exc, form.ALIASES)
    except TcrmError as exc:
        return [form.problem(exc)]
    return []


def team_choices(settings: Settings) -> list[tuple[str, str]]:
    return [(f"{m.name} ({m.id})", m.id) for m in settings.team]


def custom_field(
    settings: Settings, name: str, definition: FieldDef, value: str, read_only: bool = False
) -> Field:
    """The widget a custom field's type calls for: a select of its choices or of the
    team, a checkbox for yes/no, an input read as ``--set`` reads it otherwise (a
    ``multi`` completing its choices)."""
    team = team_choices(settings)
    options = {"choice": choices(definition.choices), "member": team or None}
    hints = {
        "date": "2026-12-31, fri, +3d",
        "multi": ", ".join(definition.choices),
        "number": "e.g. 50",
        "money": "e.g. 12000.50",
        "ref": f"a {definition.to} id",
    }
    return Field(
        name,
        definition.title(name),
        value,
        options.get(definition.type),
        hints.get(definition.type, ""),
        kind=definition.type,
        read_only=read_only,
        suggest=definition.choices if definition.type == "multi" else None,
    )


def _zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


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

        return found + self.custom_problems(values) + _checked(build, self)

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
        self.initial = {name: _text_of(data.get(name)) for name in self.FIELDS}
        for name, definition in self.custom.items():
            value = data.get(name)
            self.initial[name] = (
                ("true" if value is True else "false")
                if definition.type == "bool"
                else _text_of(value)
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

        return _checked(build, self)

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

        return _checked(build, self)

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
                suggest=_zones(),
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

        return found + self.custom_problems(values) + _checked(build, self)

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
