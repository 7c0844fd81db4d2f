"""``tcrm tui``: the Textual app. Six screens, one key each; every change is a service call.

The app owns what the screens share: the workspace, the clock, running a change (a
service call in a worker, one commit), and noticing changes made outside (a cheap
fingerprint polled in a worker) and reminders falling due while it is open.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.filter import LineFilter
from textual.screen import ModalScreen, Screen
from textual.worker import get_current_worker

from tcrm.errors import TcrmError
from tcrm.model.due import Reminder
from tcrm.services import history
from tcrm.services import tasks as task_service
from tcrm.services.history import UndoResult
from tcrm.services.records import local_now
from tcrm.store.workspace import Workspace
from tcrm.tui import watch
from tcrm.tui.commands import ActionsProvider
from tcrm.tui.keymap import Keymap, load_keymap
from tcrm.tui.keys import bind
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.screens.client_card import ClientCardScreen
from tcrm.tui.screens.clients import ClientsScreen
from tcrm.tui.screens.forms import ActivityForm, ClientForm, DealForm, TaskForm
from tcrm.tui.screens.help import HelpScreen
from tcrm.tui.screens.kb import KbScreen
from tcrm.tui.screens.pipeline import PipelineScreen
from tcrm.tui.screens.tasks import TasksScreen
from tcrm.tui.screens.today import TodayScreen
from tcrm.tui.screens.undo import UndoDialog
from tcrm.tui.sync import Syncer
from tcrm.tui.terminal import VisibleText
from tcrm.tui.widgets.nav import NavBar

T = TypeVar("T")
Clock = Callable[[], datetime]

POLL_SECONDS = 2.0
REMINDER_HORIZON = timedelta(days=2)
"""Reminders are loaded this far ahead, and again when half of that has passed."""


def dashboard_screen() -> Screen[None]:
    """The dashboard, imported when first shown: Today's first paint never pays for it."""
    from tcrm.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


_VISIBLE = VisibleText()
"""One instance: Textual caches filtered lines per filter."""


class TcrmApp(App[None]):
    """The TUI of one workspace."""

    CSS_PATH = "app.tcss"
    TITLE = "tcrm"
    COMMANDS: ClassVar = App.COMMANDS | {ActionsProvider}
    COMMAND_PALETTE_BINDING: ClassVar[str] = "question_mark"
    """The key Textual's footer docks on its right, where it always shows: ``?`` (the
    help overlay lists every key, the palette's too). Left with the other keys, it was
    cut off at 80 columns on every screen."""
    MODES: ClassVar[dict[str, Any]] = {
        "today": TodayScreen,
        "pipeline": PipelineScreen,
        "clients": ClientsScreen,
        "tasks": TasksScreen,
        "kb": KbScreen,
        "dashboard": dashboard_screen,  # built (and imported) when first shown
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("help", show=False),  # shown docked right (COMMAND_PALETTE_BINDING)
        bind("quit", show=False),
        bind("back", show=False),
        bind("palette", show=False),
        bind("screen-today", show=False),
        bind("screen-pipeline", show=False),
        bind("screen-clients", show=False),
        bind("screen-tasks", show=False),
        bind("screen-kb", show=False),
        bind("screen-dashboard", show=False),
        bind("reload", show=False),
        bind("search", show=False),
        bind("undo", show=False),
        bind("redo", show=False),
        bind("sync", show=False),
        bind("conflicts", show=False),
    ]

    def __init__(
        self,
        workspace: Workspace,
        *,
        clock: Clock | None = None,
        poll_seconds: float | None = POLL_SECONDS,
        quiet: bool = False,
        theme: str | None = None,
        keymap: Path | None = None,
    ) -> None:
        super().__init__()
        self.keymap = load_keymap(keymap) if keymap is not None else Keymap()
        """The user's keymap file (see ``tcrm.tui.keymap``); ``None``: the default keys."""
        self.trail: list[str] = []
        """The modes shown before the current one, last last: where Escape goes back to."""
        self.ws = workspace
        self.clock: Clock = clock or (lambda: datetime.now().astimezone())
        self.poll_seconds = poll_seconds
        self.quiet = quiet
        """Tests and snapshots: no animations, no blinking cursor."""
        if quiet:
            self.animation_level = "none"
        if theme:
            self.theme = theme
        self.title = f"tcrm · {workspace.settings.name}"
        self._write_lock = threading.Lock()
        self._fingerprint: watch.Fingerprint | None = None
        self._pending: list[Reminder] = []
        self._reminders_until: datetime | None = None
        self._reminders_loaded = False
        self._collector_was_on = False
        self._notified: set[tuple[str, str, str]] = set()
        self._last_tick: datetime | None = None
        self.reminded: list[Reminder] = []
        """Reminders notified while open, oldest first."""
        self.changes = 0
        """Changes made through this app (each one commit at most)."""
        self.undos: list[str] = []
        """The commits of the undos made here, newest last: what ``U`` redoes."""
        self.undo_next: str | None = None
        """After a redo: the commit ``u`` undoes (the redo itself)."""
        self.syncer = Syncer(self)
        """Sync with the remote (``P``), one at a time."""

    # --- the terminal --------------------------------------------------------------

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then record text made visible on every line painted."""
        return [*super().get_line_filters(), _VISIBLE]

    # --- time ----------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock's time in the workspace's zone."""
        return local_now(self.ws, self.clock())

    # --- screens -------------------------------------------------------------------

    def on_mount(self) -> None:
        # Python's cyclic collector would rescan the thousands of records the first
        # screen loads several times while it paints (a quarter of a second on 50,000
        # tasks); it resumes once that screen is complete (they hold no cycles).
        self._collector_was_on = gc.isenabled()
        gc.disable()
        self._last_tick = self.now()
        if self.keymap.keys:
            self.set_keymap(self.keymap.keys)
            if "help" in self.keymap.keys:  # the footer docks the user's key for it
                key = self.keymap.keys["help"].split(",")[0]
                setattr(self, "COMMAND_PALETTE_BINDING", key)  # noqa: B010 - a ClassVar
        if self.keymap.problem:
            self.notify(self.keymap.problem, title="Keymap", severity="warning", markup=False)
        self.switch_mode("today")
        self._remember_fingerprint()
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self.tick)

    def action_show(self, mode: str) -> None:
        if mode != self.current_mode:
            self.trail.append(self.current_mode)
            del self.trail[:-50]
        self.switch_mode(mode)

    async def action_back(self) -> None:
        """Escape: out of a dialog or a filter, off a sub-screen, else the screen before."""
        screen = self.screen
        if isinstance(screen, ModalScreen):
            screen.dismiss(None)
            return
        if isinstance(screen, DataScreen) and screen.leave_filter():
            return
        if len(self.screen_stack) > 1:
            origin = getattr(screen, "origin", None)
            self.pop_screen()
            if origin and origin != self.current_mode:
                self.switch_mode(origin)
            return
        while self.trail:
            mode = self.trail.pop()
            if mode != self.current_mode:
                self.switch_mode(mode)
                return

    async def action_quit_or_back(self) -> None:
        """``q``: back when a dialog or a sub-screen is open, else quit."""
        if len(self.screen_stack) > 1:
            await self.action_back()
        else:
            self.exit()

    def action_search(self) -> None:
        """Global search, over the current screen (Escape comes back to it)."""
        from tcrm.tui.screens.search import SearchScreen

        if not isinstance(self.screen, SearchScreen):
            self.push_screen(SearchScreen())

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
            return
        name = getattr(screen, "PALETTE_NAME", "") or type(screen).__name__
        self.push_screen(HelpScreen(screen, name, dict(self._keymap)))

    def action_sync(self) -> None:
        """``tcrm sync`` in a worker; nothing when a sync is already running."""
        self.syncer.start()

    def action_conflicts(self) -> None:
        """The conflicts a sync recorded, over the current screen (Escape comes back)."""
        from tcrm.tui.screens.conflicts import ConflictsScreen

        if not isinstance(self.screen, ConflictsScreen):
            self.push_screen(ConflictsScreen())

    @property
    def status_line(self) -> str:
        """What the nav bar shows in place of the clock: a sync's step."""
        return self.syncer.status

    def data_screens(self) -> list[DataScreen]:
        """Every data screen in every mode's stack."""
        screens: list[DataScreen] = []
        for mode in (self.DEFAULT_MODE, *self.MODES):
            try:
                stack = self.get_screen_stack(mode)
            except KeyError:  # a mode not shown yet has no stack
                continue
            screens.extend(s for s in stack if isinstance(s, DataScreen))
        return screens

    def reload_all(self) -> None:
        """Everything is stale; the screens on top reload now, the others when shown."""
        for screen in self.data_screens():
            screen.stale = True
        top = self.screen
        if isinstance(top, DataScreen):
            top.reload()
        else:  # a modal over a data screen: reload the one under it
            for screen in reversed(self.screen_stack):
                if isinstance(screen, DataScreen):
                    screen.reload()
                    break
        self._load_reminders()

    def action_reload(self) -> None:
        self.ws = Workspace(self.ws.root)
        self.reload_all()

    def open_client(self, client_id: str) -> None:
        """The client card, on top of the Clients screen; Escape goes back to where it was
        opened from (Today, the board...)."""
        top = self.screen
        origin = top.origin if isinstance(top, ClientCardScreen) else self.current_mode
        self.switch_mode("clients")
        while isinstance(self.screen, ClientCardScreen):  # one card at a time
            self.pop_screen()
        self.push_screen(ClientCardScreen(client_id, origin=origin))

    def on_data_screen_ready(self, message: DataScreen.Ready) -> None:
        if not self._reminders_loaded:  # after the first screen painted: never delays it
            self._reminders_loaded = True
            if self._collector_was_on:
                gc.enable()
            self._load_reminders()

    def on_unmount(self) -> None:
        if self._collector_was_on:  # a screen that never finished loading
            gc.enable()

    # --- forms available everywhere ------------------------------------------------

    def action_new_client(self) -> None:
        self.push_screen(ClientForm())

    def action_new_deal(self) -> None:
        self.push_screen(DealForm())

    def action_new_task(self) -> None:
        self.push_screen(TaskForm())

    def action_log(self) -> None:
        self.push_screen(ActivityForm())

    # --- undo and redo ---------------------------------------------------------------

    def action_undo(self) -> None:
        self._preview_undo("Undo", self.undo_next)

    def action_redo(self) -> None:
        if not self.undos:
            self.notify("Nothing to redo: no undo made here since the last change.")
            return
        self._preview_undo("Redo", self.undos[-1])

    @work(thread=True, exclusive=True, group="undo")
    def _preview_undo(self, verb: str, commit: str | None) -> None:
        """What the undo would change (``tcrm undo --dry-run``), then the dialog."""
        try:
            preview = history.undo(self.ws, commit=commit, dry_run=True)
        except TcrmError as exc:
            self.call_from_thread(
                self.notify,
                str(exc),
                title=f"Cannot {verb.lower()}",
                severity="error",
                markup=False,
            )
            return
        self.call_from_thread(self._ask_undo, verb, preview)

    def _ask_undo(self, verb: str, preview: UndoResult) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._make_undo(verb, preview.undone.id)

        self.push_screen(UndoDialog(verb, preview), answered)

    def _make_undo(self, verb: str, commit: str) -> None:
        ws, undos = self.ws, list(self.undos)

        def done(result: UndoResult) -> None:  # after ``_changed`` forgot the undos
            if verb == "Undo":
                self.undos = [*undos, result.commit or ""]
                self.undo_next = None
            else:
                self.undos = undos[:-1]
                self.undo_next = result.commit

        self.change(
            lambda: history.undo(ws, commit=commit),
            success=lambda r: f"{'Undid' if verb == 'Undo' else 'Redid'} {r.undone.subject}",
            then=done,
        )

    # --- changes -------------------------------------------------------------------

    def change(
        self,
        action: Callable[[], T],
        *,
        success: Callable[[T], str | None],
        failure: Callable[[TcrmError], None] | None = None,
        then: Callable[[T], None] | None = None,
    ) -> None:
        """Run ``action`` (a service call: validate, write, one commit) in a worker.

        ``success`` words the notification; ``failure`` shows a refusal where it belongs
        (next to a field, under the board), else it is a notification.
        """
        self._run_change(action, success, failure, then)

    @work(thread=True, group="change")
    def _run_change(
        self,
        action: Callable[[], Any],
        success: Callable[[Any], str | None],
        failure: Callable[[TcrmError], None] | None,
        then: Callable[[Any], None] | None,
    ) -> None:
        try:
            with self._write_lock:
                result = action()
                fingerprint = watch.fingerprint(self.ws)
        except TcrmError as exc:
            self.call_from_thread(self._change_failed, exc, failure)
            return
        self.call_from_thread(self._changed, result, fingerprint, success, then)

    def _changed(
        self,
        result: Any,
        fingerprint: watch.Fingerprint,
        success: Callable[[Any], str | None],
        then: Callable[[Any], None] | None,
    ) -> None:
        self.changes += 1
        self.undos = []  # a new change: what was undone stays undone (an undo's
        self.undo_next = None  # ``then`` sets them again)
        self._fingerprint = fingerprint
        text = success(result)
        if text:
            self.notify(text, markup=False)
        if then is not None:
            then(result)
        self.reload_all()

    def _change_failed(self, error: TcrmError, failure: Callable[[TcrmError], None] | None) -> None:
        if failure is not None:
            failure(error)
        else:
            self.notify(str(error), title="Refused", severity="error", markup=False)

    # --- outside changes and reminders -----------------------------------------------

    def tick(self) -> None:
        """Every few seconds: the clock in the nav bar, reminders, outside changes."""
        for nav in self.screen.query(NavBar):
            nav.refresh_clock()
        self.check_reminders()
        if self._reminders_until is not None and self.now() >= self._reminders_until:
            self._reminders_until = None
            self._load_reminders()  # open for a day: look further ahead
        self._poll()

    @work(thread=True, exclusive=True, group="poll")
    def _remember_fingerprint(self) -> None:
        self._fingerprint = watch.fingerprint(self.ws)

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        if self.syncer.running:  # the sync's own writes; the screens reload after it
            return
        current = watch.fingerprint(self.ws)
        if self._fingerprint is not None and current != self._fingerprint:
            self.call_from_thread(self._outside_change, current)
        elif self._fingerprint is None:
            self._fingerprint = current

    def _outside_change(self, fingerprint: watch.Fingerprint) -> None:
        self._fingerprint = fingerprint
        self.ws = Workspace(self.ws.root)  # tcrm.yaml may have changed too
        self.notify("The workspace changed outside tcrm; reloaded.", timeout=3)
        self.reload_all()

    @work(thread=True, exclusive=True, group="reminders")
    def _load_reminders(self) -> None:
        now = self.now()
        self._reminders_until = now + REMINDER_HORIZON / 2
        pending = task_service.coming_reminders(self.ws, now=now, within=REMINDER_HORIZON)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._set_pending, pending)

    def _set_pending(self, pending: list[Reminder]) -> None:
        self._pending = sorted(pending, key=lambda r: (r.at, r.task.id))

    def check_reminders(self) -> list[Reminder]:
        """Notify the reminders that fell due since the last check; each once."""
        now = self.now()
        since = self._last_tick or now
        self._last_tick = now
        due = []
        for reminder in self._pending:
            key = (reminder.task.id, reminder.offset, reminder.at.isoformat())
            if since < reminder.at <= now and key not in self._notified:
                self._notified.add(key)
                due.append(reminder)
        for reminder in due:
            self.reminded.append(reminder)
            self.notify(
                f"{reminder.task.title} (due {reminder.due_at:%H:%M}, {reminder.offset} before)",
                title="Reminder",
                severity="warning",
                timeout=30,
                markup=False,
            )
        return due
