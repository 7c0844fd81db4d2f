"""Regenerate the key table of docs/tui.md from tcrm/tui/keys.py: python scripts/make_tui_keys.py

The table sits between the ``<!-- keys:begin -->`` and ``<!-- keys:end -->`` lines;
tests/test_docs_tui.py fails while it differs from what this writes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from textual.screen import Screen

import tcrm.tui.screens
from tcrm.tui.app import TcrmApp
from tcrm.tui.keys import markdown_table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "tui.md"
BEGIN = "<!-- keys:begin (python scripts/make_tui_keys.py writes this table) -->"
END = "<!-- keys:end -->"


def screens() -> list[type[Screen[object]]]:
    """The screens of the TUI that bind tcrm keys: the app's modes first, in their order,
    then the others (the client card, the search...) by name."""
    found: dict[str, type[Screen[object]]] = {}
    for module in pkgutil.walk_packages(tcrm.tui.screens.__path__, "tcrm.tui.screens."):
        for _, obj in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(obj, Screen) and obj.__module__.startswith("tcrm.tui."):
                found[obj.__name__] = obj
    modes = [cls for cls in TcrmApp.MODES.values() if isinstance(cls, type)]
    rest = sorted((c for c in found.values() if c not in modes), key=lambda c: c.__name__)
    return [*modes, *rest]


def where_bound() -> dict[str, list[str]]:
    """Binding id -> the screens it is bound on ("everywhere" for the app's own)."""
    where: dict[str, list[str]] = {}
    for _, binding in TcrmApp._merged_bindings or []:
        if binding.id:
            where[binding.id] = ["everywhere"]
    for cls in screens():
        name = getattr(cls, "PALETTE_NAME", "") or cls.__name__
        for _, binding in cls._merged_bindings or []:
            if binding.id and name not in where.setdefault(binding.id, []):
                where[binding.id].append(name)
    return where


def table() -> str:
    return markdown_table(where_bound())


def rewritten(text: str) -> str:
    """``text`` (docs/tui.md) with the table between the markers replaced."""
    head, found, rest = text.partition(BEGIN + "\n")
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{DOC}: the {BEGIN!r} and {END!r} lines are missing")
    return f"{head}{BEGIN}\n{table()}{END}{tail}"


def main() -> None:
    DOC.write_text(rewritten(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the key table of {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
