"""The command palette (ctrl+p): every action of the app and of the current screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tcrm.tui.widgets.nav import SCREENS


@dataclass(frozen=True)
class Command:
    title: str
    help: str
    run: Callable[[], Any]


GLOBAL_ACTIONS = (
    ("new_client", "New client", "add a client with the form"),
    ("new_deal", "New deal", "open a deal with the form"),
    ("new_task", "New task", "add a task with the form"),
    ("log", "Log an activity", "a call, meeting, email or note, with a follow-up"),
    ("search", "Search everything", "clients, contacts, deals, tasks, activities, kb (g)"),
    ("undo", "Undo my last change", "shows the diff first (u)"),
    ("redo", "Redo what I undid", "shows the diff first (U)"),
    ("reload", "Reload", "read the workspace again (f5)"),
    ("sync", "Sync with remote", "fetch, merge field by field, push: tcrm sync (P)"),
    ("conflicts", "Show conflicts", "what a sync recorded; take mine, theirs or a value (C)"),
)


def _screen_bindings(screen: Any) -> list[Binding]:
    seen: set[str] = set()
    out = []
    for binding in getattr(screen, "BINDINGS", []):
        if isinstance(binding, Binding) and binding.description and binding.action not in seen:
            seen.add(binding.action)
            out.append(binding)
    return out


def commands(app: Any, screen: Any) -> list[Command]:
    """What the palette offers over ``screen``: its own actions first, then the app's."""
    out: list[Command] = []
    name = getattr(screen, "PALETTE_NAME", "") or type(screen).__name__.removesuffix("Screen")
    for binding in _screen_bindings(screen):
        keys = binding.key_display or binding.key
        out.append(
            Command(
                f"{name}: {binding.description}",
                f"key {keys}",
                partial(screen.run_action, binding.action),
            )
        )
    for command in getattr(screen, "extra_commands", lambda: [])():
        out.append(command)
    for mode, key, label in SCREENS:
        out.append(Command(f"Go to {label}", f"key {key}", partial(app.action_show, mode)))
    for action, title, help_text in GLOBAL_ACTIONS:
        out.append(Command(title, help_text, partial(app.run_action, action)))
    return out


class ActionsProvider(Provider):
    """Every action, searchable by name; shown in full when the palette opens."""

    def _commands(self) -> list[Command]:
        return commands(self.app, self.screen)  # the screen the palette was opened over

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
