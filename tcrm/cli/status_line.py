"""The line ``tcrm status`` prints, from its counts (docs/shell.md).

The standard library only, on purpose: the early path (``tcrm.cli.early_path``) prints
with it before Typer is imported, and the command (``tcrm.cli.status_cmds``) with it
after, so both print the same bytes.
"""

from __future__ import annotations

from tcrm.errors import UsageError
from tcrm.services.status_counts import FIELDS

_WORDS = (
    ("overdue", "overdue", "overdue"),
    ("today", "today", "today"),
    ("conflicts", "conflict", "conflicts"),
)
"""``(count, its word for 1, for more)`` in the order of the default line."""


def check_format(template: str) -> str:
    """``template`` when every placeholder in it is one of FIELDS, else a usage error."""
    import string  # only for a template: the default line needs none of it

    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise UsageError(f"--format {template!r}: {exc}") from None
    for name in names:
        if name not in FIELDS:
            known = ", ".join("{" + f + "}" for f in FIELDS)
            raise UsageError(f"--format: unknown placeholder {{{name}}} (known: {known})")
    return template


def line(counts: dict[str, int]) -> str:
    """``3 overdue · 5 today · 2 conflicts``: the non-zero parts only, "" when none."""
    parts = [
        f"{counts[key]} {one if counts[key] == 1 else many}"
        for key, one, many in _WORDS
        if counts[key]
    ]
    return " · ".join(parts)


def render(counts: dict[str, int], template: str | None, as_json: bool) -> str:
    """What ``tcrm status`` prints (without the newline): JSON, the template filled in,
    or the default line. A template whose format spec does not fit a number
    (``{today:q}``) is a usage error."""
    counts = {name: counts[name] for name in FIELDS}
    if as_json:
        import json

        return json.dumps(counts)
    if template is not None:
        try:
            return template.format_map(counts)
        except ValueError as exc:
            raise UsageError(f"--format {template!r}: {exc}") from None
    return line(counts)
