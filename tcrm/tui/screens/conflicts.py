"""The Conflicts screen (``C``): what ``tcrm conflicts`` lists, settled one key at a time.

Each row is a field two people changed to two values (the record keeps *mine*, its
``conflicts:`` entry keeps *theirs*), with who made each. ``M`` keeps mine, ``T`` takes
theirs, ``e`` types a value of your own: each is ``tcrm resolve PATH --take FIELD=...``,
the same service and the same commit. A sync that records conflicts opens this screen.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tcrm.errors import TcrmError
from tcrm.model.privacy import is_ciphertext
from tcrm.model.records import RECORD_TYPES
from tcrm.model.text import visible
from tcrm.model.words import plural
from tcrm.services import conflicts as conflict_service
from tcrm.services.conflicts import OpenConflict, ResolveResult, person, short
from tcrm.store.workspace import Workspace
from tcrm.tui.keys import bind
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.sync import one_line
from tcrm.tui.widgets.fields import TextField
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar
from tcrm.tui.widgets.rows import Col, Line, RowsView

VALUE_WIDTH = 200
"""A value in the detail pane is cut after this many characters (the file has it all)."""


def record_label(conflict: OpenConflict) -> str:
    """``deal acme-website``; ``tcrm.yaml`` for the settings."""
    return f"{conflict.kind} {conflict.id}" if conflict.id else conflict.path


def key_of(conflict: OpenConflict) -> str:
    return f"{conflict.path}#{conflict.field}"


def side_cell(value: Any, by: str | None) -> str:
    """``40 · Ben Okafor``: a value and who made it, for the list."""
    who = person(by) if by else ""
    return f"{short(value)} · {who}" if who else short(value)


def typed_text(value: Any) -> str:
    """A value as a person would type it (what the value dialog starts with)."""
    if value is None or is_ciphertext(value) or isinstance(value, dict):
        return ""
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) for v in value):
            return ", ".join(str(v) for v in value)
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def detail(conflict: OpenConflict) -> str:
    """Both values in full (as far as they go), who made each, and what it was before."""
    where = f"{conflict.path}:{conflict.line}" if conflict.line else conflict.path
    lines = [f"{record_label(conflict)} · {conflict.field}   ({where})"]
    if conflict.missing:
        lines.append(f"refers to {conflict.missing}, which was deleted")
        lines.append(f"restore it with: {conflict.fix}" if conflict.fix else "")
        return visible("\n".join(lines).rstrip())
    for label, value, by in (
        ("mine (kept)", conflict.mine, conflict.mine_by),
        ("theirs", conflict.theirs, conflict.theirs_by),
    ):
        made = f"   by {by}" if by else ""
        lines.append(f"{label:<12} {short(value, VALUE_WIDTH)}{made}")
    lines.append(f"{'before':<12} {short(conflict.base, VALUE_WIDTH)}")
    return visible("\n".join(lines))


def conflict_list(ws: Workspace) -> list[OpenConflict]:
    """What ``tcrm conflicts`` lists, in its order, read from the files the index says hold
    conflicts (``list_conflicts`` reads every file: seconds on 10,000 records;
    benchmarks/bench_conflicts.py)."""
    found = [c for c in conflict_service.open_conflicts(ws) if not c.missing]
    rank = {kind: i for i, kind in enumerate(("settings", *RECORD_TYPES))}
    found.sort(key=lambda c: (rank.get(c.kind, len(rank)), c.id or "", c.path))
    return [*found, *conflict_service.dangling_references(ws)]


class ValueDialog(ModalScreen[str | None]):
    """A value of your own for one conflict (``e``): Enter resolves with it, an empty field
    unsets the field (``--take FIELD=``), Escape changes nothing."""

    CSS_PATH: ClassVar[Any] = ["dialogs.tcss", "conflicts.tcss"]
    AUTO_FOCUS = "#value-text"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, conflict: OpenConflict) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        c = self.conflict
        with Vertical(classes="dialog", id="value-dialog"):
            yield Static(
                visible(f"{record_label(c)} · {c.field}: type a value"),
                classes="dialog-title",
                markup=False,
            )
            mine, theirs = side_cell(c.mine, c.mine_by), side_cell(c.theirs, c.theirs_by)
            sides = f"mine: {mine}\ntheirs: {theirs}"
            yield Static(
                visible(sides),
                classes="dialog-note",
                markup=False,
            )
            yield TextField(
                value=typed_text(c.mine), id="value-text", compact=True, select_on_focus=False
            )
            yield Static(
                "Enter: resolve with it · empty: unset the field · Esc: cancel",
                classes="dialog-hint",
                markup=False,
            )

    @on(Input.Submitted, "#value-text")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConflictsScreen(DataScreen):
    """Every open conflict; the one under the cursor in full below the list."""

    CSS_PATH = "conflicts.tcss"
    AUTO_FOCUS = "#conflicts-list"
    PALETTE_NAME = "Conflicts"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("take-mine"),
        bind("take-theirs"),
        bind("edit", "Type a value"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[OpenConflict] = []
        self.resolving = False
        """A resolution is under way: the keys wait for the list it leaves."""
        self.resolved = 0
        """Resolutions made on this screen (so an empty list can say "all resolved")."""

    def compose(self) -> ComposeResult:
        yield Static("Conflicts: loading…", id="conflicts-title", markup=False)
        yield RowsView(self._columns(80), id="conflicts-list")
        yield Static("", id="conflicts-detail", markup=False)
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    # --- loading and painting --------------------------------------------------------

    def fetch(self) -> list[OpenConflict]:
        return conflict_list(self.tcrm.ws)

    def show(self, data: list[OpenConflict]) -> None:
        had = bool(self.conflicts)
        self.conflicts = data
        self.resolving = False
        view = self.query_one(RowsView)
        keep = view.current.key if view.current else None
        lines = []
        for c in data:
            theirs = f"(deleted: {c.missing})" if c.missing else side_cell(c.theirs, c.theirs_by)
            cells = [record_label(c), c.field, side_cell(c.mine, c.mine_by), theirs]
            lines.append(Line(key_of(c), cells))
        view.set_lines(lines, keep=keep)
        self._title()
        self._detail()
        if had and not data and self.resolved:  # said once, not on every reload
            self.notify("All conflicts are resolved.", markup=False)

    def _title(self) -> None:
        if self.conflicts:
            files = len({c.path for c in self.conflicts})
            text = (
                f"Conflicts: {len(self.conflicts)} open in {plural(files, 'file', grouped=False)}"
            )
        elif self.resolved:
            text = "Conflicts: all resolved"
        else:
            text = "No conflicts"
        self.query_one("#conflicts-title", Static).update(text)

    def _detail(self) -> None:
        conflict = self.current
        if conflict is not None:
            text = detail(conflict)
        elif self.resolved:
            text = "Every conflict is resolved; P syncs them to the team."
        else:
            text = "No conflicts: a sync (P) that finds two values of one field lists them here."
        self.query_one("#conflicts-detail", Static).update(text)

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.query_one(RowsView), "cursor", lambda _: self._detail(), init=False)

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(RowsView).set_columns(self._columns(event.size.width))

    @staticmethod
    def _columns(width: int) -> list[Col]:
        """The record and the field get what they need; both values share the rest."""
        record = min(28, max(18, width // 4))
        field = min(20, max(11, width // 7))
        theirs = max(10, (width - record - field - 8 - 1) // 2)
        return [
            Col("Record", record),
            Col("Field", field),
            Col("Mine (kept)"),
            Col("Theirs", theirs),
        ]

    @property
    def current(self) -> OpenConflict | None:
        line = self.query_one(RowsView).current
        return next((c for c in self.conflicts if line and key_of(c) == line.key), None)

    # --- resolving -----------------------------------------------------------------------

    def _resolvable(self) -> OpenConflict | None:
        if self.resolving:
            return None
        conflict = self.current
        if conflict is None:
            self.notify("No conflict to resolve here.", markup=False)
            return None
        if conflict.missing:
            self.notify(
                one_line(f"{conflict.path} refers to a deleted record: {conflict.fix or ''}"),
                severity="warning",
                markup=False,
            )
            return None
        return conflict

    def action_take(self, side: str) -> None:
        """``M``/``T``: keep mine or take theirs for the conflict under the cursor."""
        conflict = self._resolvable()
        if conflict is not None:
            self._resolve(conflict, f"{conflict.field}={side}")

    def action_edit(self) -> None:
        """``e``: a value of your own, typed in a dialog."""
        conflict = self._resolvable()
        if conflict is None:
            return

        def typed(value: str | None) -> None:
            if value is not None:
                self._resolve(conflict, f"{conflict.field}={value}")

        self.app.push_screen(ValueDialog(conflict), typed)

    def _resolve(self, conflict: OpenConflict, take: str) -> None:
        """``tcrm resolve PATH --take FIELD=...``: one commit, then every screen reloads."""
        self.resolving = True
        ws, now = self.tcrm.ws, self.tcrm.now()
        self.tcrm.change(
            lambda: conflict_service.resolve_conflicts(ws, ref=conflict.path, take=[take], now=now),
            success=self._resolved,
            failure=self._refused,
        )

    def _resolved(self, result: ResolveResult) -> str:
        self.resolved += 1
        names = ", ".join(f"{r.field} ({r.choice})" for r in result.resolved)
        return f"Resolved {names} in {result.path}"

    def _refused(self, error: TcrmError) -> None:
        self.resolving = False
        self.notify(one_line(str(error)), title="Refused", severity="error", markup=False)

    def failed(self, error: TcrmError) -> None:
        self.resolving = False
        super().failed(error)
