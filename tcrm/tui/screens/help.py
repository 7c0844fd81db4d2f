"""The help overlay (``?``): the keys of the screen under it, then the keys of every screen
(none over a dialog: Textual stops at a modal screen, so they work once it is closed).

Both lists are read from the bindings themselves (with the user's keymap applied), so the
overlay cannot drift from what the keys do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from tcrm.tui.keys import KEYS, shown_keys


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    """As shown: ``d``, ``[ h``, ``ctrl+s``."""
    description: str
    action: str
    binding_id: str | None


def key_help(node: DOMNode, keymap: dict[str, str]) -> list[KeyHelp]:
    """The bindings of ``node`` (keymap applied), one line per binding, in their order."""
    bindings = node._bindings.copy()
    if keymap:
        bindings.apply_keymap(keymap)
    keys: dict[tuple[str, str | None], list[str]] = {}
    first: dict[tuple[str, str | None], Binding] = {}
    for key, binding in bindings:
        if not binding.description:
            continue
        group = (binding.action, binding.id)
        keys.setdefault(group, []).append(key)
        first.setdefault(group, binding)
    out = []
    for group, binding in first.items():
        default = KEYS.get(binding.id or "")
        if default is not None and binding.id not in keymap and default.display:
            label = default.display
        elif binding.id is None and binding.key_display:
            label = binding.key_display
        else:
            label = shown_keys(",".join(keys[group]))
        out.append(KeyHelp(label, binding.description, binding.action, binding.id))
    return sorted(out, key=lambda h: h.binding_id is None)  # tcrm's keys, then Textual's


def _table(title: str, rows: list[KeyHelp]) -> Content:
    width = max((len(r.keys) for r in rows), default=1)
    lines = [Content.styled(title, "bold $accent")]
    for row in rows:
        lines.append(
            Content.assemble((row.keys.rjust(width), "bold $text-accent"), "  ", row.description)
        )
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Keys of ``screen`` and of the app; any of ``?``, ``q`` or Escape closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: auto; max-width: 90%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-columns { width: auto; height: auto; layout: horizontal; }
    HelpScreen .help-list { width: auto; height: auto; margin-right: 3; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", key_display="esc"),
    ]

    def __init__(self, screen: Any, name: str, keymap: dict[str, str]) -> None:
        super().__init__()
        self.under = screen
        self.screen_name = name
        self.screen_keys = key_help(screen, keymap)
        self.in_dialog = isinstance(screen, ModalScreen)
        """Over a dialog or a form the app's keys wait until it is closed: none listed."""
        self.app_keys = [] if self.in_dialog else key_help(screen.app, keymap)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(
                f"Keys · {self.screen_name}   (esc, q or ? closes; ctrl+p or : for commands)",
                id="help-title",
                markup=False,
            )
            with VerticalScroll(id="help-columns"):
                yield Static(
                    _table(f"On {self.screen_name}", self.screen_keys),
                    id="help-screen",
                    classes="help-list",
                )
                everywhere = "Everywhere (once this is closed)" if self.in_dialog else "Everywhere"
                yield Static(
                    _table(everywhere, self.app_keys), id="help-global", classes="help-list"
                )

    def action_close(self) -> None:
        self.dismiss(None)
