"""Sync from the TUI (``P``, or "Sync with remote" in the palette).

The same ``sync`` service as ``tcrm sync``, run as one of the app's changes (a worker, the
app's write lock, then every screen reloads), so the UI stays responsive while git talks to
the remote. Its steps (fetching, merging, pushing) show on the nav bar, its result as one
line; a sync that recorded conflicts opens the Conflicts screen. A second ``P`` while a sync
runs does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.screen import ModalScreen

from tcrm.errors import TcrmError
from tcrm.model.words import plural
from tcrm.services import conflicts as conflict_service
from tcrm.services import sync as sync_service
from tcrm.store.workspace import Workspace
from tcrm.tui.widgets.nav import NavBar

if TYPE_CHECKING:
    from tcrm.tui.app import TcrmApp

REMOTE = "origin"


@dataclass(frozen=True)
class Synced:
    """What a sync did, and the conflicts open in the workspace after it."""

    report: sync_service.SyncReport
    open_conflicts: int


def one_line(text: str) -> str:
    """An error as one line (notifications wrap; a message never spans lines)."""
    return " ".join(text.split())


def summary(synced: Synced) -> str:
    """``Pulled 3 commits from origin/main and merged them (4 files); pushed 2 commits.``"""
    report = synced.report
    where = f"{report.remote}/{report.branch}"
    incoming = plural(report.incoming, "commit", grouped=False)
    files = plural(len(report.changed), "file", grouped=False)
    if report.action == "pushed":
        text = f"Pushed {plural(report.outgoing, 'commit', grouped=False)} to {where}."
    elif report.action == "fast-forward":
        text = f"Pulled {incoming} from {where} ({files} changed)."
    elif report.action == "merged":
        pushed = plural(report.outgoing + 1, "commit", grouped=False)
        text = f"Pulled {incoming} from {where} and merged them ({files})" + (
            f"; pushed {pushed}." if report.pushed else "."
        )
    else:
        text = f"Up to date with {where}."
    new = len(report.conflicts)
    if new:
        text += f" {plural(new, 'conflict', grouped=False)} recorded."
    elif synced.open_conflicts:
        text += f" {plural(synced.open_conflicts, 'conflict', grouped=False)} still open (C)."
    return text


class Syncer:
    """The app's one sync at a time, and what its status line says."""

    def __init__(self, app: TcrmApp, remote: str = REMOTE) -> None:
        self.app = app
        self.remote = remote
        self.step: str | None = None
        """The step under way (``starting``, ``fetching``...), ``None`` when no sync runs."""
        self.results: list[str] = []
        """The line each finished sync showed, oldest first."""

    @property
    def running(self) -> bool:
        return self.step is not None

    @property
    def status(self) -> str:
        """What the nav bar shows while a sync runs (nothing otherwise)."""
        return f"⟳ sync: {self.step}…" if self.step else ""

    def start(self) -> bool:
        """Start a sync; ``False`` (and nothing happens) when one is running."""
        if self.running:
            return False
        self._set_step("starting")
        ws, remote = self.app.ws, self.remote
        told = self._told

        def run() -> Synced:
            report = sync_service.sync(ws, remote=remote, steps=told)
            return Synced(report, len(conflict_service.open_conflicts(ws)))

        self.app.change(run, success=self._succeeded, failure=self._failed, then=self._then)
        return True

    def _told(self, step: str) -> None:
        """A step of the service, from the worker thread."""
        self.app.call_from_thread(self._set_step, step)

    def _set_step(self, step: str | None) -> None:
        self.step = step
        for nav in self.app.screen.query(NavBar):
            nav.refresh_clock()

    def _succeeded(self, synced: Synced) -> str:
        self._set_step(None)
        text = summary(synced)
        self.results.append(text)
        return text

    def _then(self, synced: Synced) -> None:
        """Read the workspace again (``tcrm.yaml`` may have changed), say the notes, and
        show what the sync left to settle."""
        app = self.app
        app.ws = Workspace(app.ws.root)
        for note in synced.report.notes:
            app.notify(one_line(note), title="Sync note", severity="warning", markup=False)
        if synced.report.conflicts:
            app.call_later(self._show_conflicts, len(synced.report.conflicts))

    def _show_conflicts(self, count: int) -> None:
        """The Conflicts screen, unless a dialog or form is open: then a notification."""
        if isinstance(self.app.screen, ModalScreen):
            self.app.notify(
                f"The sync recorded {plural(count, 'conflict', grouped=False)}: "
                "press C to settle them.",
                title="Conflicts",
                severity="warning",
                markup=False,
            )
            return
        self.app.action_conflicts()

    def _failed(self, error: TcrmError) -> None:
        """One line; the screens read the workspace again, as a push refused after the
        merge leaves their changes committed here."""
        self._set_step(None)
        text = one_line(str(error))
        self.results.append(text)
        self.app.notify(text, title="Sync failed", severity="error", markup=False)
        self.app.action_reload()
