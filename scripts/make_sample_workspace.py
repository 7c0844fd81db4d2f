"""Regenerate the sample workspace: python scripts/make_sample_workspace.py [--force]

Writes Northwind Studio's CRM (tcrm.devtools.sample) into sample_workspace/ of this
repository, or into DEST. The output depends only on --today, so the committed folder can be
checked byte for byte (tests/test_sample_workspace.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date
from pathlib import Path

from tcrm.devtools.sample import TODAY, write_sample_workspace
from tcrm.store.workspace import SETTINGS_FILE

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dest",
        nargs="?",
        type=Path,
        default=ROOT / "sample_workspace",
        help="where to write it (default: sample_workspace/ of this repository)",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=TODAY,
        help=f"the day the data is relative to, YYYY-MM-DD (default: {TODAY})",
    )
    parser.add_argument(
        "--force", action="store_true", help="delete DEST first if it holds a workspace"
    )
    args = parser.parse_args(argv)
    dest: Path = args.dest
    if args.force and dest.is_dir() and any(dest.iterdir()):
        if not (dest / SETTINGS_FILE).is_file():
            print(f"error: {dest} is not a tcrm workspace; not deleting it", file=sys.stderr)
            return 1
        shutil.rmtree(dest)
    try:
        write_sample_workspace(dest, args.today)
    except ValueError as exc:
        hint = "" if args.force else " (use --force to replace it)"
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 1
    print(f"wrote the sample workspace to {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
