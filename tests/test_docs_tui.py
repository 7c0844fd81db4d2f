"""docs/tui.md names every key and every screen: its key table is the one
``scripts/make_tui_keys.py`` writes from tcrm/tui/keys.py, and every binding id and every
screen of the app's nav bar has its place there."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from tcrm.tui.app import TcrmApp
from tcrm.tui.keys import KEYS
from tcrm.tui.widgets.nav import SCREENS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "tui.md"
REGENERATE = "python scripts/make_tui_keys.py"


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_tui_keys", ROOT / "scripts" / "make_tui_keys.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_key_table_is_the_one_the_keys_make() -> None:
    make = script()
    assert make.rewritten(text()) == text(), f"the key table is stale: run {REGENERATE}"


def test_every_binding_id_is_in_the_table() -> None:
    table = text().split(script().BEGIN, 1)[1].split(script().END, 1)[0]
    rows = re.findall(r"^\| `([\w-]+)` \|", table, re.M)
    assert rows == list(KEYS)


def test_every_binding_is_bound_somewhere() -> None:
    """An id nobody binds would be a line of the docs that no key does."""
    where = script().where_bound()
    assert set(where) == set(KEYS), set(KEYS) - set(where)


def test_a_stale_table_is_caught() -> None:
    make = script()
    stale = text().replace("| `done` | `d` |", "| `done` | `x` |")
    assert stale != text() and make.rewritten(stale) == text()


def test_every_screen_of_the_nav_bar_has_a_section() -> None:
    headings = re.findall(r"^##+ (.+)$", text(), re.M)
    assert {mode for mode, _, _ in SCREENS} == set(TcrmApp.MODES)
    for mode, key, label in SCREENS:
        assert any(h.startswith(label) or label in h for h in headings), (mode, label)
        assert f"| `{key}` |" in text(), (mode, key)
    for name in ("Dashboard", "Conflicts and sync", "Forms", "Search everything"):
        assert name in headings, name


def test_the_keymap_file_is_documented() -> None:
    assert "$XDG_CONFIG_HOME/tcrm/keymap.yaml" in text()
    assert "~/.config/tcrm/keymap.yaml" in text()
