"""Shell completion of references: what to offer on TAB, read from names, never records.

Each completer here is a parameter's ``autocompletion`` in the Typer commands, and the
early path's answer too (``early_answer``, run by ``tcrm.cli.launch`` before Typer is
imported): a shell runs ``tcrm`` on every TAB, and Typer alone takes ~0.1 s to import.
Ids come from the file names (``tcrm.store.listing``); stages, members and activity
kinds from what the local index keeps of the settings (``early_index.read_settings``),
else from ``tcrm.yaml`` through the model (the Typer path only; it keeps them for the
next TAB). The standard library only at import, on purpose.
"""

from __future__ import annotations

import os
import shlex
import sys

from tcrm.store import early
from tcrm.store.listing import record_files

TYPE_CHECKING = False  # a TAB answers before typing or pathlib load (each ~25 ms)
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_IDS = 200
"""At most this many ids are offered (a shell lists them all)."""


class _NeedsTyper(Exception):
    """The early path cannot answer this without the model: take the normal path."""


_early = False
"""Set while ``early_answer`` runs: a completer that would import the model says so."""


def _root() -> str | None:
    """The workspace ``Workspace.open($TCRM_WORKSPACE)`` opens (``-w`` is not seen by a
    completer), or ``None`` when there is none."""
    root = early.find_root(None)
    if root is None or not os.path.isfile(os.path.join(root, early.SETTINGS_FILE)):
        return None
    return root


def _ids(kind: str, incomplete: str) -> list[str]:
    try:
        root = _root()
        if root is None:
            return []
        return [i for i, _ in record_files(root, kind) if i.startswith(incomplete)][:MAX_IDS]
    except Exception:  # completion must never fail loudly
        return []


def clients(incomplete: str) -> list[str]:
    return _ids("client", incomplete)


def deals(incomplete: str) -> list[str]:
    return _ids("deal", incomplete)


def tasks(incomplete: str) -> list[str]:
    return _ids("task", incomplete)


def activities(incomplete: str) -> list[str]:
    return _ids("activity", incomplete)


def clients_and_deals(incomplete: str) -> list[str]:
    """What ``tcrm log`` links to: client ids, then deal ids."""
    return _ids("client", incomplete) + _ids("deal", incomplete)


def _kept(root: str) -> dict[str, object] | None:
    """What the local index keeps of the settings, if ``tcrm.yaml`` has not changed."""
    import sqlite3  # here: a TAB on ids reads file names only

    from tcrm.store import early_index

    path = os.path.join(root, ".tcrm", early_index.INDEX_FILE)
    if early_index.index_off() or not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(path, timeout=1)
        try:
            return early_index.read_settings(conn, root)
        finally:
            conn.close()
    except (sqlite3.Error, ValueError):
        return None


def _settings_values(incomplete: str, name: str) -> list[str]:
    try:
        root = _root()
    except OSError:  # no current directory
        return []
    if root is None:
        return []
    from tcrm.services.completion_values import kept_values

    kept = _kept(root)
    values = None if kept is None else kept_values(kept, name)
    if values is None:
        if _early:
            raise _NeedsTyper(name)
        values = _from_settings(root, name)
    return [v for v in values if v.startswith(incomplete)]


def _from_settings(root: str, name: str) -> list[str]:
    """The values from ``tcrm.yaml`` through the model, kept in the index for next time."""
    from tcrm.services.completion_values import completion_values
    from tcrm.store import early_index
    from tcrm.store.workspace import Workspace

    def summary() -> dict[str, object]:  # the planner is imported only to keep them
        from tcrm.services.planner import early_summary

        return early_summary(ws)

    try:
        ws = Workspace.open(os.environ.get("TCRM_WORKSPACE"))
        values = completion_values(ws.settings)[name]
        early_index.remember_settings(ws.root, summary)  # when indexed, and not kept yet
    except Exception:
        return []
    return values


def activity_kinds(incomplete: str) -> list[str]:
    return _settings_values(incomplete, "activity_kinds")


def members(incomplete: str) -> list[str]:
    return _settings_values(incomplete, "members")


def stages(incomplete: str) -> list[str]:
    return _settings_values(incomplete, "stages")


COMPLETERS: dict[str, Callable[[str], list[str]]] = {
    f.__name__: f
    for f in (activities, activity_kinds, clients, clients_and_deals, deals, members, stages, tasks)
}

# --- the early path -------------------------------------------------------------------

Positional = tuple[tuple[str | None, int], ...]
"""A command's arguments in order: ``(completer name or None, nargs)``."""
EARLY: dict[tuple[str, ...], tuple[Positional, dict[str, str]]] = {
    ("activity", "edit"): ((("activities", 1),), {}),
    ("activity", "list"): (
        ((None, -1),),
        {
            "--client": "clients",
            "--deal": "deals",
            "--kind": "activity_kinds",
            "-k": "activity_kinds",
            "--author": "members",
        },
    ),
    ("activity", "rm"): ((("activities", 1),), {}),
    ("activity", "show"): ((("activities", 1),), {}),
    ("client", "edit"): ((("clients", 1),), {}),
    ("client", "merge"): ((("clients", 1), ("clients", 1)), {}),
    ("client", "rm"): ((("clients", 1),), {}),
    ("client", "show"): ((("clients", 1),), {}),
    ("deal", "add"): (((None, 1),), {"--client": "clients", "--stage": "stages"}),
    ("deal", "edit"): ((("deals", 1),), {}),
    ("deal", "list"): (((None, -1),), {"--stage": "stages", "--client": "clients"}),
    ("deal", "lost"): ((("deals", 1),), {}),
    ("deal", "move"): ((("deals", 1), ("stages", 1)), {}),
    ("deal", "reopen"): ((("deals", 1),), {}),
    ("deal", "show"): ((("deals", 1),), {}),
    ("deal", "won"): ((("deals", 1),), {}),
    ("ics", "export"): ((), {"--assignee": "members"}),
    ("log",): (
        (("clients_and_deals", -1),),
        {
            "--kind": "activity_kinds",
            "-k": "activity_kinds",
            "--author": "members",
            "--next-assignee": "members",
        },
    ),
    ("mail", "assign"): (((None, 1), ("clients", 1)), {}),
    ("mail", "send"): ((("clients_and_deals", 1),), {}),
    ("pipeline",): (((None, 1),), {"--owner": "members"}),
    ("report",): (((None, 1),), {"--owner": "members"}),
    ("task", "add"): (((None, 1),), {"--client": "clients", "--deal": "deals"}),
    ("task", "cancel"): ((("tasks", 1),), {}),
    ("task", "done"): ((("tasks", 1),), {}),
    ("task", "edit"): ((("tasks", 1),), {}),
    ("task", "list"): (((None, -1),), {"--client": "clients"}),
    ("task", "reopen"): ((("tasks", 1),), {}),
    ("task", "show"): ((("tasks", 1),), {}),
    ("task", "snooze"): ((("tasks", 1), (None, 1)), {}),
}
"""Command path -> its arguments and its options that complete from the workspace (option
name -> completer name): what the early path answers. It must equal what the Typer
commands declare; any other command line is Typer's to complete."""


def completer_for(args: list[str], incomplete: str) -> Callable[[str], list[str]] | None:
    """The completer Typer would call for ``incomplete`` after ``args``, when the command
    line is plain enough to tell without Typer: a command of ``EARLY``, then positional
    words, then at most one option (the one being completed); else ``None``."""
    if incomplete.startswith("-"):
        return None
    for size in range(min(len(args), 3), 0, -1):
        found = EARLY.get(tuple(args[:size]))
        if found is not None:
            positional, options = found
            rest = args[size:]
            break
    else:
        return None
    if any(word.startswith("-") for word in rest[:-1]):
        return None
    if rest and rest[-1].startswith("-"):
        name = options.get(rest[-1])
        return COMPLETERS[name] if name else None
    left = len(rest)
    for name, nargs in positional:
        if nargs == -1 or (nargs == 1 and left == 0):
            return COMPLETERS[name] if name else None
        if nargs != 1:
            return None
        left -= 1
    return None


def split_words(line: str) -> list[str]:
    """The shell words of ``line`` as click splits them (``split_arg_string``): as
    ``shlex.split``, keeping a last word whose quote is not closed yet."""
    lex = shlex.shlex(line, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out = []
    try:
        for token in lex:
            out.append(token)
    except ValueError:
        out.append(lex.token)
    return out


def _request(shell: str) -> tuple[list[str], str] | None:
    """``(words before, word being completed)`` as Typer's completion classes read them."""
    if shell == "bash":
        try:
            words, current = split_words(os.environ["COMP_WORDS"]), int(os.environ["COMP_CWORD"])
        except (KeyError, ValueError):
            return None
        return words[1:current], words[current] if current < len(words) else ""
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    words = split_words(line)[1:]
    if words and not line.endswith(" "):
        return words[:-1], words[-1]
    return words, ""


def _zsh_quoted(value: str) -> str:
    for old, new in (('"', '""'), ("'", "''"), ("$", "\\$"), ("`", "\\`"), (":", r"\\:")):
        value = value.replace(old, new)
    return f'"{value}"'


def early_answer(instruction: str) -> int | None:
    """Answer Typer's completion request (``_TCRM_COMPLETE=complete_<shell>``) as Typer
    would print it, or ``None``: take the normal path."""
    shell = {"complete_bash": "bash", "complete_zsh": "zsh", "complete_fish": "fish"}
    name = shell.get(instruction)
    request = None if name is None else _request(name)
    if name is None or request is None:
        return None
    args, incomplete = request
    completer = completer_for(args, incomplete)
    if completer is None:
        return None
    global _early
    _early = True
    try:
        values = [v for v in completer(incomplete) if v.startswith(incomplete)]
    except _NeedsTyper:
        return None
    finally:
        _early = False
    if any(not v.isprintable() for v in values):
        return None  # click strips escape sequences from what it prints: let it
    if name == "fish":
        action = os.environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":
            return 0 if values else 1
        text = "\n".join(values) if action == "get-args" else ""
    elif name == "zsh":
        quoted = "\n".join(_zsh_quoted(v) for v in values)
        text = f"_arguments '*: :(({quoted}))'" if values else "_files"
    else:
        text = "\n".join(values)
    sys.stdout.write(text + "\n")
    return 0


__all__ = [
    "activities",
    "activity_kinds",
    "clients",
    "clients_and_deals",
    "deals",
    "members",
    "stages",
    "tasks",
]
