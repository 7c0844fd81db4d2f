"""The ``tcrm`` executable: ask git what changed first, then import the CLI.

A read command on a big workspace waits ~0.2 s for ``git status`` and ~0.2 s for its
imports; started here, git runs on the other core meanwhile (see ``tcrm.store.early``).
"""

from __future__ import annotations

import sys


def main() -> None:
    import os

    # pydantic looks for plugins (entry points of every installed package) on first use:
    # ~25 ms of each command's start-up, for nothing tcrm uses
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from tcrm.store import early

    early.start_for(sys.argv[1:])
    from tcrm.cli.main import main as run

    run()


if __name__ == "__main__":
    main()
