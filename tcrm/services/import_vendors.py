"""Other CRMs' exports, described as data: one YAML file per tool in ``vendors/``.

Each file says how to recognise the tool's export (``detect``: groups of headers), which
column holds the tool's own id of a row (``ids``, kept as ``external_ids``), what its
headers mean (``headers``, on top of the names every import knows), how its values read
(``values`` for a whole cell, ``items`` for an item of a list cell), the date formats it
writes and the footer rows it adds below the data. Supporting one more tool, or one more
column, is a change to a data file, not to code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tcrm.errors import UsageError
from tcrm.services.import_upsert import EXTERNAL
from tcrm.services.imports import Source, SourceRow, header_key

VENDOR_DIR = Path(__file__).with_name("vendors")
_SPLIT = re.compile(r"\s*(?:;|\n|:::)\s*")


def _word(text: str) -> str:
    return " ".join(str(text).casefold().split())


@dataclass(frozen=True)
class Vendor:
    """How one tool writes its exports (see the module's docstring)."""

    key: str
    """The file's stem: ``hubspot``; also the key of ``external_ids``."""
    name: str
    detect: tuple[frozenset[str], ...]
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    headers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    items: dict[str, dict[str, str | None]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()

    def columns(self, kind: str, headers: list[str]) -> dict[str, str | None]:
        """``{header key: target}`` for the headers this tool's data names; the first
        of the kind's id columns the file has becomes ``external_ids.<tool>``."""
        keys = [header_key(h) for h in headers]
        out: dict[str, str | None] = {}
        known = self.headers.get(kind, {})
        for key in keys:
            if key in known:
                out[key] = known[key]
        for key in self.ids.get(kind, ()):
            if key in keys:
                out[key] = EXTERNAL + self.key
                break
        return out

    def prepare(self, source: Source) -> Source:
        """``source`` without the tool's footer rows, with its values read as tcrm's."""
        keys = [header_key(h) for h in source.headers]
        values = {i: self.values[k] for i, k in enumerate(keys) if k in self.values}
        items = {i: self.items[k] for i, k in enumerate(keys) if k in self.items}
        rows = []
        for row in source.rows:
            if self._is_footer(row):
                continue
            if values or items:
                row = SourceRow(
                    row.number, [_cell(i, v, values, items) for i, v in enumerate(row.values)]
                )
            rows.append(row)
        problems = [p for p in source.problems if any(r.number == p[0] for r in rows)]
        return Source(
            source.name,
            source.headers,
            rows,
            source.unit,
            source.column_word,
            source.canonical,
            problems,
        )

    def _is_footer(self, row: SourceRow) -> bool:
        if not self.footer or not row.values:
            return False
        first = row.values[0]
        if not isinstance(first, str) or any(
            isinstance(v, str) and v.strip() for v in row.values[1:]
        ):
            return False
        key = header_key(first)
        return any(key.startswith(prefix) for prefix in self.footer)


def _cell(
    index: int,
    value: str | list[str],
    values: dict[int, dict[str, str]],
    items: dict[int, dict[str, str | None]],
) -> str | list[str]:
    if not isinstance(value, str):
        return value
    if index in values:
        value = values[index].get(_word(value), value)
    if index in items:
        table = items[index]
        kept = []
        for item in _SPLIT.split(value.strip()):
            new = table.get(_word(item), item) if item else None
            if new:
                kept.append(new)
        value = "; ".join(kept)
    return value


def _load(path: Path) -> Vendor:
    where = f"{path.parent.name}/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{where}{line}: not valid YAML: {exc}") from None
    try:
        return Vendor(
            key=path.stem,
            name=str(data["name"]),
            detect=tuple(frozenset(header_key(h) for h in group) for group in data["detect"]),
            ids={k: tuple(header_key(h) for h in v) for k, v in (data.get("ids") or {}).items()},
            headers={
                kind: {header_key(h): t for h, t in (table or {}).items()}
                for kind, table in (data.get("headers") or {}).items()
            },
            values=_tables(data.get("values")),
            items=_tables(data.get("items")),
            date_formats=tuple(data.get("date_formats") or ()),
            footer=tuple(header_key(f) for f in data.get("footer") or ()),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"{where}: not a vendor description ({type(exc).__name__}: {exc})"
        ) from None


def _tables(raw: Any) -> dict[str, dict[str, Any]]:
    return {
        header_key(column): {_word(k): v for k, v in table.items()}
        for column, table in (raw or {}).items()
        if table
    }


@cache
def vendors() -> tuple[Vendor, ...]:
    """Every tool described in ``vendors/``, by file name."""
    return tuple(_load(p) for p in sorted(VENDOR_DIR.glob("*.yaml")))


def detect(headers: list[str]) -> Vendor | None:
    """The tool whose export has these headers: the one with the largest group of
    ``detect`` headers all present (ties go to the first by name), or ``None``."""
    keys = {header_key(h) for h in headers}
    best: tuple[int, Vendor] | None = None
    for vendor in vendors():
        size = max((len(g) for g in vendor.detect if g <= keys), default=0)
        if size and (best is None or size > best[0]):
            best = (size, vendor)
    return best[1] if best else None
