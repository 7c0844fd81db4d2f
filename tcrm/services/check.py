"""``tcrm check``: every problem in the workspace, each as ``path:line: message``."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from tcrm.errors import Problem, ValidationError
from tcrm.model import privacy
from tcrm.model.records import RECORD_TYPES, Record
from tcrm.model.rules import record_findings
from tcrm.model.settings import Settings
from tcrm.model.text import unsafe_characters
from tcrm.model.validate import FieldPath
from tcrm.services.conflicts import (
    conflict_problems,
    deleted_versions,
    restore_hint,
    settings_problems,
)
from tcrm.store import git, links, parallel, yamlio
from tcrm.store.workspace import SETTINGS_FILE, Workspace, located


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)
    """What is valid but worth knowing: control characters in a text (``model.text``)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_workspace(ws: Workspace) -> CheckReport:
    """Validate settings, every record file, and the references between records.

    The ids come from the file names, so each file can be checked on its own once they
    are all known: on 100,000 files, on every core (``tcrm.store.parallel``).
    """
    report = CheckReport()
    try:
        settings = ws.load_settings()
    except ValidationError as exc:
        report.problems.extend(exc.problems)
        return report
    report.problems.extend(settings_problems(ws, settings))
    report.problems.extend(links.problem(rel) for rel in links.guarded_links(ws.root))
    ids: dict[str, set[str]] = {kind: set() for kind in RECORD_TYPES}
    files: list[tuple[str, str, str]] = []
    for kind in RECORD_TYPES:
        seen: dict[str, str] = {}
        for record_id, path in ws.files(kind):
            rel = ws.rel(path)
            ids[kind].add(record_id)
            if record_id in seen:
                report.problems.append(
                    Problem(rel, None, f"{kind} id {record_id!r} is also used by {seen[record_id]}")
                )
            seen[record_id] = rel
            files.append((kind, record_id, rel))
    try:
        private = privacy.declared(settings)
    except ValidationError as exc:
        message = str(exc).removeprefix(f"{SETTINGS_FILE}: ")
        report.problems.append(Problem(SETTINGS_FILE, None, message))
        private = {}
    chunks = parallel.chunked(files)
    share = (ws, settings, ids, retired_fields(ws, settings), private)
    for problems, counts, warnings in parallel.map_chunks(_check_files, chunks, len(files), share):
        report.problems.extend(problems)
        report.counts.update(counts)
        report.warnings.extend(warnings)
    report.problems = _with_restore_hints(ws, report.problems)
    report.problems.sort(key=lambda p: (p.path != SETTINGS_FILE, p.path, p.line or 0))
    report.warnings.sort(key=lambda p: (p.path, p.line or 0))
    return report


_UNKNOWN = re.compile(r"unknown (client|deal) '([^'\\]+)'$")


def _with_restore_hints(ws: Workspace, problems: list[Problem]) -> list[Problem]:
    """An unknown client or deal that history had: say who deleted it and how to restore
    it (a ``git pull`` merges file by file, so it can keep a deal of a deleted client)."""
    unknown = {(m[1], m[2]) for p in problems if (m := _UNKNOWN.search(p.message))}
    if not unknown:
        return problems
    versions = deleted_versions(ws, sorted(unknown))
    out = []
    for problem in problems:
        match = _UNKNOWN.search(problem.message)
        version = (
            versions.get(f"{RECORD_TYPES[match[1]].FOLDER}/{match[2]}.yaml") if match else None
        )
        if match and version:
            hint = restore_hint(match[1], match[2], version)
            problem = Problem(problem.path, problem.line, f"{problem.message}: {hint}")
        out.append(problem)
    return out


def _check_files(
    files: Sequence[tuple[str, str, str]],
) -> tuple[list[Problem], Counter[str], list[Problem]]:
    """The problems of these record files, how many of each kind are valid, and warnings."""
    ws, settings, ids, retired, private = parallel.shared()

    def exists(kind: str, record_id: str) -> bool:
        return record_id in ids[kind]

    problems: list[Problem] = []
    warnings: list[Problem] = []
    counts: Counter[str] = Counter()
    for kind, record_id, rel in files:
        try:
            record = ws.parse(kind, record_id, ws.root / rel)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        counts[kind] += 1
        findings = record_findings(record, settings, exists)
        findings += _typos(record, settings.fields.of(kind))
        controls = _controls(record)
        controls += _retired(record, retired.get(kind, {}))
        controls += _in_clear(record, [f for (k, f) in private if k == kind])
        if findings or record.conflicts or controls:
            text = ws.read_text(rel)
            problems.extend(located(rel, text, findings))
            problems.extend(conflict_problems(rel, text, record.id))
            warnings.extend(located(rel, text, controls))
    return problems, counts, warnings


def _controls(value: Any, path: FieldPath = ()) -> list[tuple[FieldPath, str]]:
    """Texts holding characters a terminal would obey (escape sequences, ``\\r``, NUL, bidi
    overrides): valid, shown escaped by tcrm, but a sign of a hostile or broken edit.
    Walks the model's own values (no dump: this runs for every record checked)."""
    if isinstance(value, str):
        found = unsafe_characters(value)
        if not found:
            return []
        return [(path, f"holds control characters ({', '.join(found)}); tcrm shows them escaped")]
    out: list[tuple[FieldPath, str]] = []
    if isinstance(value, BaseModel):
        for name, item in value:
            if name != "conflicts":
                out += _controls(item, (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            out += _controls(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _controls(item, (*path, i))
    return out


def retired_fields(ws: Workspace, settings: Settings) -> dict[str, dict[str, str]]:
    """Custom fields an earlier committed tcrm.yaml declared and the current one does not
    (renamed or removed): ``{kind: {name: type it had}}``. A record still holding one is
    worth a warning: its value is kept, but nothing reads it as a field any more."""
    out: dict[str, dict[str, str]] = {}
    for raw in git.past_versions(ws.root, SETTINGS_FILE):
        try:
            data = yamlio.load_fast(raw, SETTINGS_FILE)
        except ValidationError:
            continue
        declared = data.get("fields") if isinstance(data, dict) else None
        if not isinstance(declared, dict):
            continue
        for kind, fields in declared.items():
            if kind not in RECORD_TYPES or not isinstance(fields, dict):
                continue
            current = settings.fields.of(str(kind))
            for name, definition in fields.items():
                if isinstance(name, str) and name not in current:
                    was = definition.get("type") if isinstance(definition, dict) else None
                    out.setdefault(str(kind), {}).setdefault(name, str(was or "field"))
    return out


def _retired(record: Record, retired: dict[str, str]) -> list[tuple[FieldPath, str]]:
    return [
        (
            (key,),
            f"custom field {key!r} is no longer declared in tcrm.yaml fields.{record.KIND} "
            f"(renamed or removed); this {record.KIND} still holds it",
        )
        for key in record.model_extra or {}
        if key in retired
    ]


def _in_clear(record: Record, fields: Sequence[str]) -> list[tuple[FieldPath, str]]:
    """Private fields whose value is not encrypted (written by hand, or from before the
    field was declared private): anyone with the repository can read it."""
    out: list[tuple[FieldPath, str]] = []
    for name in fields:
        value = getattr(record, name, None)
        if value not in (None, "") and not privacy.is_ciphertext(value):
            out.append(
                (
                    (name,),
                    "declared private but stored in clear (anyone with the repository can "
                    "read it); `tcrm rekey` encrypts it",
                )
            )
    return out


def _typos(record: Record, custom: Collection[str] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Unknown keys are kept (custom fields), but one that looks like a misspelt field is not."""
    known = [f for f in type(record).model_fields if f != "id"]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for key in record.model_extra or {}:
        if key in custom:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.8)
        if close and getattr(record, close[0]) in (None, [], ""):
            out.append(((str(key),), f"unknown field {key!r}: did you mean {close[0]!r}?"))
    return out


__all__ = ["CheckReport", "check_workspace"]
