"""What every form is made of: ``FormScreen`` (fields, validation as you type, saving
through one service call, refusals shown on their field) and the helpers the add and edit
forms share."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tcrm.errors import OverridableError, TcrmError, ValidationError, option
from tcrm.model.fields import FieldDef
from tcrm.model.records import Record
from tcrm.model.settings import Settings
from tcrm.services import records
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


def build_problems(build: Callable[[], Record], form: FormScreen) -> Problems:
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


def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
