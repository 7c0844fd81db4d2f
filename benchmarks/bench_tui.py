"""How fast the TUI opens on a big workspace: a script, not a test.

    python benchmarks/bench_tui.py [--clients 10000] [--deals 20000] [--tasks 50000]
                                   [--activities 30000] [--runs 3] [--json] [--keep DIR]
    python benchmarks/bench_tui.py --sizes 10k,tui [--runs 5] [--code DIR] [--json]

``--sizes``: the first paint of Today and every screen switch (each screen of the nav bar
by its key, the first visit and a return), on run.py's cached workspaces (``10k``:
10,000 records; ``tui``: 10,000 clients, 20,000 deals, 50,000 tasks, 30,000 activities),
each run a new process on a private copy with its index built (one untimed run first).
``--code DIR`` times the tcrm package in DIR too, alternating with this one in the same
run (before/after on a noisy machine). Targets: first paint < 1 s, a switch < 150 ms.

The default size is issue 7's: 10,000 clients, 20,000 deals and 50,000 tasks painted in
under a second (plus 30,000 activities, as a team that logs its calls has). The workspace
is made by ``tcrm dev generate``'s generator (``tcrm.devtools.generate``), in a temporary
directory or in ``--keep DIR`` (reused when it already holds a workspace; the TUI only
reads it, but builds its local index in ``DIR/.tcrm/``). Per run, in this process, with
``run_test`` headless at 100x30:

- ``first``: App() -> the Today screen's tasks (overdue, today, the week) painted;
- ``today``: App() -> the Today screen complete (the planner's reminders, rotting deals
  and clients to contact too, which need every deal, client and activity);
- ``clients``: switching to the Clients screen -> its table filled;
- ``scroll``: 50 page-downs and 50 page-ups on the clients table once the background
  workers are done, with a repaint after each (responsiveness of the virtualised table;
  most of it is the pilot's own wait per key: compare with a 100-client workspace);
- ``widgets``: how many widgets the Clients screen has (one table, not one per row).

Prints the median of each over the runs, and JSON with --json. ``benchmarks/run.py`` times
the whole process up to the Today screen through ``first_paint``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if "tcrm" not in sys.modules:  # run.py's child imports the tcrm under test (--code) first
    sys.path.insert(0, str(ROOT))

from tcrm.store.workspace import Workspace  # noqa: E402

NOW = datetime.fromisoformat("2026-11-23T09:00:00+01:00")
SIZE = (100, 30)


async def _until(pilot: Any, ready: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen never painted")
        await pilot.pause(0.005)


async def _open_today(pilot: Any, app: Any, start: float) -> dict[str, float]:
    """Wait for the Today screen's two paints; seconds since ``start`` and wall clocks.

    ``first_paints`` counts the paints of the tasks alone; a TUI without it (an older
    checkout timed with --code) paints everything at once, so first = complete.
    """
    from tcrm.tui.screens.today import TodayScreen

    await _until(pilot, lambda: isinstance(app.screen, TodayScreen))
    screen = app.screen
    out: dict[str, float] = {}
    if hasattr(screen, "first_paints"):
        await _until(pilot, lambda: screen.first_paints > 0)
        painted = getattr(screen, "first_painted_at", None)  # set after the refresh
        if painted is None:  # an older TUI: the moment this loop noticed
            await pilot.pause()  # let the compositor paint the rows
            painted = (time.perf_counter(), time.time())
        out["first"], out["first_at"] = painted[0] - start, painted[1]
    await _until(pilot, lambda: screen.loads > 0)
    await pilot.pause()
    out["today"], out["today_at"] = time.perf_counter() - start, time.time()
    out.setdefault("first", out["today"])
    out.setdefault("first_at", out["today_at"])
    return out


def first_paint(root: Path) -> dict[str, float]:
    """App() -> the Today screen painted: ``first`` (its tasks) and ``today`` (complete).

    Seconds from just before the workspace is opened and the App created (``*_at``: the
    same moments as ``time.time()``, so a parent can time from the process's spawn).
    """
    from tcrm.tui.app import TcrmApp

    out: dict[str, float] = {}

    async def main() -> None:
        start = time.perf_counter()
        ws = Workspace.open(root)
        _warm_up(ws)
        app = TcrmApp(ws, clock=lambda: NOW, quiet=True, poll_seconds=None)
        async with app.run_test(size=SIZE) as pilot:
            out.update(await _open_today(pilot, app, start))

    asyncio.run(main())
    return out


def _warm_up(ws: Workspace) -> None:
    """What ``tcrm tui`` does before the App starts (a first index on every core)."""
    try:
        from tcrm.services.indexing import warm_up
    except ImportError:  # an older tcrm (--code) without it
        return
    warm_up(ws)


def one_run(root: Path) -> dict[str, float | int]:
    """The Today screen, then the Clients screen and scrolling it (see the module doc)."""
    from tcrm.tui.app import TcrmApp
    from tcrm.tui.screens.clients import ClientsScreen
    from tcrm.tui.widgets.rows import RowsView

    out: dict[str, float | int] = {}

    async def main() -> None:
        start = time.perf_counter()
        app = TcrmApp(Workspace.open(root), clock=lambda: NOW, quiet=True, poll_seconds=None)
        async with app.run_test(size=SIZE) as pilot:
            painted = await _open_today(pilot, app, start)
            out["first"], out["today"] = painted["first"], painted["today"]
            start = time.perf_counter()
            await pilot.press("3")
            await _until(
                pilot, lambda: isinstance(app.screen, ClientsScreen) and app.screen.loads > 0
            )
            await pilot.pause()
            out["clients"] = time.perf_counter() - start
            table = app.screen.query_one(RowsView)  # the virtualised table, not a DataTable
            out["rows"] = table.row_count
            out["widgets"] = len(list(app.screen.walk_children(with_self=False)))
            table.focus()
            await app.workers.wait_for_complete()  # the reminders scan, started after Today
            await pilot.pause()
            start = time.perf_counter()
            for key in ["pagedown"] * 50 + ["pageup"] * 50:
                await pilot.press(key)
            await pilot.pause()
            out["scroll"] = time.perf_counter() - start

    asyncio.run(main())
    return out


def switches(root: Path) -> dict[str, float]:
    """App() -> Today painted (``first``, ``today``), then each screen of the nav bar by its
    key until it has painted its data (``first:MODE``: built and loaded the first time;
    ``again:MODE``: shown again), seconds. Runs the tcrm already imported (see --code)."""
    from tcrm.tui.app import TcrmApp
    from tcrm.tui.widgets.nav import SCREENS

    out: dict[str, float] = {}

    async def main() -> None:
        start = time.perf_counter()
        ws = Workspace.open(root)
        _warm_up(ws)
        app = TcrmApp(ws, clock=lambda: NOW, quiet=True, poll_seconds=None)
        async with app.run_test(size=SIZE) as pilot:
            painted = await _open_today(pilot, app, start)
            out["first"], out["today"] = painted["first"], painted["today"]
            await app.workers.wait_for_complete()  # the reminders scan, after Today
            await pilot.pause()
            walk = [*SCREENS[1:], SCREENS[0]]  # Today last: it is shown already
            for round_name in ("first", "again"):
                for mode, key, _label in walk:

                    def shown(mode: str = mode) -> bool:
                        screen = app.screen
                        return app.current_mode == mode and getattr(screen, "loads", 1) > 0

                    started = time.perf_counter()
                    await pilot.press(key)
                    await _until(pilot, shown)
                    await pilot.pause()  # painted
                    out[f"{round_name}:{mode}"] = time.perf_counter() - started

    asyncio.run(main())
    return out


_SWITCH_CHILD = """
import json, sys
from pathlib import Path
{code}import tcrm  # first: the package under test is the one bench_tui's imports find
sys.path.insert(0, {bench_dir!r})
import bench_tui
print(json.dumps(bench_tui.switches(Path({ws!r}))))
"""


def _child(ws: Path, code: Path | None) -> dict[str, float]:
    import os
    import subprocess

    head = f"sys.path.insert(0, {str(code)!r})\n" if code is not None else ""
    bench_dir = str(ROOT / "benchmarks")
    script = _SWITCH_CHILD.format(code=head, bench_dir=bench_dir, ws=str(ws))
    env = {**os.environ, "TCRM_NOW": NOW.isoformat(), "PYTHONDONTWRITEBYTECODE": "1"}
    if code is None:
        env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the TUI run failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def compare_sizes(sizes: list[str], runs: int, code: Path | None) -> dict[str, Any]:
    """Medians of ``switches`` per size, for this checkout and (``code``) another one."""
    import subprocess

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run as suite  # the cached workspaces of benchmarks/run.py

    codes: dict[str, Path | None] = {"this": None}
    if code is not None:
        codes["code"] = code
    result: dict[str, Any] = {"sizes": {}, "runs": runs, "code": str(code) if code else None}
    for size in sizes:
        cached, _ = suite.workspace(size)
        with tempfile.TemporaryDirectory(prefix="tcrm-bench-tui-") as tmp:
            per_code: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
            work: dict[str, Path] = {}
            for name, path in codes.items():  # each code its own copy, its own index
                work[name] = Path(tmp) / name
                subprocess.run(["cp", "-a", str(cached), str(work[name])], check=True)
                _child(work[name], path)  # untimed: builds the index
            for _ in range(runs):  # alternating: both see the same machine load
                for name, path in codes.items():
                    per_code[name].append(_child(work[name], path))
        result["sizes"][size] = {
            name: {
                key: round(statistics.median(r[key] for r in rows) * 1000, 1)
                for key in rows[0]
                if not key.endswith("_at")
            }
            for name, rows in per_code.items()
        }
        print(json.dumps({size: result["sizes"][size]}), file=sys.stderr, flush=True)
    return result


def print_comparison(result: dict[str, Any]) -> None:
    names = ["this", *(["code"] if result["code"] else [])]
    print(f"medians of {result['runs']} runs, ms (code = {result['code']})")
    for size, per_code in result["sizes"].items():
        print(f"\n{size}:")
        print(f"  {'':<16}" + "".join(f"{n:>10}" for n in names))
        for key in per_code["this"]:
            cells = "".join(f"{per_code[n].get(key, float('nan')):>10.1f}" for n in names)
            print(f"  {key:<16}{cells}")


def generate(root: Path, clients: int, deals: int, tasks: int, activities: int) -> float:
    """A workspace of this size at ``root``, as ``tcrm dev generate`` makes it; seconds."""
    from tcrm.devtools.generate import write_generated_workspace

    started = time.perf_counter()
    write_generated_workspace(
        root, clients=clients, deals=deals, tasks=tasks, activities=activities
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    parser.add_argument("--sizes", help="run.py's cached sizes (10k,tui): every screen switch")
    parser.add_argument("--code", type=Path, help="with --sizes: time the tcrm in DIR too")
    args = parser.parse_args()
    if args.sizes:
        compared = compare_sizes(args.sizes.split(","), args.runs, args.code)
        if args.json:
            print(json.dumps(compared, indent=2))
        else:
            print_comparison(compared)
        return
    counts = (args.clients, args.deals, args.tasks, args.activities)
    with tempfile.TemporaryDirectory(prefix="tcrm-bench-tui-") as tmp:
        root = args.keep or Path(tmp) / "ws"
        generated = 0.0
        if not (root / "tcrm.yaml").exists():
            generated = generate(root, *counts)
        runs = [one_run(root) for _ in range(args.runs)]
    result = {
        "workspace": dict(zip(("clients", "deals", "tasks", "activities"), counts, strict=True)),
        "generate_seconds": round(generated, 2),
        "runs": runs,
        "median": {
            key: round(statistics.median(r[key] for r in runs), 3)
            for key in ("first", "today", "clients", "scroll")
        },
        "clients_rows": runs[0]["rows"],
        "clients_screen_widgets": runs[0]["widgets"],
        "target_first_seconds": 1.0,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    median = result["median"]
    print(
        f"workspace: {args.clients} clients, {args.deals} deals, {args.tasks} tasks, "
        f"{args.activities} activities (generated in {generated:.1f} s)"
    )
    print(f"App() -> Today, tasks  : {median['first']:.2f} s (median of {args.runs}; target 1 s)")
    print(f"App() -> Today, all    : {median['today']:.2f} s")
    print(
        f"Clients table filled   : {median['clients']:.2f} s "
        f"({result['clients_rows']} rows, {result['clients_screen_widgets']} widgets)"
    )
    print(
        f"100 page up/down       : {median['scroll']:.2f} s "
        f"({median['scroll'] * 10:.0f} ms a key, pilot overhead included)"
    )


if __name__ == "__main__":
    main()
