"""JSON for scripts: a list of records as in their files plus their ``id``, and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tcrm.errors import UsageError
from tcrm.services.exports import ExportData
from tcrm.services.imports import Source, SourceRow


def encode_export(data: ExportData) -> bytes:
    """``tcrm export json``: ``[{"id": ..., <file fields>}, ...]``, UTF-8, indented."""
    records = [{"id": r.id, **r.to_data()} for r in data.records]
    return (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _cell(value: Any) -> str | list[str]:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def read_records(path: Path, *, data: bytes | None = None) -> Source:
    """A JSON list of objects (as ``tcrm export json`` writes) as rows: keys are columns,
    objects are numbered from 1."""
    raw = path.read_bytes() if data is None else data
    try:
        items = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path.name} is not JSON: {exc}") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageError(
            f"{path.name} is not a JSON list of objects (as `tcrm export json` writes)"
        )
    headers: dict[str, None] = {}
    for item in items:
        headers.update(dict.fromkeys(str(k) for k in item))
    columns = list(headers)
    rows = [
        SourceRow(n, [_cell(item.get(column)) for column in columns])
        for n, item in enumerate(items, 1)
    ]
    return Source(path.name, columns, rows, unit="object", column_word="key")
