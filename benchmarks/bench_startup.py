"""Start-up cost of tcrm: whole-process wall time of cheap commands, and what they import.

    python benchmarks/bench_startup.py [--runs 10] [--before DIR] [--json FILE] [--top 20]

Every figure is the median wall time of a fresh process (output to a pipe, as in a
script), run ``--runs`` times on a copy of sample_workspace/: the interpreter alone,
``import typer``, ``import tcrm.cli.main``, ``tcrm --version``, ``tcrm --help``,
``tcrm task list``, ``tcrm today``, ``tcrm status`` (a prompt's) and three TABs as bash
asks them (``task done t``: ids, ``deal list --stage p``: stages, ``log x y --author b``:
members). Then ``python -X importtime`` of ``tcrm task list``:
the modules with the largest cumulative import time (median over the runs), and which
heavy libraries were imported at all.

The ``tcrm`` timed is this checkout's (first on ``PYTHONPATH``). ``--before DIR`` also
times the ``tcrm`` package in DIR (a checkout of an older commit), run for run alternating
with this one, so both columns see the same machine load. A script, not a test: nothing
here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-11-23T09:00:00+01:00"
NEUTRAL_CWD = tempfile.gettempdir()
"""``python -m`` puts the current directory first on sys.path: run where no checkout is."""
HEAVY = (
    "textual",
    "icalendar",
    "dulwich",
    "http.server",
    "ssl",
    "vobject",
    "ruamel",
    "rich",
    "pydantic",
    "yaml",
    "tcrm.tui",
    "tcrm.ics",
    "tcrm.reports",
    "tcrm.io",
)
"""Libraries and tcrm packages whose presence in ``task list`` is worth reporting."""

PY = sys.executable
TCRM = (PY, "-m", "tcrm")


def tab(line: str) -> dict[str, str]:
    """What bash's completion script sets for ``line`` (its last word being completed)."""
    words = line.split(" ")
    return {
        "_TCRM_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }


FIGURES: tuple[tuple[str, tuple[str, ...], dict[str, str]], ...] = (
    ("python -c pass", (PY, "-c", "pass"), {}),
    ("python -c 'import typer'", (PY, "-c", "import typer"), {}),
    ("python -c 'import tcrm.cli.main'", (PY, "-c", "import tcrm.cli.main"), {}),
    ("tcrm --version", (*TCRM, "--version"), {}),
    ("tcrm --help", (*TCRM, "--help"), {}),
    ("tcrm task list", (*TCRM, "task", "list"), {}),
    ("tcrm today", (*TCRM, "today"), {}),
    ("tcrm status", (*TCRM, "status"), {}),
    ("TAB tcrm task done t", TCRM, tab("tcrm task done t")),
    ("TAB tcrm deal list --stage p", TCRM, tab("tcrm deal list --stage p")),
    ("TAB tcrm log x y --author b", TCRM, tab("tcrm log x y --author b")),
)
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def sample_workspace(parent: Path) -> Path:
    """A git workspace made from sample_workspace/ by ``tcrm init --from``."""
    from tcrm.services.setup import init_workspace

    ids = {"NAME": "Bench", "EMAIL": "bench@example.com"}
    for role in ("AUTHOR", "COMMITTER"):
        for key, value in ids.items():
            os.environ.setdefault(f"GIT_{role}_{key}", value)
    root = parent / "ws"
    init_workspace(root, template=ROOT / "sample_workspace")
    # dated back as a workspace in use is: a folder or settings file changed within the
    # last 2 s is never trusted by the index (racy), and status and TAB would take the
    # normal path until the clock moved on
    past = time.time() - 60
    for path in [root / "tcrm.yaml", *(p for p in root.rglob("*") if p.is_dir())]:
        if ".git" not in path.relative_to(root).parts:
            os.utime(path, (past, past))
    return root


def environment(ws: Path, code: Path | None, pycache: Path) -> dict[str, str]:
    """Output to a pipe, and compiled modules cached as a user's are: the untimed first run
    writes them under ``pycache`` (nothing is written into a checkout), even where
    PYTHONDONTWRITEBYTECODE is set (compiling tcrm from source costs ~50 ms a run); stdout
    buffered as on a user's machine, even where PYTHONUNBUFFERED is set."""
    env = {**os.environ, "TCRM_NOW": NOW, "TCRM_WORKSPACE": str(ws)}
    dropped = ("_TCRM_COMPLETE", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "FORCE_COLOR")
    for var in (*dropped, "TTY_COMPATIBLE"):
        env.pop(var, None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if code is not None:  # its tcrm package comes before the installed one
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    return env


def timed(cmd: tuple[str, ...], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=NEUTRAL_CWD, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr[-300:]!r}")
    return seconds


def import_times(env: dict[str, str]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """``-X importtime`` of ``tcrm task list``: module -> (cumulative us, depth), in order."""
    done = subprocess.run(
        (PY, "-X", "importtime", "-m", "tcrm", "task", "list"),
        env=env,
        cwd=NEUTRAL_CWD,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    found: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            cumulative, indent, name = int(match[2]), len(match[3]), match[4]
            found[name] = (cumulative, indent // 2)
    return found, list(found)


def heavy_present(modules: list[str]) -> list[str]:
    return [h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in modules)]


def measure(codes: dict[str, Path | None], ws: Path, runs: int, top: int) -> dict[str, Any]:
    pycache = ws.parent / "pycache"
    envs = {}
    for label, code in codes.items():  # a copy each: an index is rebuilt for another version
        copy = ws.parent / f"ws-{label}"
        subprocess.run(["cp", "-a", str(ws), str(copy)], check=True)
        envs[label] = environment(copy, code, pycache)
    figures: list[dict[str, Any]] = []
    for name, cmd, extra in FIGURES:
        times: dict[str, list[float]] = {label: [] for label in codes}
        for env in envs.values():  # one untimed run each: OS caches, .pyc files, the index
            timed(cmd, {**env, **extra})
        for _ in range(runs):
            for label, env in envs.items():  # alternate, so both see the same load
                times[label].append(timed(cmd, {**env, **extra}))
        entry: dict[str, Any] = {"figure": name}
        for label, values in times.items():
            entry[label] = {
                "median": round(statistics.median(values), 4),
                "min": round(min(values), 4),
                "max": round(max(values), 4),
                "times": [round(t, 4) for t in values],
            }
        figures.append(entry)
        say(
            f"  {name:<36} "
            + "  ".join(f"{label} {entry[label]['median'] * 1000:7.1f} ms" for label in codes)
        )
    imports: dict[str, Any] = {}
    for label, env in envs.items():
        samples = [import_times(env) for _ in range(runs)]
        order = samples[-1][1]
        medians = {
            name: statistics.median(s[0][name][0] for s in samples if name in s[0])
            for name in order
        }
        ranked = sorted(order, key=lambda n: -medians[n])[:top]
        imports[label] = {
            "modules": len(order),
            "heavy_imported": heavy_present(order),
            "top_cumulative_ms": [
                {"module": n, "depth": samples[-1][0][n][1], "ms": round(medians[n] / 1000, 1)}
                for n in ranked
            ],
        }
    return {"figures": figures, "task_list_imports": imports}


def print_report(report: dict[str, Any], labels: list[str]) -> None:
    print("\nmedian wall time of a whole process, ms (min-max)")
    print(f"{'figure':<36}" + "".join(f"{label:>24}" for label in labels))
    for entry in report["figures"]:
        cells = "".join(
            f"{entry[label]['median'] * 1000:>10.1f} ({entry[label]['min'] * 1000:.0f}-"
            f"{entry[label]['max'] * 1000:.0f})".rjust(24)
            for label in labels
        )
        print(f"{entry['figure']:<36}{cells}")
    for label in labels:
        info = report["task_list_imports"][label]
        print(f"\n`tcrm task list` ({label}): {info['modules']} modules imported")
        print("  heavy ones: " + (", ".join(info["heavy_imported"]) or "none"))
        print("  top cumulative import times (median ms; indent = nesting):")
        for item in info["top_cumulative_ms"]:
            print(f"  {item['ms']:8.1f}  {'  ' * item['depth']}{item['module']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per figure")
    parser.add_argument("--before", type=Path, help="also time the tcrm package in this checkout")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--top", type=int, default=20, help="how many imports to list")
    args = parser.parse_args()
    codes: dict[str, Path | None] = {}
    if args.before:
        codes["before"] = args.before.resolve()
    codes["now"] = ROOT  # this checkout, whichever tcrm is installed
    tmp = Path(tempfile.mkdtemp(prefix="tcrm-startup-"))
    try:
        ws = sample_workspace(tmp)
        load_before = os.getloadavg()
        say(f"timing {', '.join(codes)}: {args.runs} runs per figure (load {load_before[0]:.2f})")
        report = measure(codes, ws, args.runs, args.top)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "code": {label: str(code) if code else "installed" for label, code in codes.items()},
        **report,
    }
    print_report(report, list(codes))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        say(f"wrote {args.json}")


if __name__ == "__main__":
    main()
