"""Turn pydantic's errors into sentences a person understands, with the field they name."""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

import pydantic

from tcrm.model.records import Record

FieldPath = tuple[str | int, ...]
R = TypeVar("R", bound=Record)


class ModelProblems(ValueError):
    """A record's data does not fit its model; ``findings`` are ``(field path, message)``."""

    def __init__(self, findings: list[tuple[FieldPath, str]]) -> None:
        self.findings = findings
        super().__init__("; ".join(f"{dotted(p)}: {m}" if p else m for p, m in findings))


def dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _message(error: Any) -> str:
    kind = error["type"]
    message: str = error["msg"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "literal_error":
        expected = message.removeprefix("Input should be ")
        return f"{error.get('input')!r} is not allowed (expected {expected})"
    if kind in ("int_parsing", "int_type"):
        return f"{error.get('input')!r} is not a whole number"
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:] if message[:2] != message[:2].upper() else message


def findings_of(exc: pydantic.ValidationError) -> list[tuple[FieldPath, str]]:
    out: list[tuple[FieldPath, str]] = []
    for error in exc.errors(include_url=False):
        # Drop the union/validator tags pydantic adds to locations, e.g. 'function-after[...]'.
        loc = tuple(p for p in error["loc"] if isinstance(p, int) or "[" not in str(p))
        out.append((loc, _message(error)))
    return out


def parse_record(cls: type[R], data: Any, record_id: str) -> R:
    """Validate the data read from a record file; ``ModelProblems`` names every bad field."""
    if not isinstance(data, dict):
        raise ModelProblems([((), f"expected a mapping of fields, found {type(data).__name__}")])
    try:
        return cls.model_validate({**data, "id": record_id})
    except pydantic.ValidationError as exc:
        raise ModelProblems(_misspelt_required(cls, data, findings_of(exc))) from None


def _misspelt_required(
    cls: type[Record], data: dict[Any, Any], findings: list[tuple[FieldPath, str]]
) -> list[tuple[FieldPath, str]]:
    """A required field that is missing because its key is misspelt (``stgae: lead``) is
    reported on the misspelt key, naming the field it was meant to be."""
    unknown = [str(k) for k in data if k not in cls.model_fields]
    out: list[tuple[FieldPath, str]] = []
    for loc, message in findings:
        close: list[str] = []
        if len(loc) == 1 and message == "is required":
            close = difflib.get_close_matches(str(loc[0]), unknown, n=1, cutoff=0.8)
        if close:
            hint = f"unknown field {close[0]!r}: did you mean {loc[0]!r}? (it is required)"
            out.append(((close[0],), hint))
        else:
            out.append((loc, message))
    return out
