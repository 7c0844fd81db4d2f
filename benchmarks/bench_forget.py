"""How long ``tcrm forget --apply`` takes on a generated workspace (docs/access.md).

    python benchmarks/bench_forget.py [--size 1k] [--runs 3] [--json FILE]

Each run copies run.py's cached generated workspace (``benchmarks/.cache/<size>/ws``,
made if missing; never written to) and times the whole process
``tcrm forget CLIENT --apply --reason bench`` on the busiest client (the most deals,
tasks and activities): plan, the erasure commit, the history rewrite
(``git fast-export | git fast-import``), ``git gc --prune=now``. No remote: nothing is
pushed. Medians (min-max), seconds. Run it on an otherwise idle machine (``uptime``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1k", choices=sorted(suite.SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    source, _ = suite.workspace(args.size)
    client = suite.busiest_client(args.size)
    times: list[float] = []
    commits = int(suite.git(source, "rev-list", "--count", "HEAD"))
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            ws = Path(tmp) / "ws"
            suite.copy_workspace(source, ws)
            env = suite.tcrm_env(ws, None)
            cmd = suite.tcrm_cmd("forget", client, "--apply", "--reason", "bench")
            started = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"tcrm forget failed: {done.stderr.strip()}")
            times.append(seconds)
            suite.say(f"run {n + 1}: {seconds:.2f} s")
    line = (
        f"forget --apply, {args.size} ({commits} commit(s)), {client}: "
        f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f}), "
        f"{args.runs} runs, load {os.getloadavg()[0]:.2f}"
    )
    print(line)
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "client": client, "times": times}))


if __name__ == "__main__":
    main()
