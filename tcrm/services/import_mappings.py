"""Saved import mappings: ``imports/NAME.yaml`` in the workspace holds how a recurring
file is read (its column mapping, value maps and options), so the whole team re-runs the
weekly export the same way: ``--save-mapping NAME`` writes it in the import's own commit,
``--mapping NAME`` reads it (options given on the command line win).

The file is plain YAML a person may edit; a broken one is refused in one line naming
``imports/NAME.yaml:LINE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from tcrm.errors import Field as Named
from tcrm.errors import NotFoundError, Problem, TcrmError, UsageError, ValidationError
from tcrm.model.limits import MAX_RECORD_BYTES
from tcrm.model.types import ID_RE, new_list
from tcrm.model.validate import findings_of
from tcrm.services.import_values import MODES, parse_value_maps
from tcrm.services.imports import ON_DUPLICATE, parse_mappings
from tcrm.store import links, yamlio
from tcrm.store.workspace import Workspace

FOLDER = "imports"
KINDS = {"clients": "client", "deals": "deal", "tasks": "task", "activities": "activity"}
HEADER = (
    "# How tcrm reads a recurring import: `tcrm import {format} FILE --mapping {name}`.\n"
    "# Written by --save-mapping; edit by hand if you like (see docs/import.md).\n"
)


class SavedMapping(BaseModel):
    """The file's content. Every option is optional: what is absent takes its default."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: Literal["clients", "deals", "tasks", "activities"]
    format: Literal["csv", "xlsx", "vcard", "json"] | None = None
    columns: dict[str, str | None] = Field(
        default_factory=dict, description="header -> field; an empty field leaves it out"
    )
    values: dict[str, dict[str, str | None]] = Field(
        default_factory=dict, description="list -> {value: listed value}; empty leaves it out"
    )
    new_values: Literal["reject", "add", "drop", "map"] | None = None
    on_duplicate: Literal["skip", "update", "create"] | None = None
    date_formats: list[str] = Field(default_factory=new_list)
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    force: bool | None = None
    last_used: date | None = None

    def map_texts(self) -> list[str]:
        """The columns as ``--map`` would give them."""
        return [f"{header}={target or ''}" for header, target in self.columns.items()]

    def value_texts(self) -> list[str]:
        """The value maps as ``--map-value`` would give them."""
        return [
            f"{name}:{value}={listed or ''}"
            for name, table in self.values.items()
            for value, listed in table.items()
        ]


assert set(MODES) == {"reject", "add", "drop", "map"} and set(ON_DUPLICATE) == {
    "skip",
    "update",
    "create",
}


def rel_path(name: str) -> str:
    """``imports/NAME.yaml``; the name must be safe as a file name (like an id)."""
    if not ID_RE.match(name) or ".." in name:
        raise UsageError(
            f"mapping name {name!r}: use lower-case letters, digits, '-', '_' or '.', "
            "e.g. hubspot-weekly"
        )
    return f"{FOLDER}/{name}.yaml"


def _read(ws: Workspace, rel: str) -> str | None:
    """The file's text, never through a symbolic link (refused), ``None`` if missing."""
    links.refuse(ws.root, rel)
    try:
        data = links.read_bytes(ws.root, rel, MAX_RECORD_BYTES)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError([Problem(rel, None, "is not UTF-8 text")]) from None


def load(ws: Workspace, name: str) -> SavedMapping:
    """The mapping ``name``, checked: its columns, value maps and options as the
    command line would check them, each problem named ``imports/NAME.yaml:LINE``."""
    rel = rel_path(name)
    text = _read(ws, rel)
    if text is None:
        known = ", ".join(m.name for m in list_mappings(ws)) or "none saved yet"
        raise NotFoundError(f"no import mapping {name!r} ({rel}); mappings: {known}")
    doc = yamlio.load_rt(text, rel)
    plain = yamlio.load_fast(text, rel)
    if not isinstance(plain, dict):
        raise ValidationError([Problem(rel, 1, "must be a mapping with at least `type:`")])
    try:
        saved = SavedMapping.model_validate(plain)
    except pydantic.ValidationError as exc:
        loc, message = findings_of(exc)[0]
        where = ".".join(str(p) for p in loc)
        raise ValidationError(
            [Problem(rel, _line(doc, loc), f"{where}: {message}" if where else message)]
        ) from None
    kind = KINDS[saved.type]
    for key, texts, check in (
        ("columns", saved.map_texts(), lambda t: parse_mappings(t, kind)),
        ("values", saved.value_texts(), parse_value_maps),
    ):
        for i, one in enumerate(texts):
            try:
                check([one])
            except UsageError as exc:
                entry = list(_entries(saved, key))[i]
                message = str(exc).split(": ", 1)[-1]
                raise ValidationError(
                    [Problem(rel, _line(doc, (key, *entry)), f"{key}: {message}")]
                ) from None
    return saved


def _entries(saved: SavedMapping, key: str) -> Iterable[tuple[str, ...]]:
    if key == "columns":
        yield from ((h,) for h in saved.columns)
    else:
        for name, table in saved.values.items():
            yield from ((name, v) for v in table)


def _line(doc: Any, loc: Sequence[Any]) -> int:
    """The 1-based line of ``loc`` in the round-trip document (its nearest parent's)."""
    line, node = 1, doc
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1 if lc is not None else line
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = lc.item(part)[0] + 1 if lc is not None else line
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


@dataclass
class Options:
    """An import's column maps, value maps and options, as given or saved."""

    kind: str
    format: str
    maps: list[str] = field(default_factory=list)
    value_maps: list[str] = field(default_factory=list)
    given: dict[str, Any] = field(default_factory=dict)
    """Options whose value the command line gave (``new_values``, ``on_duplicate``...)."""


def merged(saved: SavedMapping, options: Options) -> tuple[Options, dict[str, Any]]:
    """The saved mapping under the command line's: ``--map`` and ``--map-value`` entries
    are added to the saved ones (the command line's win for the same header or value),
    other options given on the command line replace the saved ones. Returns the merged
    maps and the saved options the command line did not give."""
    if KINDS[saved.type] != options.kind:
        raise UsageError(
            f"mapping is for {saved.type}, not {options.kind}s: drop ",
            Named("type"),
            " or use another mapping",
        )
    out = Options(options.kind, options.format, given=dict(options.given))
    mine = {_head(t) for t in options.maps}
    out.maps = [t for t in saved.map_texts() if _head(t) not in mine] + options.maps
    mine_values = {_head(t) for t in options.value_maps}
    out.value_maps = [t for t in saved.value_texts() if _head(t) not in mine_values]
    out.value_maps += options.value_maps
    defaults = {
        name: getattr(saved, name)
        for name in ("new_values", "on_duplicate", "delimiter", "encoding", "sheet", "force")
        if getattr(saved, name) is not None and name not in options.given
    }
    if saved.date_formats and "date_formats" not in options.given:
        defaults["date_formats"] = list(saved.date_formats)
    return out, defaults


def _head(text: str) -> str:
    return " ".join(text.rpartition("=")[0].casefold().split())


def mapping_text(
    ws: Workspace, name: str, options: Options, settings: Mapping[str, Any], today: date
) -> str:
    """The file ``--save-mapping NAME`` writes: the maps and ``settings`` (the options in
    effect that are not their defaults), with ``last_used``. An existing file's comments
    and hand-added notes are kept."""
    data: dict[str, Any] = {"type": _plural(options.kind), "format": options.format}
    columns = {}
    for text in options.maps:
        header, _, target = text.rpartition("=")
        columns[header.strip()] = target.strip()
    if columns:
        data["columns"] = columns
    values: dict[str, dict[str, str]] = {}
    for text in options.value_maps:
        (list_name,) = parse_value_maps([text])
        _, _, rest = text.partition(":")
        value, _, listed = rest.rpartition("=")
        values.setdefault(list_name, {})[value.strip()] = listed.strip()
    if values:
        data["values"] = values
    data.update({k: v for k, v in settings.items() if v not in (None, [], False)})
    data["last_used"] = today.isoformat()
    SavedMapping.model_validate(data)  # what is saved loads again
    return _text(ws, name, data)


def touched_text(ws: Workspace, name: str, today: date) -> str:
    """The mapping file with ``last_used`` set to ``today`` (comments kept)."""
    rel = rel_path(name)
    doc = yamlio.load_rt(_read(ws, rel) or "{}", rel)
    doc["last_used"] = today.isoformat()
    return yamlio.dump_rt(doc)


def _text(ws: Workspace, name: str, data: dict[str, Any]) -> str:
    rel = rel_path(name)
    text = _read(ws, rel)
    if text is not None:
        doc = yamlio.load_rt(text, rel)
        if isinstance(doc, dict):
            for key in [k for k in doc if k not in data]:
                if key in SavedMapping.model_fields:
                    del doc[key]
            for key, value in data.items():
                doc[key] = value
            return yamlio.dump_rt(doc)
    return HEADER.format(format=data["format"], name=name) + yamlio.dump_rt(data)


def _plural(kind: str) -> str:
    return {v: k for k, v in KINDS.items()}[kind]


@dataclass(frozen=True)
class MappingInfo:
    """A saved mapping as ``tcrm import mappings`` lists it."""

    name: str
    path: str
    type: str | None
    format: str | None
    columns: int
    values: int
    last_used: date | None
    problem: str | None = None
    """Why the file cannot be used (``imports/x.yaml:3: ...``), when it cannot."""


def list_mappings(ws: Workspace) -> list[MappingInfo]:
    """Every ``imports/*.yaml``, by name; a broken one listed with its problem."""
    folder = ws.root / FOLDER
    if links.link_in(ws.root, FOLDER) is not None or not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.yaml")):
        name = path.stem
        rel = f"{FOLDER}/{path.name}"
        if not ID_RE.match(name):
            continue
        try:
            saved = load(ws, name)
        except TcrmError as exc:
            problem = "; ".join(str(p) for p in getattr(exc, "problems", [])) or str(exc)
            out.append(MappingInfo(name, rel, None, None, 0, 0, None, problem))
            continue
        count = sum(len(t) for t in saved.values.values())
        out.append(
            MappingInfo(
                name, rel, saved.type, saved.format, len(saved.columns), count, saved.last_used
            )
        )
    return out
