"""How long one commit takes on a big workspace, the general path against the fast one.

    python benchmarks/bench_commit.py [--size 100k] [--runs 5] [--batch 10000]
                                      [--only commit,task-add,batch] [--profile] [--json FILE]

Both paths are timed in the same run, alternating run by run, on one copy (``cp -a``) of
run.py's cached generated workspace (``benchmarks/.cache/<size>/ws``, made if missing; the
cache itself is never written to):

- ``commit``: in-process, ``tcrm.store.git.commit`` of one new task file (what every
  ``tcrm`` write ends with). The general path is dulwich's stage + commit, which reads
  and rewrites the whole git index; the fast path patches the index and writes only the
  trees on the way to the file. ``TCRM_FAST_COMMIT=0`` selects the general path.
- ``task-add``: the whole process ``python -m tcrm task add ... --due tomorrow``, as a user
  runs it, with ``TCRM_FAST_COMMIT=0`` or not.
- ``batch``: in-process, one commit of ``--batch`` new client files (an import's commit).
  The general path writes as many loose objects, which makes dulwich start a garbage
  collection of the whole repository once there are more than 6,700.

``--profile`` prints where the fast path spends its time (cProfile, one extra commit).
Medians (min-max), seconds. Run it on an otherwise idle machine (``uptime``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as suite

from tcrm.store import git as gitstore

PATHS = {"general": "0", "fast": "1"}
BENCHES = ("commit", "task-add", "batch")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def with_path(path: str) -> None:
    os.environ[gitstore.FAST_COMMIT_ENV] = PATHS[path]


def one_file_commit(ws: Path, n: int) -> float:
    rel = f"tasks/tbench{n:05d}.yaml"
    (ws / rel).write_text(f"id: tbench{n:05d}\ntitle: bench {n}\n", encoding="utf-8")
    started = time.perf_counter()
    gitstore.commit(ws, [rel], f"task tbench{n:05d}: add")
    return time.perf_counter() - started


def batch_commit(ws: Path, n: int, count: int) -> float:
    rels = [f"clients/bench-{n:03d}-{i:05d}.yaml" for i in range(count)]
    for i, rel in enumerate(rels):
        (ws / rel).write_text(f"id: bench-{n:03d}-{i:05d}\nname: B {n} {i}\n", encoding="utf-8")
    started = time.perf_counter()
    gitstore.commit(ws, rels, f"import: {count} clients")
    return time.perf_counter() - started


def task_add(ws: Path, n: int, path: str) -> float:
    env = {**suite.tcrm_env(ws, None), gitstore.FAST_COMMIT_ENV: PATHS[path]}
    cmd = suite.tcrm_cmd("task", "add", f"bench {n}", "--due", "tomorrow")
    return suite.timed(cmd, env, timeout=600)


def runner(name: str, ws: Path, batch: int) -> Callable[[int, str], float]:
    """``once(run number, path)`` for a benchmark."""

    def commit_once(n: int, path: str) -> float:
        with_path(path)
        return one_file_commit(ws, n * 2 + (path == "fast"))

    def batch_once(n: int, path: str) -> float:
        with_path(path)
        return batch_commit(ws, n * 2 + (path == "fast"), batch)

    def task_add_once(n: int, path: str) -> float:
        return task_add(ws, n, path)

    if name == "task-add":
        task_add(ws, -1, "fast")  # untimed: whatever tcrm caches in .tcrm/ is made here
    return {"commit": commit_once, "task-add": task_add_once, "batch": batch_once}[name]


def alternate(runs: int, once: Callable[[int, str], float]) -> dict[str, list[float]]:
    """``runs`` timings per path, general and fast taking turns (the order flips each run,
    so a slow phase of the machine does not land on one path only)."""
    times: dict[str, list[float]] = {path: [] for path in PATHS}
    for n in range(runs):
        order = list(PATHS) if n % 2 == 0 else list(reversed(PATHS))
        for path in order:
            times[path].append(once(n, path))
            say(f"  {path} run {n + 1}: {times[path][-1]:.3f} s")
    return times


def consistent(ws: Path) -> None:
    """Both paths must leave what git expects: a clean status, index equal to HEAD."""
    status = suite.git(ws, "status", "--porcelain")
    staged = suite.git(ws, "diff-index", "--cached", "HEAD")
    if status or staged:
        raise SystemExit(f"{ws} is not clean after the commits:\n{status}{staged}")


def profile_fast(ws: Path) -> None:
    with_path("fast")
    rel = "tasks/tprofile.yaml"
    (ws / rel).write_text("id: tprofile\ntitle: profile\n", encoding="utf-8")
    profiler = cProfile.Profile()
    profiler.enable()
    gitstore.commit(ws, [rel], "task tprofile: add")
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


def summary(times: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(times), 4),
        "min": round(min(times), 4),
        "max": round(max(times), 4),
        "times": [round(t, 4) for t in times],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", choices=sorted(suite.SIZES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000, help="files in the batch commit")
    parser.add_argument("--only", default="commit,task-add", help=f"of {','.join(BENCHES)}")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    if unknown := set(only) - set(BENCHES):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    load_before = os.getloadavg()
    cached, _ = suite.workspace(args.size)
    work = Path(tempfile.mkdtemp(prefix="tcrm-bench-commit-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        ws = work / "ws"
        say(f"copying {cached} ...")
        suite.copy_workspace(cached, ws)
        for name in sorted(only, key=BENCHES.index):  # the batch last: it may repack
            runs = args.runs if name != "batch" else max(1, args.runs // 5)
            say(f"{name} ({args.size}, {runs} runs per path):")
            times = alternate(runs, runner(name, ws, args.batch))
            consistent(ws)
            results[name] = {path: summary(t) for path, t in times.items()}
        if args.profile:
            profile_fast(ws)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "size": args.size,
        "runs": args.runs,
        "batch": args.batch,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    print(f"\n{args.size}, median (min-max) seconds, load {report['load_average_before']}")
    print(f"| {'benchmark':<28} | {'general (dulwich)':<26} | {'fast':<26} | speed-up |")
    print(f"|{'-' * 30}|{'-' * 28}|{'-' * 28}|----------|")
    for name, by_path in results.items():
        cells = [
            f"{s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f})"
            for s in (by_path["general"], by_path["fast"])
        ]
        ratio = by_path["general"]["median"] / by_path["fast"]["median"]
        label = {"commit": "one-file commit (in-process)", "task-add": "task add (whole process)"}
        print(
            f"| {label.get(name, f'{args.batch}-file commit'):<28} | {cells[0]:<26} "
            f"| {cells[1]:<26} | {ratio:7.1f}x |"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        say(f"wrote {args.json}")


if __name__ == "__main__":
    main()
