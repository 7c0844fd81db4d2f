"""How long the TUI's Conflicts screen takes to read its list, by workspace size, next to
``list_conflicts`` (what ``tcrm conflicts`` reads: every record file).

    python benchmarks/bench_conflicts.py [--sizes 1k,10k] [--runs 5]

For each size: a generated workspace (``tcrm dev generate --preset SIZE``) with its index
built (``tcrm today``), then each read timed on a fresh ``Workspace``, in this process.
Medians (min-max), seconds. Run it on an otherwise idle machine (``uptime``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOW = "2026-11-23T09:00:00+01:00"


def prepare(root: Path, size: str) -> None:
    tcrm = [sys.executable, "-m", "tcrm"]
    subprocess.run([*tcrm, "dev", "generate", "--preset", size, str(root)], check=True)
    env = {**os.environ, "TCRM_NOW": NOW}
    subprocess.run([*tcrm, "-w", str(root), "today"], check=True, env=env, capture_output=True)


def timed(read: Callable[[Any], list[Any]], root: Path, runs: int) -> list[float]:
    from tcrm.store.workspace import Workspace

    times = []
    for _ in range(runs):
        ws = Workspace(root)
        start = time.perf_counter()
        read(ws)
        times.append(time.perf_counter() - start)
    return times


def shown(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s ({min(times):.3f}-{max(times):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from tcrm.services.conflicts import list_conflicts
    from tcrm.tui.screens.conflicts import conflict_list

    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            root = Path(tmp) / size
            prepare(root, size)
            print(f"{size}: tcrm conflicts' read {shown(timed(list_conflicts, root, args.runs))}")
            print(f"{size}: the Conflicts screen's {shown(timed(conflict_list, root, args.runs))}")


if __name__ == "__main__":
    main()
