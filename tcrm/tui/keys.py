"""Every key of the TUI, in one table: a binding id means one key and one action everywhere.

Screens build their bindings from here (``bind("done")``), so ``d`` cannot mean "done" on
one screen and something else on another, the help overlay lists what is bound, and a
user's keymap file rebinds an id on every screen at once (Textual's keymap, by id).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    keys: str
    """Textual key names, comma-separated."""
    action: str
    description: str
    display: str | None = None


KEYS: dict[str, Key] = {
    # everywhere (the app's own)
    "help": Key("question_mark", "help", "Keys", "?"),
    "quit": Key("q", "quit_or_back", "Quit / back"),
    "back": Key("escape", "back", "Back", "esc"),
    "palette": Key("colon,ctrl+p", "command_palette", "Commands", ": ctrl+p"),
    "undo": Key("u", "undo", "Undo"),
    "redo": Key("U", "redo", "Redo"),
    "search": Key("g", "search", "Search all"),
    "reload": Key("f5,ctrl+r", "reload", "Reload", "f5"),
    "screen-today": Key("1", "show('today')", "Today"),
    "screen-pipeline": Key("2", "show('pipeline')", "Pipeline"),
    "screen-clients": Key("3", "show('clients')", "Clients"),
    "screen-tasks": Key("4", "show('tasks')", "Tasks"),
    "screen-kb": Key("5", "show('kb')", "KB"),
    "sync": Key("P", "sync", "Sync"),
    "conflicts": Key("C", "conflicts", "Conflicts"),
    "screen-dashboard": Key("6", "show('dashboard')", "Dashboard"),
    # lists
    "filter": Key("slash", "filter", "Filter", "/"),
    "open-client": Key("o", "open_client", "Client"),
    "new": Key("n", "new", "New"),
    "edit": Key("e", "edit", "Edit"),
    "log-call": Key("c", "log_call", "Log call"),
    # tasks
    "done": Key("d", "done", "Done"),
    "snooze": Key("s", "snooze", "Snooze"),
    "reschedule": Key("r", "reschedule", "Resched."),
    "assignee": Key("a", "next_assignee", "Assignee"),
    # clients
    "sort": Key("S", "sort", "Sort"),
    "new-deal": Key("D", "new_deal", "New deal"),
    # the board
    "column-left": Key("left", "column(-1)", "Column left", "←"),
    "column-right": Key("right", "column(1)", "Column right", "→"),
    "move-back": Key("left_square_bracket,h", "move(-1)", "Move back", "[ h"),
    "move-on": Key("right_square_bracket,l", "move(1)", "Move on", "] l"),
    "force": Key("f", "force", "Move anyway"),
    "won": Key("w", "won", "Won"),
    "lost": Key("x", "lost", "Lost"),
    "pipeline": Key("p", "next_pipeline", "Pipeline"),
    # the conflicts screen (``e`` types a value of your own)
    "take-mine": Key("M", "take('mine')", "Take mine"),
    "take-theirs": Key("T", "take('theirs')", "Take theirs"),
    # the dashboard
    "member": Key("m", "next_member", "Member"),
    "period": Key("t", "next_period", "Period"),
    # the knowledge base
    "next-pane": Key("tab", "app.focus_next", "Next pane", "tab"),
}


KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "esc",
    "left": "←",
    "right": "→",
}
"""Textual's key names as a person reads them."""


def shown_keys(keys: str) -> str:
    """``left_square_bracket,h`` -> ``[ h``."""
    return " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def markdown_table(where: dict[str, list[str]]) -> str:
    """Every binding id, its default keys, what it does and ``where`` it is bound (id ->
    screen names): the table docs/tui.md holds (``python scripts/make_tui_keys.py``
    writes it there; a test keeps it equal)."""
    lines = ["| Id | Keys | Does | On |", "|---|---|---|---|"]
    for binding_id, key in KEYS.items():
        shown = " ".join(f"`{k}`" for k in shown_keys(key.keys).split(" "))
        on = ", ".join(where.get(binding_id, [])) or "(nowhere yet)"
        lines.append(f"| `{binding_id}` | {shown} | {key.description} | {on} |")
    return "\n".join(lines) + "\n"


def bind(binding_id: str, description: str | None = None, *, show: bool = True) -> Binding:
    """The binding ``binding_id`` names (``description`` words it for one screen:
    "New task", "New deal")."""
    key = KEYS[binding_id]
    return Binding(
        key.keys,
        key.action,
        description or key.description,
        show=show,
        key_display=key.display,
        id=binding_id,
    )
