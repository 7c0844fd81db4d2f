"""Planning the columns: which field each column of a file is read into (recognised,
``--map``ped, kept as an extra field or ignored), refusing a file that lacks a kind's
required columns."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches

from tcrm.errors import Command, Field, UsageError
from tcrm.model.fields import FieldDef
from tcrm.model.records import RECORD_TYPES
from tcrm.services.imports.headers import _PATTERNS, _PREFIX, ALIASES, PSEUDO, header_key, snake


@dataclass(frozen=True)
class Column:
    """How one column of the input is read."""

    index: int
    header: str
    target: str | None
    """A field of the record (or a contact-person part), an extra field, or ``None``."""
    how: str
    """``recognised``, ``mapped`` (by --map), ``extra`` (kept as-is) or ``ignored``."""


def _target_names(kind: str) -> set[str]:
    return set(RECORD_TYPES[kind].model_fields) | set(PSEUDO.get(kind, ())) | {"id"}


def _recognise(kind: str, key: str) -> str | bool | None:
    """The target a header key names, ``None`` for an ignored label column, ``False`` when
    the header is unknown."""
    aliases = ALIASES[kind]
    fields = RECORD_TYPES[kind].model_fields
    for candidate in (key, _PREFIX.sub("", key)):
        underscored = candidate.replace(" ", "_")
        if underscored in fields and underscored != "id":
            return underscored
        for target, keys in aliases.items():
            if candidate in keys:
                return target
        for pattern, named in _PATTERNS.get(kind, []):
            if pattern.match(candidate):
                return named
    return False


EXTERNAL_TARGET = re.compile(r"^external_ids\.[a-z][a-z0-9_-]{0,39}$")
"""``--map "Copper ID=external_ids.copper"``: the column is that tool's id of the row."""


def parse_mappings(
    texts: Iterable[str], kind: str, custom: Collection[str] = ()
) -> dict[str, str | None]:
    """``--map "Company Name=name"`` (``HEADER=`` leaves the column out) -> {header key: field}.

    ``custom``: the kind's custom field names (tcrm.yaml ``fields:``), mappable too."""
    allowed = _target_names(kind) | set(custom)
    out: dict[str, str | None] = {}
    for text in texts:
        header, sep, target = text.rpartition("=")
        if not sep or not header.strip():
            example = Command(Field("map"), ' "Company Name=name"')
            raise UsageError(Field("map"), f" {text!r}: write HEADER=FIELD, e.g. ", example)
        target = target.strip()
        if target in ("", "-"):
            out[header_key(header)] = None
            continue
        if EXTERNAL_TARGET.match(target):  # another tool's id of the row: external_ids
            out[header_key(header)] = target
            continue
        if target not in allowed:
            close = get_close_matches(target, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                Field("map"),
                f" {text!r}: {RECORD_TYPES[kind].KIND} has no field {target!r}{hint} "
                f"(fields: {', '.join(sorted(allowed - {'conflicts'}))})",
            )
        out[header_key(header)] = target
    return out


def plan_columns(
    kind: str,
    headers: Sequence[str],
    mappings: Mapping[str, str | None],
    canonical: bool = False,
    custom: Mapping[str, FieldDef] | None = None,
    known: Mapping[str, str | None] | None = None,
) -> list[Column]:
    """How each column will be read; refuses a file without the columns a kind needs.

    A header naming a custom field (``custom``) by its name or its label is that field.
    ``known`` holds the headers another tool's export names (``import_vendors``), read
    after ``mappings`` (``--map`` overrides) and before the common names."""
    known = known or {}
    by_header = {
        header_key(text): name
        for name, definition in (custom or {}).items()
        for text in (name, definition.label or name)
    }
    keys = [header_key(h) for h in headers]
    unknown = sorted(set(mappings) - set(keys))
    if unknown:
        shown = ", ".join(h for h in headers) or "none"
        raise UsageError(
            Field("map"), f" names column {unknown[0]!r}, which the file lacks (columns: {shown})"
        )
    columns: list[Column] = []
    for i, (header, key) in enumerate(zip(headers, keys, strict=True)):
        if key in mappings:
            target = mappings[key]
            columns.append(Column(i, header, target, "mapped" if target else "ignored"))
            continue
        if canonical:
            columns.append(Column(i, header, header, "recognised"))
            continue
        if header.strip() == "id":
            columns.append(Column(i, header, "id", "recognised"))
            continue
        found = known[key] if key in known else _recognise(kind, key)
        if found is False and key in by_header:
            columns.append(Column(i, header, by_header[key], "recognised"))
        elif (
            isinstance(found, str)
            and found not in _target_names(kind)
            and found not in (custom or {})
            and "." not in found
        ):
            columns.append(Column(i, header, found, "extra"))  # a tool's column, renamed
        elif found is False:
            columns.append(Column(i, header, _extra_key(kind, header), "extra"))
        elif found is None:
            columns.append(Column(i, header, None, "ignored"))
        else:
            columns.append(Column(i, header, str(found), "recognised"))
    if kind == "client":
        columns = _people_columns(columns)
    _require(kind, columns, headers)
    return columns


def _extra_key(kind: str, header: str) -> str:
    key = snake(header)
    return f"imported_{key}" if key in RECORD_TYPES[kind].model_fields or key == "id" else key


def _people_columns(columns: list[Column]) -> list[Column]:
    """A ``Name`` beside a ``Company`` is the contact person's; alone, it is the client's."""
    has_company = any(c.target == "company" for c in columns)
    out = []
    for c in columns:
        target = c.target
        if target in ("name", "full_name") and has_company:
            target = "contact_name"
        elif target == "company" or (target == "name" and not has_company):
            target = "name"
        out.append(Column(c.index, c.header, target, c.how))
    return out


_REQUIRED = {
    "client": (
        ("name", "full_name", "contact_name", "first_name", "last_name"),
        "name",
        "Company or Name",
    ),
    "deal": (("title",), "title", "Deal Name or Title"),
    "task": (("title",), "title", "Title or Subject"),
    "activity": (("summary",), "summary", "Summary or Subject"),
}


def _require(kind: str, columns: list[Column], headers: Sequence[str]) -> None:
    targets = {c.target for c in columns}
    needs = [_REQUIRED[kind]]
    if kind == "deal":
        needs.append((("client",), "client", "Company or Organization"))
    if kind == "activity":
        needs.append((("at",), "at", "Date"))
        needs.append((("kind",), "kind", "Type"))
    for accepted, field_name, example in needs:
        if not targets & set(accepted):
            shown = ", ".join(headers) or "none"
            raise UsageError(
                f"no column gives the {RECORD_TYPES[kind].KIND}'s {field_name} (e.g. {example}); "
                "name one with ",
                Command(Field("map"), f' "HEADER={field_name}"'),
                f" (columns: {shown})",
            )
