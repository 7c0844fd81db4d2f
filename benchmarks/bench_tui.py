"""How fast the TUI opens on a big workspace: a script, not a test.

    python benchmarks/bench_tui.py [--clients 10000] [--deals 20000] [--tasks 50000]
                                   [--activities 0] [--runs 3] [--json] [--keep DIR]

Generates a workspace (record files written straight with the store's fast YAML dumper,
then one ``git init`` and one commit with the git CLI), then, per run, times:

- ``first``: App start -> the Today screen's first paint (its tasks: overdue, today and
  the week, read through ``tasks.list_tasks``; ``run_test`` headless at 100x30);
- ``today``: App start -> the Today screen complete (the planner's reminders, rotting
  deals and clients to contact too: its ``Ready`` message);
- ``clients``: switching to the Clients screen -> its table filled;
- ``scroll``: 50 page-downs and 50 page-ups on the clients table once the background
  workers are done, with a repaint after each (responsiveness of the virtualised table;
  most of it is the pilot's own wait per key: compare with a 100-client workspace);
- ``widgets``: how many widgets the Clients screen has (one table, not one per row).

Prints the median of each over the runs, and JSON with --json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcrm.store.workspace import Workspace  # noqa: E402
from tcrm.store.yamlio import dump_fast  # noqa: E402

NOW = datetime.fromisoformat("2026-11-23T09:00:00+01:00")
SETTINGS = ROOT / "sample_workspace" / "tcrm.yaml"
WORDS = (  # noqa: SIM905 - a word list reads better as text
    "north wind river stone blue oak maple cedar harbor summit alpine delta nova lumen "
    "pixel forge orbit quartz ember atlas vertex meadow falcon copper silver granite"
).split()
TEAM = ("ann", "ben", "chloe")
STAGES = ("lead", "qualified", "proposal", "negotiation")


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    (folder / f"{name}.yaml").write_text(dump_fast(data), encoding="utf-8")


def generate(root: Path, clients: int, deals: int, tasks: int, activities: int) -> None:
    """A valid workspace of the given size (the sample's settings, made-up records)."""
    rng = random.Random(7)
    for name in ("clients", "deals", "tasks", "activities/2026"):
        (root / name).mkdir(parents=True)
    (root / "tcrm.yaml").write_text(SETTINGS.read_text(encoding="utf-8"), encoding="utf-8")
    created = "2026-01-05T10:00+01:00"
    for n in range(clients):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}"
        _write(
            root / "clients",
            f"c{n:05d}",
            {
                "name": name,
                "type": "company",
                "status": rng.choice(("lead", "prospect", "active")),
                "owner": rng.choice(TEAM),
                "tags": [rng.choice(("smb", "vip", "enterprise"))],
                "emails": [f"hello@c{n}.example.org"],
                "cadence_days": rng.choice((None, 30, 60)) or 90,
                "created": created,
            },
        )
    for n in range(deals):
        stage = rng.choice(STAGES)
        status = rng.choice(("open", "open", "open", "won", "lost"))
        data: dict[str, Any] = {
            "title": f"Project {n}",
            "client": f"c{rng.randrange(clients):05d}",
            "pipeline": "sales",
            "stage": stage,
            "status": status,
            "amount": str(rng.randrange(1000, 200000)),
            "currency": "EUR",
            "close_date": (date(2026, 12, 1) + timedelta(days=rng.randrange(90))).isoformat(),
            "owner": rng.choice(TEAM),
            "created": created,
            "stage_history": [
                {"at": f"2026-{rng.randrange(1, 12):02d}-10T10:00+01:00", "stage": stage}
            ],
        }
        if status != "open":
            data["closed"] = "2026-11-01"
            data["stage_history"].append(
                {"at": "2026-11-01T10:00+01:00", "stage": stage, "status": status}
            )
        if status == "lost":
            data["lost_reason"] = "price"
        _write(root / "deals", f"d{n:05d}", data)
    for n in range(tasks):
        due = date(2026, 11, 23) + timedelta(days=rng.randrange(-30, 60))
        data = {
            "title": f"Follow up {n}",
            "status": rng.choice(("open", "open", "done")),
            "due": due.isoformat(),
            "assignee": rng.choice(TEAM),
            "clients": [f"c{rng.randrange(clients):05d}"],
            "created": created,
        }
        if data["status"] == "done":
            data["completed"] = "2026-11-01T10:00+01:00"
        _write(root / "tasks", f"t{n:06d}", data)
    for n in range(activities):
        _write(
            root / "activities" / "2026",
            f"a{n:06d}",
            {
                "kind": "call",
                "at": f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}T11:00+01:00",
                "summary": f"Call {n}",
                "clients": [f"c{rng.randrange(clients):05d}"],
                "author": rng.choice(TEAM),
            },
        )
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench: generate"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)


async def _until(pilot: Any, ready: Any, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen never painted")
        await pilot.pause(0.005)


def one_run(root: Path) -> dict[str, float | int]:
    from tcrm.tui.app import TcrmApp
    from tcrm.tui.screens.clients import ClientsScreen
    from tcrm.tui.screens.today import TodayScreen
    from tcrm.tui.widgets.rows import RowsView

    out: dict[str, float | int] = {}

    async def main() -> None:
        start = time.perf_counter()
        app = TcrmApp(Workspace.open(root), clock=lambda: NOW, quiet=True, poll_seconds=None)
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(
                pilot, lambda: isinstance(app.screen, TodayScreen) and app.screen.first_paints
            )
            out["first"] = time.perf_counter() - start
            await _until(pilot, lambda: isinstance(app.screen, TodayScreen) and app.screen.loads)
            await pilot.pause()
            out["today"] = time.perf_counter() - start
            start = time.perf_counter()
            await pilot.press("3")
            await _until(pilot, lambda: isinstance(app.screen, ClientsScreen) and app.screen.loads)
            await pilot.pause()
            out["clients"] = time.perf_counter() - start
            table = app.screen.query_one(RowsView)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tcrm-bench-tui-") as tmp:
        root = args.keep or Path(tmp) / "ws"
        started = time.perf_counter()
        if not (root / "tcrm.yaml").exists():
            generate(root, args.clients, args.deals, args.tasks, args.activities)
        generated = time.perf_counter() - started
        runs = [one_run(root) for _ in range(args.runs)]
    result = {
        "workspace": {
            "clients": args.clients,
            "deals": args.deals,
            "tasks": args.tasks,
            "activities": args.activities,
        },
        "generate_seconds": round(generated, 2),
        "runs": runs,
        "median": {
            key: round(statistics.median(r[key] for r in runs), 3)
            for key in ("first", "today", "clients", "scroll")
        },
        "clients_rows": runs[0]["rows"],
        "clients_screen_widgets": runs[0]["widgets"],
        "target_today_seconds": 1.0,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    median = result["median"]
    print(
        f"workspace: {args.clients} clients, {args.deals} deals, {args.tasks} tasks, "
        f"{args.activities} activities (generated in {generated:.1f} s)"
    )
    print(f"start -> Today, tasks  : {median['first']:.2f} s (median of {args.runs}; target 1 s)")
    print(f"start -> Today, all    : {median['today']:.2f} s")
    print(
        f"Clients table filled   : {median['clients']:.2f} s "
        f"({result['clients_rows']} rows, {result['clients_screen_widgets']} widgets)"
    )
    print(
        f"100 page up/down       : {median['scroll']:.2f} s "
        f"({median['scroll'] * 10:.0f} ms a key, pilot overhead included)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
