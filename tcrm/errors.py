"""The one exception tree of tcrm.

Every failure a user can cause is a ``TcrmError`` with an exit code. An error about a
field carries the field as data (``field="due"``) and names fields inside its message as
``Field`` parts, never as a front end spells them: the CLI's error boundary words a field
as the command's option (``--due``), a TUI form as the field's label ("Due"), each with
``error.words(name)``. ``str(error)`` words every field as its default option, for logs
and for callers with no wording of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tcrm.model.value import Ordered, Value  # imported by every module: no dataclasses


class Problem(Ordered):
    """One thing wrong in the workspace, located as precisely as we can."""

    __match_args__ = ("path", "line", "message")
    __slots__ = __match_args__

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message

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


class Field(Value):
    """A field named inside an error message: a service's keyword or a record's field
    (``next_due``, ``contacts``), for each front end to word its own way."""

    __match_args__ = ("name",)
    __slots__ = __match_args__

    def __init__(self, name: str) -> None:
        self.name = name


class Command(Value):
    """A command line to type, named inside an error message (``tcrm sync
    --after-rewrite``): typed into a shell whatever the front end, so its fields read as
    options (``Field("after_rewrite")`` -> ``--after-rewrite``) everywhere."""

    __match_args__ = ("parts",)
    __slots__ = __match_args__

    def __init__(self, *parts: str | Field) -> None:
        self.parts: tuple[str | Field, ...] = parts

    def __str__(self) -> str:
        """The command as typed: the same in every front end."""
        return worded(self.parts)


Part = str | Field | Command
"""A piece of an error message: text as it reads, a field for the front end to word, or a
command line to type."""

Hint = tuple[Part, ...]
"""A message in parts, e.g. the way to change a field ``--set`` refuses."""

Naming = Callable[[str], str]
"""How a front end names a field: ``"next_due"`` -> ``"--next-due"`` or ``"Next due"``."""


def option(name: str) -> str:
    """A field as a command line spells it by default: ``next_due`` -> ``--next-due``."""
    return "--" + name.replace("_", "-")


def worded(parts: Sequence[Part], name: Naming = option) -> str:
    """The message ``parts`` make, each field named by ``name`` (in a command: ``option``)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Field):
            out.append(name(part.name))
        else:
            out.append(worded(part.parts))
    return "".join(out)


class TcrmError(Exception):
    """Base of every error tcrm reports to a user (never a traceback).

    ``TcrmError("is not a date: 'fri2'", field="due")`` is about the field ``due`` and
    reads ``--due: is not a date: 'fri2'`` on the command line. A message that names
    fields itself gives them as parts, and is about the field it starts with:
    ``TcrmError(Field("repeat"), " needs ", Field("due"))`` reads ``--repeat needs --due``.
    """

    exit_code = 1

    def __init__(self, *parts: Part, field: str | None = None) -> None:
        super().__init__(*parts)
        first = parts[0] if parts else None
        if field is None and isinstance(first, Field):
            field = first.name
        if field is not None and Field(field) not in parts:
            parts = (Field(field), ": ", *parts)
        self.field = field
        """The field the error is about (a front end shows it there), if one."""
        self.parts: tuple[Part, ...] = parts

    def words(self, name: Naming = option) -> str:
        """The message, each field named by the front end's ``name``."""
        return worded(self.parts, name)

    def __str__(self) -> str:
        return self.words()


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


OVERRIDE_HINT: tuple[Part, ...] = (" (or pass ", Field("force"), ")")
"""How an overridable refusal ends by default: the override is the field ``force``."""


class OverridableError(RuleError):
    """A rule refuses the change, but a person may override it (the CLI's ``--force``).

    ``reason`` says why, without the way to override it: the TUI offers the override as
    a key or a button instead, and records it the same way (the service's ``force``).
    """

    def __init__(self, *reason: Part, hint: Sequence[Part] = OVERRIDE_HINT) -> None:
        self.reason_parts = reason
        super().__init__(*reason, *hint)

    @property
    def reason(self) -> str:
        """Why, each field named as its default option."""
        return worded(self.reason_parts)

    def reason_words(self, name: Naming = option) -> str:
        """Why, each field named by the front end's ``name``."""
        return worded(self.reason_parts, name)


class WorkspaceError(TcrmError):
    """No workspace, a workspace of a newer format, or one that cannot be written."""


class LockedError(TcrmError):
    """Another tcrm process is writing to the workspace."""


class GitError(TcrmError):
    """The git repository refused an operation."""
