"""``tcrm check``: every problem in the workspace, each as ``path:line: message``."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tcrm.errors import Problem, ValidationError
from tcrm.model.records import RECORD_TYPES, Record
from tcrm.model.rules import record_findings
from tcrm.services.conflicts import (
    conflict_problems,
    deleted_versions,
    restore_hint,
    settings_problems,
)
from tcrm.store import parallel
from tcrm.store.workspace import SETTINGS_FILE, Workspace, located


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

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
    chunks = parallel.chunked(files)
    share = (ws, settings, ids)
    for problems, counts in parallel.map_chunks(_check_files, chunks, len(files), share):
        report.problems.extend(problems)
        report.counts.update(counts)
    report.problems = _with_restore_hints(ws, report.problems)
    report.problems.sort(key=lambda p: (p.path != SETTINGS_FILE, p.path, p.line or 0))
    return report


_UNKNOWN = re.compile(r"unknown (client|deal) '([^'\\]+)'$")


def _with_restore_hints(ws: Workspace, problems: list[Problem]) -> list[Problem]:
    """An unknown client or deal that history had: say who deleted it and how to restore
    it (a ``git pull`` merges file by file, so it can keep a deal of a deleted client)."""
    unknown = {m.groups() for p in problems if (m := _UNKNOWN.search(p.message))}
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


def _check_files(files: Sequence[tuple[str, str, str]]) -> tuple[list[Problem], Counter[str]]:
    """The problems of these record files, and how many of each kind are valid."""
    ws, settings, ids = parallel.shared()

    def exists(kind: str, record_id: str) -> bool:
        return record_id in ids[kind]

    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    for kind, record_id, rel in files:
        try:
            record = ws.parse(kind, record_id, ws.root / rel)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        counts[kind] += 1
        findings = record_findings(record, settings, exists)
        findings += _typos(record)
        if findings or record.conflicts:
            text = (ws.root / rel).read_text(encoding="utf-8")
            problems.extend(located(rel, text, findings))
            problems.extend(conflict_problems(rel, text, record.id))
    return problems, counts


def _typos(record: Record) -> list[tuple[tuple[str | int, ...], str]]:
    """Unknown keys are kept (custom fields), but one that looks like a misspelt field is not."""
    known = [f for f in type(record).model_fields if f != "id"]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for key in record.model_extra or {}:
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.8)
        if close and getattr(record, close[0]) in (None, [], ""):
            out.append(((str(key),), f"unknown field {key!r}: did you mean {close[0]!r}?"))
    return out


__all__ = ["CheckReport", "check_workspace"]
