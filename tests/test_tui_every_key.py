"""Every key of every screen: listed by the help overlay, and doing what it says.

The screens are found at run time (every ``Screen`` class in ``tcrm.tui``, the app's
``MODES``), and so are their bindings, so a screen or a key added later is held to the
same rules: each concrete screen needs a way to be opened (a mode, or ``OPEN`` here), and
each binding's action an expectation (``EFFECTS``), or a test fails naming it.

One app run per screen (a "visit", on its own copy of the sample workspace) opens the
overlay, then presses every key from the screen's base state and records what the app
looked like before and after; the tests, one per screen x binding id, judge each record.
The app's own keys are pressed on Today, and those whose effect depends on where you are
(``?``, Escape, ``q``, reload) on every screen that is not a dialog (Textual stops at a
dialog: they wait until it is closed, and its overlay says so).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import pkgutil
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dulwich.repo import Repo
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Select, Static

import tcrm.tui
from tcrm.services import history
from tcrm.services import tasks as task_service
from tcrm.store.workspace import Workspace
from tcrm.tui.app import TcrmApp
from tcrm.tui.keys import KEYS
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.screens.conflicts import ConflictsScreen, ValueDialog, conflict_list
from tcrm.tui.screens.dashboard import DashboardScreen
from tcrm.tui.screens.forms import DealForm, EditForm, FormScreen
from tcrm.tui.screens.help import HelpScreen
from tcrm.tui.screens.pipeline import PipelineScreen
from tcrm.tui.screens.search import SearchScreen
from tcrm.tui.screens.undo import UndoDialog
from tcrm.tui.widgets.board import CardList
from tcrm.tui.widgets.rows import RowsView
from tcrm.tui.widgets.section_table import SectionTable
from tests.clitools import NOW, git, run
from tests.teamtools import edit
from tests.test_tui_pilot import FIXED, make_app, notifications, settle

IDENTITY = {
    "TCRM_NOW": NOW,
    "GIT_AUTHOR_NAME": "Ann Tester",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Tester",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}

# --- the screens, found at run time ----------------------------------------------------


def screen_classes() -> list[type[Screen[Any]]]:
    """Every concrete screen of the TUI: the ``Screen`` classes in ``tcrm.tui`` that no
    other one there extends (``DataScreen``, ``FormScreen``... are bases)."""
    found: set[type[Screen[Any]]] = set()
    for module in pkgutil.walk_packages(tcrm.tui.__path__, "tcrm.tui."):
        loaded = importlib.import_module(module.name)
        for _, obj in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(obj, Screen) and obj.__module__.startswith("tcrm.tui."):
                found.add(obj)
    found |= {cls for cls in TcrmApp.MODES.values() if isinstance(cls, type)}
    concrete = [c for c in found if not any(o is not c and issubclass(o, c) for o in found)]
    return sorted(concrete, key=lambda c: c.__name__)


def own_bindings(node: Any) -> list[tuple[str, Binding]]:
    """(binding id, binding) for each described binding tcrm declares (Textual's own, tab
    and ctrl+q, are Textual's to prove); a binding without an id (a dialog's own) is
    named by its action. One entry per id, as ``node`` has it merged."""
    ours = {
        (b.action, b.description)
        for klass in type.mro(node if isinstance(node, type) else type(node))
        if klass.__module__.startswith("tcrm.")
        for b in klass.__dict__.get("BINDINGS", [])
        if isinstance(b, Binding)
    }
    out: dict[str, Binding] = {}
    for _, binding in node._merged_bindings:
        if binding.description and (binding.action, binding.description) in ours:
            out.setdefault(binding.id or binding.action, binding)
    return list(out.items())


APP_BINDINGS = [(i, b) for i, b in own_bindings(TcrmApp) if b.id is not None]
"""The app's keys (tcrm's ids; Textual's own, ctrl+q and friends, are not ours to prove)."""
MODE_OF = {cls: mode for mode, cls in TcrmApp.MODES.items() if isinstance(cls, type)}
MODE_OF[DashboardScreen] = "dashboard"  # the app builds it (and imports it) when first shown
assert set(MODE_OF.values()) == set(TcrmApp.MODES), "a mode built lazily: name its class here"


WHERE_YOU_ARE = {"help", "back", "quit", "reload"}
"""App keys whose effect depends on the screen (which keys ``?`` lists, where Escape and
``q`` go back to, which screen reloads): pressed on every screen. The others (the screen
keys, ``g``, ``u``...) do the same everywhere: pressed on the first screen, Today."""


def takes_app_keys(cls: type[Screen[Any]]) -> bool:
    return not issubclass(cls, ModalScreen)


def app_keys(cls: type[Screen[Any]]) -> list[tuple[str, Binding]]:
    """The app's keys pressed on ``cls`` (its overlay lists all of them)."""
    if not takes_app_keys(cls):
        return []
    first = MODE_OF.get(cls) == next(iter(TcrmApp.MODES))
    return [(i, b) for i, b in APP_BINDINGS if first or i in WHERE_YOU_ARE]


def _one_worker(cls: type[Screen[Any]]) -> pytest.MarkDecorator:
    """A screen's tests on one xdist worker (``--dist loadgroup``): they read one visit,
    which a second worker would make again."""
    return pytest.mark.xdist_group(f"walk-{cls.__name__}")


def cases() -> list[Any]:
    out = []
    for cls in screen_classes():
        keys = own_bindings(cls) + app_keys(cls)
        for binding_id, _ in keys:
            out.append(
                pytest.param(
                    cls.__name__,
                    binding_id,
                    id=f"{cls.__name__}-{binding_id}",
                    marks=_one_worker(cls),
                )
            )
    return out


# --- how to reach each screen --------------------------------------------------------

Step = Callable[[Pilot[Any]], Awaitable[None]]


async def _card(pilot: Pilot[Any]) -> None:
    pilot.app.open_client("acme-logistics")


async def _search(pilot: Pilot[Any]) -> None:
    pilot.app.action_search()
    await settle(pilot)
    await pilot.press(*"acme")
    await pilot.pause(0.3)  # the search waits for typing to pause


async def _help(pilot: Pilot[Any]) -> None:
    pilot.app.action_help()


async def _undo(pilot: Pilot[Any]) -> None:
    app = pilot.app
    task_service.snooze_task(app.ws, ref=_first_task(app.ws), to="+1d", now=app.now())
    app.action_undo()


async def _reschedule(pilot: Pilot[Any]) -> None:
    await _pick_task(pilot)
    await pilot.press("r")


async def _lost(pilot: Pilot[Any]) -> None:
    await _show(pilot, "pipeline")
    await _pick_deal(pilot, "proposal", "jonas-lindqvist-author-website")
    await pilot.press("x")


def _form(action: str) -> Step:
    async def open_form(pilot: Pilot[Any]) -> None:
        await pilot.app.run_action(action)

    return open_form


def _on(mode: str, *keys: str, pick: Step | None = None) -> Step:
    async def open_it(pilot: Pilot[Any]) -> None:
        await _show(pilot, mode)
        if pick is not None:
            await pick(pilot)
        await pilot.press(*keys)

    return open_it


async def _pick_client(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one(RowsView).focus()


async def _pick_card_deal(pilot: Pilot[Any]) -> None:
    await _pick_deal(pilot, "proposal", "jonas-lindqvist-author-website")


async def _activity_on_card(pilot: Pilot[Any]) -> None:
    await _card(pilot)
    await settle(pilot)
    table = pilot.app.screen.query_one(SectionTable)
    table.focus()
    activity = next(t for t in table.targets.values() if t.kind == "activity")
    assert table.select_target("activity", activity.id)
    await pilot.press("enter")


CONFLICTED = "acme-logistics-driver-onboarding-app"
"""The deal whose probability two clones change: the conflict the Conflicts screen shows."""


def _as_ben() -> dict[str, str | None]:
    """The teammate's identity (the other side of a conflict); the old values returned."""
    old = {}
    for role in ("AUTHOR", "COMMITTER"):
        for part, value in (("NAME", "Ben Okafor"), ("EMAIL", "ben@example.com")):
            var = f"GIT_{role}_{part}"
            old[var] = os.environ.get(var)
            os.environ[var] = value
    return old


def _restore(old: dict[str, str | None]) -> None:
    for var, value in old.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


def _cli(*args: str | Path) -> None:
    result = run(*(str(a) for a in args))
    assert result.code in (0, 3), (args, result.err)


async def _conflict(pilot: Pilot[Any]) -> None:
    """A real conflict, made as a team makes one: the workspace is pushed to a bare remote,
    a teammate's clone changes a deal's probability and pushes, this clone changes it too,
    and the app's own sync (``P``) records the conflict and opens the Conflicts screen. A
    conflict still open (a key that resolved nothing) is reused."""
    app = pilot.app
    assert isinstance(app, TcrmApp)
    root = app.ws.root
    if not conflict_list(app.ws):
        remote, clone = root.parent / "remote.git", root.parent / "ben"
        if not remote.exists():
            subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
            _cli("-w", root, "remote", "add", "origin", remote)
            _cli("-w", root, "sync")
            _cli("clone", remote, clone)
        rounds = int(git(root, "rev-list", "--count", "HEAD").strip())
        old = _as_ben()
        try:
            _cli("-w", clone, "sync")
            edit(clone, "deal", CONFLICTED, "deal: probability", probability=rounds % 40 + 1)
            _cli("-w", clone, "sync")
        finally:
            _restore(old)
        edit(root, "deal", CONFLICTED, "deal: probability", probability=rounds % 40 + 50)
        await pilot.press("P")  # the app's sync: it opens the Conflicts screen
        await settle(pilot)
    else:
        app.action_conflicts()
        await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ConflictsScreen), type(screen).__name__
    assert screen.current is not None and screen.current.field == "probability"


async def _value_dialog(pilot: Pilot[Any]) -> None:
    await _conflict(pilot)
    await pilot.press("e")


OPEN: dict[str, Step] = {
    "ConflictsScreen": _conflict,
    "ValueDialog": _value_dialog,
    "ClientCardScreen": _card,
    "SearchScreen": _search,
    "HelpScreen": _help,
    "UndoDialog": _undo,
    "RescheduleDialog": _reschedule,
    "LostReasonDialog": _lost,
    "ClientForm": _form("new_client"),
    "DealForm": _form("new_deal"),
    "TaskForm": _form("new_task"),
    "ActivityForm": _form("log"),
    "TaskEditForm": _on("today", "e", pick=lambda p: _pick_task(p)),
    "ClientEditForm": _on("clients", "e", pick=_pick_client),
    "DealEditForm": _on("pipeline", "e", pick=_pick_card_deal),
    "ActivityEditForm": _activity_on_card,
}
"""How to open a screen that is no mode of the app (a mode is shown with ``switch_mode``)."""


async def _show(pilot: Pilot[Any], mode: str) -> None:
    pilot.app.switch_mode(mode)
    await settle(pilot)


def _first_task(ws: Workspace) -> str:
    items = task_service.list_tasks(ws, now=FIXED)
    return next(i.task.id for i in items if i.task.status == "open")


async def _pick_task(pilot: Pilot[Any]) -> None:
    """The cursor on the screen's first task row."""
    table = pilot.app.screen.query_one(SectionTable)
    table.focus()
    task = next(t for t in table.targets.values() if t.kind == "task")
    assert table.select_target("task", task.id)
    await pilot.pause()


async def _pick_deal(pilot: Pilot[Any], stage: str, deal: str) -> None:
    cards = pilot.app.screen.query_one(f"#cards-{stage}", CardList)
    cards.focus()
    assert cards.select_deal(deal), deal
    await pilot.pause()


# --- what the app looks like -----------------------------------------------------------


@dataclass
class Seen:
    top: Screen[Any]
    stack: list[str]
    mode: str
    focused: str
    typing: bool
    """The focus is in a text field (a filter, a search)."""
    commits: int
    subject: str
    notes: list[str]
    attrs: dict[str, Any]
    loads: int
    board: str = ""
    head: str = ""


def focus_name(screen: Screen[Any]) -> str:
    widget = screen.focused
    if widget is None:
        return ""
    return f"{type(widget).__name__}#{widget.id or ''}"


def seen(app: TcrmApp) -> Seen:
    top = app.screen
    attrs = {
        name: getattr(top, name)
        for name in ("sort_key", "assignee", "pipeline_id", "current", "member", "period")
        if hasattr(top, name)
    }
    if top.query("#value-text"):  # the value dialog: what it starts from
        attrs["typed"] = top.query_one("#value-text", Input).value
    board = ""
    if top.query("#board-message"):
        board = str(top.query_one("#board-message").render())
    history, head, subject = repository(app.ws.root)
    return Seen(
        top=top,
        stack=[type(s).__name__ for s in app.screen_stack],
        mode=app.current_mode,
        focused=focus_name(top),
        typing=isinstance(top.focused, Input),
        commits=len(history),
        subject=subject,
        notes=notifications(app),
        attrs=attrs,
        loads=sum(s.loads for s in app.data_screens()),
        board=board,
        head=head,
    )


def repository(root: Path) -> tuple[list[str], str, str]:
    """Every commit of ``HEAD`` (newest first), the newest one's hash and subject: one
    run of the real ``git`` CLI (``git log`` lists what ``rev-list --count`` counts)."""
    lines = git(root, "log", "--format=%H%x00%s").splitlines()
    head, _, subject = lines[0].partition("\0")
    return lines, head, subject


@dataclass
class Visit:
    """One screen's run: its overlay and, per binding id, the app before and after."""

    help_screen: list[tuple[str | None, str, str]] = field(default_factory=list)
    help_app: list[tuple[str | None, str, str]] = field(default_factory=list)
    help_text: str = ""
    pressed: dict[str, tuple[Binding, Seen, Seen]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


# --- getting a key ready -------------------------------------------------------------

PREPARE: dict[str, Step] = {}


def prepares(*actions: str) -> Callable[[Step], Step]:
    def register(step: Step) -> Step:
        for action in actions:
            PREPARE[action] = step
        return step

    return register


@prepares("done", "snooze", "reschedule", "edit", "log_call", "open_client", "new")
async def _row(pilot: Pilot[Any]) -> None:
    """A task under the cursor on a list of them; on the board a deal; else the list."""
    screen = pilot.app.screen
    if screen.query("#cards-proposal"):
        await _pick_card_deal(pilot)
    elif screen.query(SectionTable):
        await _pick_task(pilot)
    elif screen.query(RowsView):
        screen.query_one(RowsView).focus()


@prepares("results")
async def _in_the_search_field(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one("#search-text").focus()


@prepares("move(1)")
async def _lead(pilot: Pilot[Any]) -> None:
    await _pick_deal(pilot, "lead", "brightwater-health-symptom-checker-prototype")


@prepares("move(-1)")
async def _qualified(pilot: Pilot[Any]) -> None:
    await _pick_deal(pilot, "qualified", "brightwater-health-patient-portal-redesign")


@prepares("won")
async def _winnable(pilot: Pilot[Any]) -> None:
    await _pick_deal(pilot, "negotiation", "acme-logistics-driver-onboarding-app")


@prepares("lost")
async def _losable(pilot: Pilot[Any]) -> None:
    await _pick_deal(pilot, "proposal", "fjordline-headless-storefront")


@prepares("force")
async def _refused_move(pilot: Pilot[Any]) -> None:
    """A move the workspace refuses (a lead straight to proposal needs an amount)."""
    await _pick_deal(pilot, "lead", "pixelforge-community-website")
    await pilot.press("right_square_bracket")  # to qualified
    await settle(pilot)
    await pilot.press("right_square_bracket")  # proposal needs an amount: refused
    await settle(pilot)
    assert "Refused" in seen(pilot.app).board


@prepares("column(-1)", "column(1)")
async def _a_column(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one("#cards-qualified", CardList).focus()


@prepares("redo")
async def _an_undo(pilot: Pilot[Any]) -> None:
    """An undo made in the app: what ``U`` redoes."""
    app = pilot.app
    task_service.snooze_task(app.ws, ref=_first_task(app.ws), to="+1d", now=app.now())
    result = history.undo(app.ws)
    app.undos = [result.commit or ""]
    app.undo_next = None


@prepares("undo")
async def _a_change(pilot: Pilot[Any]) -> None:
    app = pilot.app
    task_service.snooze_task(app.ws, ref=_first_task(app.ws), to="+1d", now=app.now())


@prepares("back")
async def _came_from(pilot: Pilot[Any]) -> None:
    """Escape needs somewhere to go back to: the screen was reached from Today."""
    app = pilot.app
    if not isinstance(app.screen, ModalScreen) and len(app.screen_stack) == 1:
        app.trail[:] = ["today" if app.current_mode != "today" else "kb"]


@prepares("save")
async def _filled(pilot: Pilot[Any]) -> None:
    """The least a new record needs, filled in; an edit form gets a changed summary or
    title where it has one. The values are set, not typed key by key (the key under test
    is ctrl+s; typing into a form is test_tui_pilot's): the form hears the same
    ``Input.Changed`` either way."""
    form = pilot.app.screen
    assert isinstance(form, FormScreen)
    values = {"name": "Nordwind Labs", "title": "Walk test", "summary": "walk test call"}
    for name, text in values.items():
        fields = form.query(f"#field-{name}")
        if fields:
            _fill(fields.first(), text)
    about = form.query("#field-about")
    if about and isinstance(about.first(), Input) and not about.first(Input).value:
        _fill(about.first(), "acme-logistics")
    if form.query("#field-client") and not isinstance(form, EditForm):
        client = form.query_one("#field-client")
        if isinstance(client, Input) and not client.value:
            _fill(client, "acme-logistics")
    await settle(pilot)


def _fill(field_input: Any, text: str) -> None:
    """A text field focused and holding ``text``, as if typed there."""
    assert isinstance(field_input, Input), field_input
    field_input.focus()
    field_input.value = text


@prepares("override")
async def _overridable(pilot: Pilot[Any]) -> None:
    """A refusal the CLI overrides with --force: a client that looks like one we have; a
    deal entering a stage without the field it requires (proposal: an amount)."""
    form = pilot.app.screen
    assert isinstance(form, FormScreen)
    if not form.OVERRIDE:
        return
    if isinstance(form, DealForm):
        _fill(form.query_one("#field-title"), "Walk test")
        _fill(form.query_one("#field-client"), "acme-logistics")
        form.query_one("#field-stage", Select).value = "proposal"
        await settle(pilot)
    else:
        _fill(form.query_one("#field-name"), "Acme Logistics")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert form.query_one("#form-override").display, "the duplicate was not refused"


# --- what each action must do ----------------------------------------------------------

Check = Callable[[Binding, Seen, Seen], str | None]


def committed(word: str) -> Check:
    def check(_b: Binding, before: Seen, after: Seen) -> str | None:
        if after.commits != before.commits + 1:
            return f"expected one commit, got {after.commits - before.commits}"
        if word not in after.subject:
            return f"the commit {after.subject!r} does not say {word!r}"
        return None

    return check


def on_top(*names: str) -> Check:
    def check(_b: Binding, before: Seen, after: Seen) -> str | None:
        if type(after.top).__name__ not in names:
            return f"expected {' or '.join(names)} on top, got {type(after.top).__name__}"
        if after.commits != before.commits:
            return "opening it committed something"
        return None

    return check


def _new(binding: Binding, before: Seen, after: Seen) -> str | None:
    """``n`` is worded per screen (New task, New deal, New client): that form opens."""
    form = binding.description.removeprefix("New ").capitalize() + "Form"
    return on_top(form if form != "Form" else "TaskForm")(binding, before, after)


def _edit(binding: Binding, before: Seen, after: Seen) -> str | None:
    if isinstance(before.top, ConflictsScreen):  # a value of one's own, typed in a dialog
        return _value_dialog_open(binding, before, after)
    if not isinstance(after.top, EditForm):
        return f"expected an edit form, got {type(after.top).__name__}"
    return None


def _value_dialog_open(binding: Binding, before: Seen, after: Seen) -> str | None:
    problem = on_top("ValueDialog")(binding, before, after)
    if problem is None and isinstance(after.top, ValueDialog):
        value = after.attrs.get("typed")
        mine = before.attrs.get("current")
        if mine is None or value != str(mine.mine):
            return f"the value dialog starts from {value!r}, not mine"
    return problem


def _sync_refused(_b: Binding, before: Seen, after: Seen) -> str | None:
    """With no remote: one line saying so, nothing committed."""
    if after.commits != before.commits or after.head != before.head:
        return "a sync without a remote committed something"
    new = after.notes[len(before.notes) :]
    if len(new) != 1 or "\n" in new[0] or "remote" not in new[0].lower():
        return f"expected one line about the remote, got {new}"
    return None


def _typing_goes_to_a_filter(_b: Binding, before: Seen, after: Seen) -> str | None:
    if before.typing or not after.typing or after.top is not before.top:
        return f"expected a filter field focused on {type(before.top).__name__}: {after.focused}"
    return None


def changed(attr: str) -> Check:
    def check(_b: Binding, before: Seen, after: Seen) -> str | None:
        if after.attrs.get(attr) == before.attrs.get(attr):
            return f"{attr} stayed {before.attrs.get(attr)!r}"
        return None

    return check


def _focus_moved(_b: Binding, before: Seen, after: Seen) -> str | None:
    if after.focused == before.focused:
        return f"the focus stayed on {before.focused}"
    return None


def _closed(_b: Binding, before: Seen, after: Seen) -> str | None:
    if after.top is before.top or type(before.top).__name__ in after.stack:
        return f"{type(before.top).__name__} is still open"
    if after.commits != before.commits:
        return "closing it committed something"
    return None


def _back(_b: Binding, before: Seen, after: Seen) -> str | None:
    if isinstance(before.top, ModalScreen) or len(before.stack) > 1:
        return _closed(_b, before, after)
    if after.mode == before.mode:
        return f"escape stayed on {before.mode}"
    return None


def _quit_or_back(_b: Binding, before: Seen, after: Seen) -> str | None:
    if len(before.stack) > 1:
        return _closed(_b, before, after)
    return None if after.stack == ["<quit>"] else "q did not quit"


def _show_mode(binding: Binding, before: Seen, after: Seen) -> str | None:
    mode = binding.action.split("'")[1]
    if after.mode != mode:
        return f"expected the {mode} screen, got {after.mode}"
    if type(after.top).__name__ in ("HelpScreen", "CommandPalette"):
        return f"{type(after.top).__name__} left open"
    return None


def _reloaded(_b: Binding, before: Seen, after: Seen) -> str | None:
    return None if after.loads > before.loads else "no screen reloaded"


def _undo_dialog(verb: str) -> Check:
    def check(_b: Binding, before: Seen, after: Seen) -> str | None:
        top = after.top
        if not isinstance(top, UndoDialog) or top.verb != verb:
            return f"expected the {verb} dialog, got {type(top).__name__} {after.notes[-1:]}"
        if verb == "Undo" and top.result.undone.id != after.head:
            return f"the dialog offers {top.result.undone.id}, not the last change {after.head}"
        if after.commits != before.commits:
            return "the dialog committed before it was answered"
        return None

    return check


def _saved(_b: Binding, before: Seen, after: Seen) -> str | None:
    if after.commits != before.commits + 1:
        errors = getattr(after.top, "errors", {})
        return f"ctrl+s saved nothing (errors: {errors}, notes: {after.notes[-2:]})"
    if after.top is before.top:
        return "the form stayed open after saving"
    return None


def _override(binding: Binding, before: Seen, after: Seen) -> str | None:
    """With an override offered: saved anyway (forced). Without one: nothing at all."""
    if getattr(before.top, "OVERRIDE", ""):
        return _saved(binding, before, after)
    if after.commits != before.commits or after.top is not before.top:
        return "a form without an override saved or closed on ctrl+f"
    return None


def _forced(_b: Binding, before: Seen, after: Seen) -> str | None:
    problem = committed("->")(_b, before, after)
    if problem is None and "forced" not in (after.subject + after.board):
        return f"the move was not recorded as forced: {after.subject!r}"
    return problem


EFFECTS: dict[str, Check] = {
    # the app's
    "help": on_top("HelpScreen"),
    "app.help": on_top("HelpScreen"),
    "quit_or_back": _quit_or_back,
    "back": _back,
    "command_palette": on_top("CommandPalette"),
    "undo": _undo_dialog("Undo"),
    "redo": _undo_dialog("Redo"),
    "search": on_top("SearchScreen"),
    "reload": _reloaded,
    # lists
    "filter": _typing_goes_to_a_filter,
    "open_client": on_top("ClientCardScreen"),
    "new": _new,
    "new_deal": on_top("DealForm"),
    "edit": _edit,
    "log_call": on_top("ActivityForm"),
    # tasks
    "done": committed("done"),
    "snooze": committed("snooze"),
    "reschedule": on_top("RescheduleDialog"),
    "next_assignee": changed("assignee"),
    "sort": changed("sort_key"),
    # the board
    "column(-1)": _focus_moved,
    "column(1)": _focus_moved,
    "move(-1)": committed("-> lead"),
    "move(1)": committed("-> qualified"),
    "force": _forced,
    "won": committed("won"),
    "lost": on_top("LostReasonDialog"),
    "next_pipeline": changed("pipeline_id"),
    "app.focus_next": _focus_moved,
    # dialogs and forms
    "results": _focus_moved,
    "choices": _focus_moved,
    "cancel": _closed,
    "close": _closed,
    "confirm": committed("undo"),
    "save": _saved,
    "override": _override,
    # sync and conflicts
    "sync": _sync_refused,
    "conflicts": on_top("ConflictsScreen"),
    "take('mine')": committed("resolve conflict in probability (mine)"),
    "take('theirs')": committed("resolve conflict in probability (theirs)"),
    # the dashboard
    "next_member": changed("member"),
    "next_period": changed("period"),
}
"""Binding action -> what pressing its key must do (``None``: it did)."""
for _mode in TcrmApp.MODES:
    EFFECTS[f"show('{_mode}')"] = _show_mode


# --- the visits ------------------------------------------------------------------------


_FIRST_PIPELINE = "sales"
"""The pipeline the board opens on (the sample's first): the deals PREPARE picks are in it."""


WIDGET_STATE = ("value", "cursor_position", "selection", "cursor", "highlighted", "expanded")
"""What a person could have changed in a widget without changing its focus or classes:
a field's text and cursor, a list's cursor, a dropdown left open."""
SCREEN_STATE = ("sort_key", "assignee", "pipeline_id", "current", "member", "period")
_UNREADABLE = object()


def _state(node: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    out = []
    for name in names:
        try:
            out.append(getattr(node, name, None))
        except Exception:  # a property that needs what the widget does not have yet
            out.append(_UNREADABLE)
    return tuple(out)


def shown(app: TcrmApp) -> tuple[Any, ...]:
    """Everything ``base`` sets up and a key could have changed: the mode, the stack (the
    screen objects themselves), the focus, each widget of the top screen (itself, shown or
    not, its classes, scroll, text, cursor, what it says), the screen's own settings, every
    screen's loads, the app's undo memory and the repository's HEAD (read in process:
    dulwich reads the same ref the ``git`` CLI does). Equal after a key means the key left
    the app as ``base`` made it."""
    top = app.screen
    widgets = tuple(
        (
            w,
            w.display,
            w.disabled,
            frozenset(w.classes),
            w.scroll_offset,
            str(w.content) if isinstance(w, Static) else None,
            *_state(w, WIDGET_STATE),
        )
        for w in top.walk_children(Widget, with_self=True)
    )
    with Repo(str(app.ws.root)) as repo:
        head = repo.head()
    return (
        app.is_running,
        app.current_mode,
        tuple(app.screen_stack),
        top.focused,
        widgets,
        _state(top, SCREEN_STATE),
        tuple(s.loads for s in app.data_screens()),
        tuple(app.undos),
        app.undo_next,
        head,
    )


async def base(
    pilot: Pilot[Any], cls: type[Screen[Any]], made: tuple[Any, ...] | None = None
) -> tuple[Screen[Any], tuple[Any, ...]]:
    """A fresh ``cls``: every dialog closed, the other screens' stacks emptied, the board
    back on its first pipeline, then opened again as a person would (its mode, or its
    ``OPEN`` steps); with what the app showed (``shown``) when it was made.

    ``made`` is what the last ``base`` left: when the app still shows exactly that (the
    last key changed nothing ``base`` would redo: a refused sync, ``?`` on the overlay's
    own screen...), it is already a fresh ``cls`` and is not rebuilt."""
    app = pilot.app
    assert isinstance(app, TcrmApp)
    app.trail.clear()
    if made is not None and shown(app) == made:
        return app.screen, made
    popped = len(app.screen_stack) > 1
    while len(app.screen_stack) > 1:
        app.pop_screen()
        await pilot.pause()
    mode = MODE_OF.get(cls)
    if popped or app.current_mode != (mode or "today"):
        await _show(pilot, mode or "today")
    screen = app.screen
    if isinstance(screen, PipelineScreen) and screen.pipeline_id != _FIRST_PIPELINE:
        screen.switch_pipeline(_FIRST_PIPELINE)  # after ``p``: the board it opens on
        await settle(pilot)
    if isinstance(screen, DataScreen):
        screen.leave_filter()
        if screen.AUTO_FOCUS:
            screen.query_one(screen.AUTO_FOCUS).focus()
    if mode is None:
        await OPEN[cls.__name__](pilot)
    await settle(pilot)
    assert isinstance(app.screen, cls), (cls.__name__, app.screen_stack)
    if isinstance(app.screen, SearchScreen):  # keys, not typing: the results have the focus
        app.screen.query_one(RowsView).focus()
        await pilot.pause()
    return app.screen, shown(app)


async def _open_help(pilot: Pilot[Any], screen: Screen[Any]) -> HelpScreen:
    """``?``, from a place where it is a key and not a letter typed into a field; a form
    or the reschedule dialog takes ``?`` as text (their keys are in their footer or
    hint): the overlay as the app opens it."""
    if isinstance(screen.focused, Input):
        screen.set_focus(None)
        await pilot.pause()
    if isinstance(screen, ModalScreen) and "question_mark" not in screen._bindings.key_to_bindings:
        pilot.app.action_help()
    else:
        await pilot.press("question_mark")
    await settle(pilot)
    help_screen = pilot.app.screen
    assert isinstance(help_screen, HelpScreen), type(help_screen).__name__
    return help_screen


def run_visit(template: Path, root: Path, cls: type[Screen[Any]]) -> Visit:
    shutil.copytree(template, root, symlinks=True)
    app = make_app(root)
    visit = Visit()
    keys = own_bindings(cls) + app_keys(cls)
    # the filter late (the board rebuilds its columns when it closes), quitting last
    keys.sort(key=lambda k: (k[1].action == "quit_or_back", k[1].action == "filter"))

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            made: tuple[Any, ...] | None
            screen, made = await base(pilot, cls)
            help_screen = screen if isinstance(screen, HelpScreen) else None
            focused = screen.focused
            help_screen = help_screen or await _open_help(pilot, screen)
            visit.help_screen = [
                (h.binding_id, h.action, h.description) for h in help_screen.screen_keys
            ]
            visit.help_app = [(h.binding_id, h.action, h.description) for h in help_screen.app_keys]
            visit.help_text = " ".join(
                str(help_screen.query_one(f"#{i}").render()) for i in ("help-screen", "help-global")
            )
            if help_screen is not screen:  # the overlay closed, the field's focus given back
                app.pop_screen()
                await settle(pilot)
                if screen.focused is not focused:
                    screen.set_focus(focused)
                    await settle(pilot)
            for binding_id, binding in keys:
                try:
                    _, made = await base(pilot, cls, made)
                    step = PREPARE.get(binding.action)
                    if step is not None:
                        made = None  # the key starts from base + this step: base is redone
                        await step(pilot)
                        await settle(pilot)
                    before = seen(app)
                    await pilot.press(binding.key.split(",")[0])
                    await settle(pilot)
                    if binding.action == "confirm" or (
                        binding.action in ("save", "override") and app.screen is before.top
                    ):
                        await pilot.pause(0.1)  # the commit's worker
                        await settle(pilot)
                    after = seen(app) if app.is_running else _quit(before)
                    visit.pressed[binding_id] = (binding, before, after)
                except Exception as exc:
                    visit.problems[binding_id] = f"{type(exc).__name__}: {exc}"
                if not app.is_running:
                    break

    with pytest.MonkeyPatch.context() as patch:
        for var, value in IDENTITY.items():
            patch.setenv(var, value)
        asyncio.run(main())
    return visit


def _quit(before: Seen) -> Seen:
    return Seen(
        before.top, ["<quit>"], "", "", False, before.commits, before.subject, [], {}, before.loads
    )


@pytest.fixture(scope="module")
def visits(
    _sample_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Visit]:
    """Each screen visited once (on first use), on its own copy of the sample workspace."""
    done: dict[str, Visit] = {}
    classes = {c.__name__: c for c in screen_classes()}

    def visit(name: str) -> Visit:
        if name not in done:
            root = tmp_path_factory.mktemp(f"walk-{name}") / "ws"
            done[name] = run_visit(_sample_template, root, classes[name])
        return done[name]

    return visit


# --- the tests ---------------------------------------------------------------------------


def test_every_screen_can_be_reached_and_every_action_has_an_expectation() -> None:
    """A screen or a key added later must say how it is opened and what it does."""
    for cls in screen_classes():
        assert cls in MODE_OF or cls.__name__ in OPEN, f"{cls.__name__}: add a way to OPEN it"
        for binding_id, binding in own_bindings(cls) + APP_BINDINGS:
            assert binding.action in EFFECTS, f"{cls.__name__}.{binding_id}: add to EFFECTS"
    assert {"HelpScreen", "SearchScreen", "UndoDialog", "ClientCardScreen"} <= {
        c.__name__ for c in screen_classes()
    }
    assert set(TcrmApp.MODES) <= set(MODE_OF.values())


def test_a_key_means_one_thing_on_every_screen() -> None:
    """Every tcrm binding comes from the keys table, and one key is one action everywhere
    (dialogs have their own small set: y/n, Escape, ctrl+s)."""
    meaning: dict[str, str] = {}
    for cls in [*screen_classes(), TcrmApp]:
        for key, binding in cls._merged_bindings:
            if binding.id is None:  # Textual's own, or a dialog's answer keys
                continue
            assert binding.id in KEYS, (cls.__name__, binding.id)
            assert binding.action == KEYS[binding.id].action
            previous = meaning.setdefault(key, binding.action)
            assert previous == binding.action, f"{key}: {previous} / {binding.action}"


@pytest.mark.parametrize(
    "screen",
    [
        pytest.param(c.__name__, marks=_one_worker(c))
        for c in screen_classes()
        if c is not HelpScreen
    ],
)  # the overlay's own keys are in its title line (a snapshot shows them)
def test_the_help_overlay_lists_every_key_of_the_screen_and_the_app(
    visits: Callable[[str], Visit], screen: str
) -> None:
    visit = visits(screen)
    cls = next(c for c in screen_classes() if c.__name__ == screen)
    listed = {(a, d) for _, a, d in visit.help_screen}
    for binding_id, binding in own_bindings(cls):
        assert (binding.action, binding.description) in listed, binding_id
        assert binding.description in visit.help_text, binding_id
    listed_app = {(i, a, d) for i, a, d in visit.help_app}
    if not takes_app_keys(cls):  # a dialog: the app's keys wait until it is closed
        assert listed_app == set()
        assert "once this is closed" in visit.help_text
        return
    for binding_id, binding in APP_BINDINGS:
        assert (binding_id, binding.action, binding.description) in listed_app, binding_id
        assert binding.description in visit.help_text, binding_id


@pytest.mark.parametrize(("screen", "binding_id"), cases())
def test_the_key_does_what_it_says(
    visits: Callable[[str], Visit], screen: str, binding_id: str
) -> None:
    visit = visits(screen)
    assert binding_id not in visit.problems, visit.problems[binding_id]
    assert binding_id in visit.pressed, f"{binding_id} was never pressed (the app quit?)"
    binding, before, after = visit.pressed[binding_id]
    problem = EFFECTS[binding.action](binding, before, after)
    assert problem is None, f"{screen}: {binding.key} ({binding.description}): {problem}"


def test_the_walk_catches_a_key_that_does_nothing() -> None:
    """The expectations are not vacuous: an unchanged app fails each kind of check."""
    app_like = Seen(
        Screen(), ["TodayScreen"], "nowhere", "SectionTable#t", False, 5, "x", [], {}, 1
    )
    for action, check in EFFECTS.items():
        if action in ("cancel", "close", "back", "quit_or_back", "override"):
            continue  # "nothing left open" needs a dialog before; covered by the visits
        binding = Binding("x", action, "New task")
        assert check(binding, app_like, app_like) is not None, action
