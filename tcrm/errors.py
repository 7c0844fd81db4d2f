"""The one exception tree of tcrm.

Every failure a user can cause is a ``TcrmError`` with an exit code; the CLI's single
error boundary prints ``str(error)`` as one line and exits with ``error.exit_code``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the workspace, located as precisely as we can."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


SHOWN_SKIPPED = 3
"""How many unreadable records a warning names (the rest are in ``tcrm check``)."""


def skipped_summary(problems: list[Problem]) -> str:
    """``1 record could not be read (clients/x.yaml:4); see tcrm check``: what a read
    left out, one location per file, a few of them; the front ends add their prefix."""
    where = [f"{p.path}:{p.line}" if p.line else p.path for p in problems[:SHOWN_SKIPPED]]
    if len(problems) > SHOWN_SKIPPED:
        where.append("...")
    noun = "record" if len(problems) == 1 else "records"
    return f"{len(problems)} {noun} could not be read ({', '.join(where)}); see tcrm check"


class TcrmError(Exception):
    """Base of every error tcrm reports to a user (never a traceback)."""

    exit_code = 1


class UsageError(TcrmError):
    """The command line itself is wrong: an unknown reference, a bad date or amount."""

    exit_code = 2


class NotFoundError(UsageError):
    """A reference matched no record."""


class AmbiguousError(UsageError):
    """A reference matched several records."""


class ValidationError(TcrmError):
    """A record or value breaks the models or the workspace settings."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", None, problems)]
        self.problems = problems
        first = problems[0]
        text = str(first) if first.path else first.message
        if len(problems) > 1:
            text += f" (and {len(problems) - 1} more)"
        super().__init__(text)


class RuleError(TcrmError):
    """A domain rule refuses the change (a forbidden stage move, a missing field)."""


class OverridableError(RuleError):
    """A rule refuses the change, but a person may override it (the CLI's ``--force``).

    ``reason`` says why, without naming the CLI option: the TUI offers the override as a
    key or a button instead, and records it the same way (the service's ``force``).
    """

    def __init__(self, reason: str, hint: str = " (or pass --force)") -> None:
        self.reason = reason
        super().__init__(reason + hint)


class WorkspaceError(TcrmError):
    """No workspace, a workspace of a newer format, or one that cannot be written."""


class LockedError(TcrmError):
    """Another tcrm process is writing to the workspace."""


class GitError(TcrmError):
    """The git repository refused an operation."""
