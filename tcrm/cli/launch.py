"""The ``tcrm`` executable: ask git what changed first, then import the CLI.

A read command on a big workspace waits ~0.12 s for ``git status`` and ~0.2 s for its
imports; started here, git runs on the other core meanwhile (see ``tcrm.store.early``).
"""

from __future__ import annotations

import sys


def main() -> None:
    import os

    # pydantic looks for plugins (entry points of every installed package) on first use:
    # ~25 ms of each command's start-up, for nothing tcrm uses
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    early_words = sys.argv[1:4]
    if {"status", "task", "deal", "client", "search"} & set(early_words) or os.environ.get(
        "_TCRM_COMPLETE"
    ):
        from tcrm.cli import early_path  # before Typer: a prompt and a TAB wait for it

        try:
            code = early_path.answer(sys.argv[1:])
        except BrokenPipeError:  # the reader went away (``| head -1``): as the Typer path
            code = 1
        if code is not None:
            leave(code)
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__":
        no_plugin_lookup()
    from tcrm.store import early

    early.start_for(sys.argv[1:])
    from tcrm.cli.main import main as run

    try:
        run()
    except SystemExit as exc:
        leave(exc.code)


def no_plugin_lookup() -> None:
    """pydantic's plugin loader as it answers with every plugin disabled, without what
    it imports to look plugins up (``importlib.metadata``, and through it ``email``,
    ``csv``, ``zipfile``: ~9% of a read command's imports).

    pydantic imports ``pydantic.plugin._loader`` when it builds its first validator and
    asks it for ``get_plugins()``, which returns no plugins when PYDANTIC_DISABLE_PLUGINS
    is ``__all__``; this module answers the same, and only then is it put in place.
    """
    import types

    if "pydantic.plugin._loader" in sys.modules:
        return
    loader = types.ModuleType("pydantic.plugin._loader", "every pydantic plugin disabled")
    loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
    sys.modules["pydantic.plugin._loader"] = loader


def leave(code: int | str | None) -> None:
    """End the process as ``sys.exit(code)`` would, without tearing the interpreter down.

    Freeing the modules and the thousands of records a command made takes ~40 ms on a
    100,000-record workspace (7% of ``tcrm today``) and does nothing for the user: the
    kernel takes the memory back at once. What matters of Python's exit is kept: the
    ``atexit`` handlers run (they stop git and let go of the workspace lock), stdout and
    stderr are flushed, and every file tcrm writes was closed by then (atomic writes).
    With another thread still running (the TUI's workers), or a profiler or tracer that
    writes its report at exit (``python -m cProfile``, coverage), the normal exit is taken.
    """
    import atexit
    import os

    threading = sys.modules.get("threading")  # not imported: no other thread (prompts, TABs)
    if (threading and threading.active_count() > 1) or sys.getprofile() or sys.gettrace():
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # what sys.exit does with a message
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # a reader that went away, a closed stream
        status = status or 1
    try:  # noqa: SIM105 (contextlib.suppress: a prompt would import contextlib for it)
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(status & 0xFF)


if __name__ == "__main__":
    main()
