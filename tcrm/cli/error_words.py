"""How the CLI words an error: each field the error names as an option of the command
that ran (``Field("due")`` -> ``--due``).

Services name fields by their keyword or the record's field (``contacts``, ``timezone``);
most commands take a field under the same name (``--due`` for ``due``), some under
another (``--contact`` for ``contacts``). The command's own parameters decide first, then
``FIELD_OPTIONS``, then the default spelling (``next_due`` -> ``--next-due``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tcrm.errors import Naming, TcrmError, option

FIELD_OPTIONS = {
    "add_tags": "--add-tag",
    "assignments": "--set",
    "clients": "--client",
    "contacts": "--contact",
    "deals": "--deal",
    "every": "--all",
    "next_title": "--next",
    "reminders": "--remind",
    "remove_tags": "--remove-tag",
    "tags": "--tag",
    "timezone": "--tz",
}
"""Fields the commands take under another option than their name: ``task add --contact``
sets ``contacts``, ``--tz`` the ``timezone``, ``--set`` the ``assignments``."""


def options_of(command: Any) -> dict[str, str]:
    """``{parameter name: its long option}`` of a click command (``contact`` ->
    ``--contact``); a flag pair gives its first spelling (``tasks`` -> ``--tasks``)."""
    out = {}
    for param in getattr(command, "params", ()):
        spelt = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
        if param.name and spelt and getattr(param, "param_type_name", "") == "option":
            out[param.name] = max(spelt, key=len)
    return out


def command_of(root: Any, args: Sequence[str]) -> Any:
    """The command ``tcrm ARGS`` runs (``task add`` in ``-w ws task add x``), found the way
    the command line is read: group by group, past options, until a word is no command."""
    command = root
    words = iter(args)
    for arg in words:
        commands = getattr(command, "commands", None)
        if not commands:
            break
        if arg in ("-w", "--workspace"):
            next(words, None)
        elif arg.startswith("-"):
            continue
        elif arg in commands:
            command = commands[arg]
        else:
            break
    return command


def naming(command: Any = None) -> Naming:
    """How ``command`` names a field: its option for the field, as the table or by default."""
    own = options_of(command) if command is not None else {}

    def name(field: str) -> str:
        return own.get(field) or FIELD_OPTIONS.get(field) or option(field)

    return name


def error_text(error: TcrmError, command: Any = None) -> str:
    """``error`` as one line of the command line: fields as ``command``'s options."""
    return error.words(naming(command))
