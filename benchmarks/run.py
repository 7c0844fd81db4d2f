"""tcrm's benchmark suite: whole-process timings on generated workspaces. A script, not a test.

    python benchmarks/run.py [--sizes 1k,10k,100k,tui] [--runs 5] [--json out.json]
                             [--only NAME ...] [--timeout 60] [--code DIR] [--before DIR]
                             [--markdown] [--list]

For each size it generates a workspace once (cached in benchmarks/.cache/<size>/ws,
git-ignored; regenerated when the generator changes) and never runs anything in it: the
commands run in a private copy (`cp -a`, in a temporary directory), each as a separate
process, `python -m tcrm ...` with TCRM_NOW and TCRM_WORKSPACE set, output to /dev/null:

- cold: the local index (`.tcrm/index.sqlite*`) deleted before every run;
- warm: the index exists and is fresh (one untimed run of the same command first).

Commands that write (`task add`, `import csv`) run each time on a fresh copy of the
private copy (untimed), so runs never accumulate records; warm, the copy carries the index.
"first index" times `tcrm index rebuild` when that command exists. The TUI figure is a
child process from spawn to the Today screen painted. Floors and a peer are measured in the
same run: `python -c pass`, `tcrm --version`, reading every record file's bytes
in-process, and taskwarrior with as many pending tasks as the size has tasks. Prints a table
of medians and writes every figure as JSON (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
CACHE = BENCH_DIR / ".cache"
PYCACHE = CACHE / "pycache"
sys.path.insert(0, str(ROOT))

from tcrm.devtools import generate  # noqa: E402

NOW = "2026-11-23T09:00:00+01:00"
TODAY = date(2026, 11, 23)
SEED = 1
IMPORT_ROWS = 10_000
NEUTRAL_CWD = tempfile.gettempdir()
"""Where processes run: `python -m` puts the current directory first on sys.path, so a
checkout there would shadow the tcrm package under test (--code)."""
SEARCH_WORD = "logistics"
"""One of the generator's industry words: ~3% of clients, with their deals and tasks."""
INDEX_GLOB = "index.sqlite*"
"""The local index in `.tcrm/` (with SQLite's -wal and -shm files): deleted for cold runs."""
SIZES: dict[str, generate.Size] = {
    **generate.PRESETS,
    "tui": generate.Size(clients=10_000, deals=20_000, tasks=50_000, activities=30_000),
}
"""The presets of `tcrm dev generate`, and issue 7's workspace for the TUI figure."""
TUI_ONLY = {"tui"}
"""Sizes timed for the TUI figure only."""
DEFAULT_SIZES = "1k,10k,100k,tui"


@dataclass(frozen=True)
class Bench:
    """A tcrm command to time; ``{client}``, ``{word}``, ``{csv}`` and ``{ics}`` are filled in."""

    name: str
    label: str
    args: tuple[str, ...]
    writes: bool = False
    env: tuple[tuple[str, str], ...] = ()
    """Set for the command (a shell's completion request)."""
    warm_up: tuple[str, ...] | None = None
    """The untimed run before the warm ones, when not the command itself (a TAB builds no
    index: ``status`` does, and keeps the settings in it)."""


def tab(line: str) -> tuple[tuple[str, str], ...]:
    """What bash's completion script sets when TAB is pressed after ``line``."""
    return (
        ("_TCRM_COMPLETE", "complete_bash"),
        ("COMP_WORDS", line),
        ("COMP_CWORD", str(len(line.split(" ")) - 1)),
    )


TCRM_BENCHES = (
    Bench("today", "today", ("today",)),
    Bench("task-list", "task list", ("task", "list")),
    Bench("task-list-today", "task list --today", ("task", "list", "--today")),
    Bench("deal-list", "deal list", ("deal", "list")),
    Bench("deal-list-stage", "deal list --stage proposal", ("deal", "list", "--stage", "proposal")),
    Bench("client-list", "client list", ("client", "list")),
    Bench("client-show", "client show <id>", ("client", "show", "{client}")),
    Bench("search", f"search {SEARCH_WORD}", ("search", "{word}")),
    Bench(
        "task-add",
        "task add --due tomorrow (+commit)",
        ("task", "add", "bench", "--due", "tomorrow"),
        writes=True,
    ),
    Bench("log", "log <client> call (+commit)", ("log", "{client}", "call: bench"), writes=True),
    Bench(
        "deal-move",
        "deal move <deal> qualified (+commit)",
        ("deal", "move", "{deal}", "qualified"),
        writes=True,
    ),
    Bench(
        "import-csv",
        f"import csv, {IMPORT_ROWS:,} rows (+commit)",
        ("import", "csv", "{csv}"),
        writes=True,
    ),
    Bench("ics-export", "ics export -o FILE", ("ics", "export", "-o", "{ics}")),
    Bench("check", "check", ("check",)),
    Bench("status", "status (prompt line)", ("status",)),
    Bench(
        "complete-task-id",
        "TAB: task done t<TAB> (ids)",
        (),
        env=tab("tcrm task done t"),
        warm_up=("status",),
    ),
    Bench(
        "complete-stage",
        "TAB: deal list --stage p<TAB>",
        (),
        env=tab("tcrm deal list --stage p"),
        warm_up=("status",),
    ),
    Bench(
        "complete-member",
        "TAB: log x y --author <TAB>",
        (),
        env=tab("tcrm log x y --author "),
        warm_up=("status",),
    ),
)
REFRESH = ("today",)
"""Run untimed in a fresh copy before a warm write: whatever the index keys on (paths,
inodes, git's stat cache), it is then fresh for that copy. `today` reads every kind."""
OTHER_NAMES = {
    "index-rebuild": "first index: index rebuild",
    "tui": "TUI first paint (Today's tasks)",
    "python-pass": "floor: python -c pass",
    "import-cli": "floor: tcrm --version (start-up, no command)",
    "read-files": "floor: read every record file (in-process)",
    "taskwarrior": "taskwarrior 2.6: task list / due:today list / count",
}
TUI_COMPLETE = "TUI Today complete (+ planner sections)"
ALL_NAMES = [b.name for b in TCRM_BENCHES] + list(OTHER_NAMES)


class Failed(Exception):
    """A run that exited non-zero, took longer than the timeout, or did not do its job."""


@dataclass(frozen=True)
class Sample:
    """One run of a child process: wall time (s), CPU time (user + system, s) and peak
    resident memory (MB), the last two from ``os.wait4`` of that very child."""

    wall: float
    cpu: float
    rss_mb: float


AFTER, BEFORE = "", "before"
"""The code labels: the code timed (``--code`` or the installed tcrm), and ``--before``'s."""


@dataclass
class Suite:
    runs: int
    timeout: float
    codes: dict[str, Path | None]
    """Label -> the tcrm package timed (None: the installed one); with ``--before``, two,
    timed run for run alternately so that both see the same machine load."""
    only: set[str]
    tmp: Path
    modes: tuple[str, ...] = ("cold", "warm")
    """``--warm``: the warm figures alone (what a user sees on every command but the first)."""
    results: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def wanted(self, name: str) -> bool:
        return not self.only or name in self.only

    def record(
        self, name: str, label: str, size: str, mode: str, samples: list[Sample], code: str = AFTER
    ) -> dict[str, Any]:
        times = [s.wall for s in samples]
        cpus = [s.cpu for s in samples]
        rss = [s.rss_mb for s in samples]
        entry = {
            "name": name,
            "command": labelled(label, code),
            "code": code or "after",
            "size": size,
            "mode": mode,
            "median": round(statistics.median(times), 4),
            "min": round(min(times), 4),
            "max": round(max(times), 4),
            "runs": len(times),
            "times": [round(t, 4) for t in times],
            "cpu_median": round(statistics.median(cpus), 4),
            "cpu_times": [round(t, 4) for t in cpus],
        }
        if any(rss):  # a child's (an in-process figure has none)
            entry["max_rss_mb"] = round(max(rss), 1)
            entry["rss_mb"] = [round(r, 1) for r in rss]
        self.results.append(entry)
        memory = f"  {entry['max_rss_mb']:6.1f} MB" if "max_rss_mb" in entry else ""
        say(
            f"  {size:>5} {mode:<4} {entry['command']:<57} {entry['median']:8.3f} s"
            f"  cpu {entry['cpu_median']:6.3f} s{memory}"
        )
        return entry

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def skip(
        self, name: str, label: str, size: str, mode: str, reason: str, code: str = AFTER
    ) -> None:
        command = labelled(label, code)
        self.results.append(
            {
                "name": name,
                "command": command,
                "code": code or "after",
                "size": size,
                "mode": mode,
                "skipped": reason,
            }
        )
        say(f"  {size:>5} {mode:<4} {command:<57} skipped: {reason}")


def labelled(label: str, code: str) -> str:
    return f"{label} [{code}]" if code else label


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- workspaces ----------------------------------------------------------------------------


def generator_version() -> str:
    """Changes when the generator or the sample settings change: the cache is then stale."""
    source = Path(generate.__file__).read_bytes() + generate.SETTINGS_YAML.encode()
    return hashlib.sha256(source).hexdigest()[:16]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def git_state(ws: Path) -> dict[str, str]:
    """HEAD and `git status --porcelain`: a cached workspace must end a run as it began."""
    return {
        "head": git(ws, "rev-parse", "HEAD").strip(),
        "status": git(ws, "status", "--porcelain"),
    }


def workspace(size_name: str) -> tuple[Path, dict[str, Any]]:
    """The cached generated workspace of a size (made now if missing, stale or changed)."""
    size = SIZES[size_name]
    folder = CACHE / size_name
    marker_path = folder / "generated.json"
    ws = folder / "ws"
    wanted = {"counts": dataclasses.asdict(size), "seed": SEED, "generator": generator_version()}
    if marker_path.is_file() and (ws / ".git").is_dir():
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
        if {k: marker.get(k) for k in wanted} == wanted:
            if git_state(ws) == {"head": marker["base"], "status": ""}:
                marker["generated_now"] = False
                return ws, marker
            say(f"the cached {size_name} workspace was changed: making it again")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    say(f"generating the {size_name} workspace ({size.records:,} records) in {ws} ...")
    started = time.perf_counter()
    generate.write_generated_workspace(ws, seed=SEED, today=TODAY, **wanted["counts"])
    seconds = time.perf_counter() - started
    base = git(ws, "rev-parse", "HEAD").strip()
    marker = {**wanted, "base": base, "generate_seconds": round(seconds, 2)}
    marker_path.write_text(json.dumps(marker, indent=2), encoding="utf-8")
    say(f"  generated and committed in {seconds:.1f} s")
    return ws, {**marker, "generated_now": True}


def copy_workspace(src: Path, dest: Path) -> float:
    """``cp -a`` src to dest (which must not exist), `.tcrm/` included; seconds taken.

    The copy's files have new inodes and ctimes, so git's own stat cache is refreshed here
    (untimed), as it is in any workspace a user has been working in.
    """
    started = time.perf_counter()
    subprocess.run(["cp", "-a", str(src), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "update-index", "-q", "--refresh"], check=False)
    return time.perf_counter() - started


def drop_index(ws: Path) -> None:
    for path in (ws / ".tcrm").glob(INDEX_GLOB):
        path.unlink()


def has_index(ws: Path) -> bool:
    return any((ws / ".tcrm").glob(INDEX_GLOB))


def busiest_client(size_name: str) -> str:
    """The first client made: the generator gives it the most deals, tasks and activities."""
    counts = dataclasses.replace(SIZES[size_name], deals=0, tasks=0, activities=0)
    rel, _ = next(iter(generate.generated_records(counts, seed=SEED, today=TODAY)))
    return rel.removeprefix("clients/").removesuffix(".yaml")


def import_csv() -> Path:
    """10,000 new companies as a spreadsheet would export them; none duplicates a record."""
    path = CACHE / f"import-{IMPORT_ROWS}.csv"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    cities = ("Hamburg", "Leipzig", "Lyon", "Utrecht", "Bergen", "Leeds", "Boston", "Graz")
    tags = ("smb", "enterprise", "startup", "ecommerce", "")
    lines = ["Company,Email,Phone,Website,Tags,Notes"]
    names: set[str] = set()
    n = 0
    while len(lines) <= IMPORT_ROWS:
        name = f"{rng.choice(generate._PREFIXES)}{rng.choice(generate._SUFFIXES)} "
        name += f"{rng.choice(generate._INDUSTRIES)} {rng.choice(cities)}"
        if name in names:
            name = f"{name} {len(lines)}"
        names.add(name)
        domain = name.lower().replace(" ", "-") + ".example.org"
        n += 1
        phone = f"+41 44 {100 + n // 10_000:03d} {n % 10_000:04d}"  # never like a generated one
        lines.append(
            f'{name},info@{domain},{phone},https://{domain},{rng.choice(tags)},"Met at a fair."'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- timing --------------------------------------------------------------------------------


SPAWNER = r"""
import json, os, signal, sys, threading, time
quiet = os.open(os.devnull, os.O_RDWR)
for line in sys.stdin:
    cmd, env, timeout, out_path, err_path = json.loads(line)
    out = os.open(out_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    dup = os.POSIX_SPAWN_DUP2
    actions = [(dup, quiet, 0), (dup, out, 1), (dup, err, 2)]
    started = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=actions)
    killer = threading.Timer(timeout, os.kill, (pid, signal.SIGKILL))
    killer.start()
    _, status, usage = os.wait4(pid, 0)
    took = time.perf_counter() - started
    killer.cancel()
    os.close(out)
    os.close(err)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps([took, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]), flush=True)
"""
"""Starts every timed process, and reaps it with ``os.wait4``: that child's own CPU time and
peak RSS. A small process of its own, because Linux counts in a child's peak RSS the
memory of the process it was started from (``exec`` keeps the high-water mark of the
memory it replaces): started from this script (~40 MB with tcrm's generator loaded),
every child would weigh at least that. This one weighs ``SPAWNER_MB`` (see the JSON)."""

_spawner: subprocess.Popen[str] | None = None


def spawner() -> subprocess.Popen[str]:
    global _spawner
    if _spawner is None:
        _spawner = subprocess.Popen(
            [sys.executable, "-S", "-c", SPAWNER],
            cwd=NEUTRAL_CWD,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={"PATH": os.environ.get("PATH", "")},
        )
    return _spawner


def child(
    cmd: list[str], env: dict[str, str], timeout: float, stdout: bool = False
) -> tuple[Sample, str]:
    """Run ``cmd`` to its end: its Sample and (with ``stdout``) what it printed.

    ``cmd[0]`` is looked up on PATH here; the spawner starts the process in NEUTRAL_CWD
    and reaps it (``os.wait4``: this child's resource usage alone), and kills a child
    running longer than ``timeout``, which fails the figure. stdout and stderr go to files,
    so a chatty child never blocks on a full pipe.
    """
    program = shutil.which(cmd[0]) or cmd[0]
    with tempfile.TemporaryDirectory() as folder:
        out_path = os.path.join(folder, "out") if stdout else None
        err_path = os.path.join(folder, "err")
        proc = spawner()
        assert proc.stdin is not None and proc.stdout is not None
        job = [[program, *cmd[1:]], env, timeout, out_path, err_path]
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.flush()
        answer = proc.stdout.readline()
        if not answer:
            raise SystemExit("the spawner of timed processes died")
        took, cpu, rss_kb, code = json.loads(answer)
        if code == -signal.SIGKILL and took >= timeout:
            raise Failed(f"a run took longer than {timeout:g} s")
        if code != 0:
            text = Path(err_path).read_text(encoding="utf-8", errors="replace").strip()
            raise Failed(f"exit {code}: {(text.splitlines() or ['?'])[-1][:200]}")
        printed = Path(out_path).read_text(encoding="utf-8", errors="replace") if out_path else ""
    # ru_maxrss is in kilobytes on Linux
    return Sample(took, cpu, rss_kb / 1024), printed


def spawner_mb() -> float | None:
    """The spawner's own peak RSS: no figure's RSS can be below it."""
    try:
        status = Path(f"/proc/{spawner().pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> Sample:
    return child(cmd, env, timeout)[0]


def repeat(
    suite: Suite,
    name: str,
    label: str,
    size: str,
    mode: str,
    once: Callable[[str], Sample],
    codes: Iterable[str] = (AFTER,),
) -> None:
    """``suite.runs`` samples of ``once(code)`` for each code, alternating code by code
    within each round (so every code sees the same machine load), or a skip with the
    reason of the first failure."""
    codes = list(codes)
    samples: dict[str, list[Sample]] = {code: [] for code in codes}
    failed: dict[str, str] = {}
    for _ in range(suite.runs):
        for code in codes:
            if code in failed:
                continue
            try:
                samples[code].append(once(code))
            except Failed as exc:
                failed[code] = str(exc)
    for code in codes:
        if code in failed:
            suite.skip(name, label, size, mode, failed[code], code)
        else:
            suite.record(name, label, size, mode, samples[code], code)


def tcrm_env(ws: Path, code: Path | None) -> dict[str, str]:
    env = {**os.environ, "TCRM_NOW": NOW, "TCRM_WORKSPACE": str(ws)}
    # as installed: compiled bytecode kept between runs (a user's Python writes .pyc files),
    # and stdout buffered as on a user's machine (unbuffered, 6,000 lines are 6,000 writes)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if code is not None:  # its tcrm package comes before the installed one
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Bench"
        env[f"GIT_{role}_EMAIL"] = "bench@example.com"
    return env


def tcrm_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "tcrm", *args]


def lead_deal(ws: Path) -> str:
    """An open deal of the sales pipeline at its first stage (``lead``), which may move
    to ``qualified`` (whose template adds a task in the same commit)."""
    for path in sorted((ws / "deals").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if {"pipeline: sales", "stage: lead", "status: open"} <= set(lines):
            return path.stem
    raise SystemExit(f"no deal at the lead stage in {ws}")


def run_tcrm_benches(suite: Suite, size: str, works: dict[str, Path]) -> None:
    fill = {
        "{client}": busiest_client(size),
        "{deal}": lead_deal(works[AFTER]),
        "{word}": SEARCH_WORD,
        "{csv}": str(import_csv()),
        "{ics}": str(suite.tmp / "x.ics"),
    }
    for bench in TCRM_BENCHES:
        if suite.wanted(bench.name):
            args = [fill.get(a, a) for a in bench.args]
            if bench.writes:
                run_write(suite, bench, args, size, works)
            else:
                run_read(suite, bench, args, size, works)


def run_read(
    suite: Suite, bench: Bench, args: list[str], size: str, works: dict[str, Path]
) -> None:
    """Cold: no index before each run. Warm: one untimed run, then the timed ones. Each
    code has its own copy (an index made by another tcrm version would be rebuilt)."""
    envs = {
        code: {**tcrm_env(works[code], suite.codes[code]), **dict(bench.env)}
        for code in suite.codes
    }

    def once(code: str, cold: bool) -> Sample:
        if cold:
            drop_index(works[code])
        return timed(tcrm_cmd(*args), envs[code], suite.timeout)

    if "cold" in suite.modes:
        repeat(suite, bench.name, bench.label, size, "cold", lambda c: once(c, True), suite.codes)
    warm = []
    for code in suite.codes:
        try:
            if bench.warm_up is None:
                once(code, False)  # warm-up, untimed
            else:
                timed(tcrm_cmd(*bench.warm_up), envs[code], suite.timeout)
        except Failed as exc:
            suite.skip(bench.name, bench.label, size, "warm", f"warm-up failed: {exc}", code)
        else:
            warm.append(code)
    repeat(suite, bench.name, bench.label, size, "warm", lambda c: once(c, False), warm)


def run_write(
    suite: Suite, bench: Bench, args: list[str], size: str, works: dict[str, Path]
) -> None:
    """Every run on a fresh copy of ``work``: cold without the index, warm with it fresh.

    The copies, their index refresh (warm) and the check that the run made exactly one
    commit are untimed. Every copy is made before the first timed run and deleted after
    the last, and flushed to disk in between (``sync``): on ext4, files are created
    several times slower for a while after thousands were deleted, and tcrm's own flush
    of an import would otherwise write out the copy just made as well.
    """
    for code, work in works.items():
        if not has_index(work):  # give warm copies an index to carry (no-op before the index)
            try:
                timed(tcrm_cmd(*REFRESH), tcrm_env(work, suite.codes[code]), suite.timeout)
            except Failed as exc:
                suite.note(f"{size}: `{' '.join(REFRESH)}` before the writes: {exc}")
    folder = suite.tmp / size / "write"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    modes = suite.modes
    copies = {
        (code, mode): [folder / f"{code or 'after'}-{mode}-{i}" for i in range(suite.runs)]
        for code in suite.codes
        for mode in modes
    }
    for (code, _), paths in copies.items():
        for path in paths:
            copy_workspace(works[code], path)
    os.sync()
    left = {key: iter(paths) for key, paths in copies.items()}

    def once(code: str, cold: bool) -> Sample:
        fresh = next(left[code, "cold" if cold else "warm"])
        env = tcrm_env(fresh, suite.codes[code])
        if cold:
            drop_index(fresh)
        elif has_index(fresh):
            timed(tcrm_cmd(*REFRESH), env, suite.timeout)
        before = git(fresh, "rev-parse", "HEAD").strip()
        took = timed(tcrm_cmd(*args), env, suite.timeout)
        made = git(fresh, "rev-list", "--count", f"{before}..HEAD").strip()
        if made != "1":
            raise Failed(f"the run made {made} commits, not 1")
        return took

    try:
        for mode in modes:
            repeat(
                suite,
                bench.name,
                bench.label,
                size,
                mode,
                lambda c, cold=mode == "cold": once(c, cold),  # type: ignore[misc]
                suite.codes,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def index_command(suite: Suite, code: str) -> bool:
    """Whether the timed tcrm has `tcrm index` (`tcrm index --help` exits 0)."""
    done = subprocess.run(
        tcrm_cmd("index", "--help"),
        env=tcrm_env(suite.tmp, suite.codes[code]),
        cwd=NEUTRAL_CWD,
        capture_output=True,
    )
    return done.returncode == 0


def run_index_rebuild(suite: Suite, size: str, works: dict[str, Path]) -> None:
    """The first index of the workspace: `tcrm -w WS index rebuild` with no index before."""
    label = OTHER_NAMES["index-rebuild"]
    codes = []
    for code in suite.codes:
        if index_command(suite, code):
            codes.append(code)
        else:
            suite.skip("index-rebuild", label, size, "cold", "n/a: no `tcrm index` command", code)

    def once(code: str) -> Sample:
        work = works[code]
        drop_index(work)
        env = tcrm_env(work, suite.codes[code])
        return timed(tcrm_cmd("-w", str(work), "index", "rebuild"), env, suite.timeout)

    repeat(suite, "index-rebuild", label, size, "cold", once, codes)


# --- the TUI -------------------------------------------------------------------------------

_TUI_CHILD = """
import json, sys
from pathlib import Path
import tcrm  # first, so --code's package is the one bench_tui's imports find
try:  # as `tcrm tui` does first thing: git status on the other core while Python imports
    from tcrm.store import early
    early.start_for(["-w", {ws!r}, "tui"])
except (ImportError, AttributeError):  # an older tcrm (--code) without it
    pass
sys.path.insert(0, {bench_dir!r})
import bench_tui
print(json.dumps(bench_tui.first_paint(Path({ws!r}))))
"""


def run_tui(suite: Suite, size: str, works: dict[str, Path]) -> None:
    """Spawn -> the Today screen painted, a child process per run (bench_tui.first_paint).

    Two rows: its tasks painted (the first paint) and the screen complete. The part from
    App() to painted goes into the JSON as ``in_process_median``; the peak RSS is the
    child's at its end (the screen complete).
    """
    rows = ((OTHER_NAMES["tui"], "first"), (TUI_COMPLETE, "today"))

    def once(code: str, cold: bool) -> dict[str, Any]:
        work = works[code]
        if cold:
            drop_index(work)
        script = _TUI_CHILD.format(bench_dir=str(BENCH_DIR), ws=str(work))
        env = tcrm_env(work, suite.codes[code])
        spawned = time.time()
        sample, printed = child([sys.executable, "-c", script], env, suite.timeout, stdout=True)
        found = json.loads(printed.strip().splitlines()[-1])
        return {
            "first": child_sample(sample, found["first_at"] - spawned),
            "today": child_sample(sample, found["today_at"] - spawned),
            "first_in": found["first"],
            "today_in": found["today"],
        }

    def timed_runs(mode: str, codes: list[str]) -> None:
        runs: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
        failed: dict[str, str] = {}
        for _ in range(suite.runs):
            for code in codes:
                if code not in failed:
                    try:
                        runs[code].append(once(code, mode == "cold"))
                    except Failed as exc:
                        failed[code] = str(exc)
        for code in codes:
            for label, key in rows:
                if code in failed:
                    suite.skip("tui", label, size, mode, failed[code], code)
                    continue
                done = runs[code]
                entry = suite.record("tui", label, size, mode, [r[key] for r in done], code)
                entry["in_process_median"] = round(
                    statistics.median(r[f"{key}_in"] for r in done), 4
                )

    if "cold" in suite.modes:
        timed_runs("cold", list(suite.codes))
    warm = []
    for code in suite.codes:
        try:
            once(code, False)
        except Failed as exc:
            for label, _ in rows:
                suite.skip("tui", label, size, "warm", f"warm-up failed: {exc}", code)
        else:
            warm.append(code)
    timed_runs("warm", warm)


def child_sample(whole: Sample, wall: float) -> Sample:
    """The TUI child's CPU and memory (of the whole child), with the wall time it reported."""
    return Sample(wall, whole.cpu, whole.rss_mb)


# --- floors and the peer -------------------------------------------------------------------


def run_floors(suite: Suite, size: str, ws: Path) -> None:
    envs = {code: tcrm_env(ws, suite.codes[code]) for code in suite.codes}
    floors = (
        ("python-pass", [sys.executable, "-c", "pass"], [AFTER]),
        ("import-cli", tcrm_cmd("--version"), list(suite.codes)),
    )
    for name, cmd, codes in floors:
        if not suite.wanted(name):
            continue
        ready = []
        for code in codes:
            try:
                timed(cmd, envs[code], suite.timeout)
            except Failed as exc:
                suite.skip(name, OTHER_NAMES[name], size, "warm", str(exc), code)
            else:
                ready.append(code)
        repeat(
            suite,
            name,
            OTHER_NAMES[name],
            size,
            "warm",
            lambda code, c=cmd: timed(c, envs[code], suite.timeout),  # type: ignore[misc]
            ready,
        )
    if suite.wanted("read-files"):
        read_every_file(ws)
        repeat(
            suite,
            "read-files",
            OTHER_NAMES["read-files"],
            size,
            "warm",
            lambda _: read_every_file(ws),
        )


def read_every_file(ws: Path) -> Sample:
    """Walk the record folders and read every file's bytes: what no read can go below."""
    started = time.perf_counter()
    cpu = time.process_time()
    folders = [ws / "clients", ws / "deals", ws / "tasks"]
    activities = ws / "activities"
    if activities.is_dir():
        folders += [Path(e.path) for e in os.scandir(activities) if e.is_dir()]
    total = 0
    for folder in folders:
        for entry in os.scandir(folder):
            with open(entry.path, "rb") as handle:
                total += len(handle.read())
    return Sample(time.perf_counter() - started, time.process_time() - cpu, 0.0)


TW_COMMANDS = (
    ("task list", ("list",)),
    ("task due:today list", ("due:today", "list")),
    ("task count", ("count",)),
)


def taskwarrior_data(size: str, count: int) -> tuple[dict[str, str], int] | None:
    """A TASKRC and TASKDATA with ``count`` pending tasks, due like the generated ones.

    Taskwarrior has no fake clock, so due dates are relative to the real today; the data is
    remade when that day or the count changes.
    """
    task = shutil.which("task")
    if task is None:
        return None
    folder = CACHE / size / "taskwarrior"
    today = date.today()
    marker = folder / "made.json"
    wanted = {"count": count, "today": today.isoformat()}
    env = {**os.environ, "TASKRC": str(folder / "taskrc"), "TASKDATA": str(folder / "data")}
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        return env, count
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    (folder / "taskrc").write_text(
        f"data.location={folder / 'data'}\nconfirmation=off\nhooks=off\nnews.version=2.6.0\n",
        encoding="utf-8",
    )
    rng = random.Random(SEED)
    entry = (datetime.now() - timedelta(days=30)).strftime("%Y%m%dT%H%M%SZ")
    tasks = []
    for n in range(count):
        item: dict[str, Any] = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "description": f"Follow up with client {n}",
            "status": "pending",
            "entry": entry,
            "project": rng.choice(("sales", "support", "marketing", "ops")),
        }
        roll = rng.random()
        due: date | None = None
        # the proportions of the generator's open tasks: 15% overdue, 3% today, 19% undated
        if roll < 0.15:
            due = today - timedelta(days=rng.randint(1, 60))
        elif roll < 0.18:
            due = today
        elif roll < 0.81:
            due = today + timedelta(days=rng.randint(1, 90))
        if due is not None:
            item["due"] = due.strftime("%Y%m%dT120000Z")
        tasks.append(item)
    source = folder / "tasks.json"
    source.write_text(json.dumps(tasks), encoding="utf-8")
    say(f"importing {count:,} tasks into taskwarrior ...")
    subprocess.run(
        [task, "rc.confirmation=off", "rc.verbose=nothing", "import", str(source)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return env, count


def run_taskwarrior(suite: Suite, size: str) -> None:
    count = SIZES[size].tasks
    made = taskwarrior_data(size, count)
    if made is None:
        suite.note("taskwarrior is not installed (`apt-get install taskwarrior`): skipped")
        return
    env, _ = made
    version = subprocess.run(["task", "--version"], capture_output=True, text=True).stdout.strip()
    for label, args in TW_COMMANDS:
        cmd = ["task", *args]
        full = f"taskwarrior {version}: {label}"
        try:
            timed(cmd, env, suite.timeout)
        except Failed as exc:
            suite.skip("taskwarrior", full, size, "warm", str(exc))
        else:
            repeat(
                suite,
                "taskwarrior",
                full,
                size,
                "warm",
                lambda _, c=cmd: timed(c, env, suite.timeout),  # type: ignore[misc]
            )
        suite.results[-1]["pending_tasks"] = count


# --- report --------------------------------------------------------------------------------


def ratios(results: list[dict[str, Any]], sizes: list[str]) -> list[dict[str, Any]]:
    """tcrm (warm) against taskwarrior on the same number of tasks, for each code timed."""
    pairs = (("task-list", "task list"), ("task-list-today", "task due:today list"))
    ours_names = {ours for ours, _ in pairs}
    codes = list(dict.fromkeys(r.get("code", "after") for r in results if r["name"] in ours_names))
    out = []
    for size in sizes:
        for code in codes:
            for ours, theirs in pairs:
                mine = [
                    r
                    for r in results
                    if r["name"] == ours
                    and r["size"] == size
                    and r["mode"] == "warm"
                    and r.get("code", "after") == code
                ]
                peer = [
                    r
                    for r in results
                    if r["name"] == "taskwarrior"
                    and r["size"] == size
                    and r["command"].endswith(f": {theirs}")
                ]
                if mine and peer and "median" in mine[0] and "median" in peer[0]:
                    out.append(
                        {
                            "size": size,
                            "code": code,
                            "tcrm": mine[0]["command"],
                            "taskwarrior": theirs,
                            "tcrm_median": mine[0]["median"],
                            "taskwarrior_median": peer[0]["median"],
                            "ratio": round(mine[0]["median"] / peer[0]["median"], 2),
                            "tcrm_cpu": mine[0]["cpu_median"],
                            "taskwarrior_cpu": peer[0]["cpu_median"],
                            "cpu_ratio": round(mine[0]["cpu_median"] / peer[0]["cpu_median"], 2),
                        }
                    )
    return out


METRICS = {
    "wall": "median (min-max) wall time, seconds",
    "cpu": "median CPU time (user + system) of the process, seconds: less moved by other "
    "load on the machine than the wall time",
    "rss": "peak resident memory of the process (max of the runs), MB",
}


def cell(entry: dict[str, Any] | None, timeout: float, metric: str = "wall") -> str:
    if entry is None:
        return ""
    if "skipped" in entry:
        reason = entry["skipped"]
        if reason.startswith("n/a"):
            return "n/a"
        return f"> {timeout:g} s" if "longer than" in reason else "failed (see JSON)"
    if metric == "cpu":
        return f"{entry['cpu_median']:.3f}" if "cpu_median" in entry else ""
    if metric == "rss":
        return f"{entry['max_rss_mb']:.1f}" if "max_rss_mb" in entry else ""
    return f"{entry['median']:.3f} ({entry['min']:.3f}-{entry['max']:.3f})"


def table_rows(
    results: list[dict[str, Any]], sizes: list[str], timeout: float, metric: str = "wall"
) -> list[list[str]]:
    keys: list[tuple[str, str]] = []
    for r in results:
        if (r["command"], r["mode"]) not in keys:
            keys.append((r["command"], r["mode"]))
    rows = []
    for command, mode in keys:
        by_size = {r["size"]: r for r in results if r["command"] == command and r["mode"] == mode}
        cells = [cell(by_size.get(s), timeout, metric) for s in sizes]
        if any(cells):
            rows.append([command, mode, *cells])
    return rows


def ratio_line(r: dict[str, Any]) -> str:
    return (
        f"{r['size']}: tcrm `{r['tcrm']}` / taskwarrior `{r['taskwarrior']}` = "
        f"{r['tcrm_median']:.3f} / {r['taskwarrior_median']:.3f} s = {r['ratio']}x "
        f"(CPU {r['tcrm_cpu']:.3f} / {r['taskwarrior_cpu']:.3f} s = {r['cpu_ratio']}x)"
    )


def print_report(report: dict[str, Any], sizes: list[str], markdown: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    runs = f"{report['runs']} runs, whole process"
    for metric, meaning in METRICS.items():
        rows = table_rows(report["results"], sizes, report["timeout"], metric)
        table = Table(title=f"tcrm benchmarks: {meaning} ({runs})")
        for heading in ("command", "mode", *sizes):
            table.add_column(heading, no_wrap=heading != "command")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for r in report["ratios"]:
        console.print(ratio_line(r), highlight=False, markup=False)
    for note in report["notes"]:
        console.print(f"note: {note}", highlight=False, markup=False)
    if markdown:
        for metric, meaning in METRICS.items():
            print(f"\n{meaning} ({runs}):\n")
            print("| command | mode | " + " | ".join(sizes) + " |")
            print("|---|---|" + "---|" * len(sizes))
            for row in table_rows(report["results"], sizes, report["timeout"], metric):
                print("| " + " | ".join(row) + " |")
        print()
        for r in report["ratios"]:
            print(f"- {ratio_line(r)}")


def tcrm_package(code: Path | None) -> str:
    """Where the timed processes import tcrm from."""
    env = tcrm_env(ROOT, code)
    return subprocess.run(
        [sys.executable, "-c", "import tcrm, os; print(os.path.dirname(tcrm.__file__))"],
        env=env,
        cwd=NEUTRAL_CWD,
        capture_output=True,
        text=True,
    ).stdout.strip()


def machine(code: Path | None) -> dict[str, Any]:
    def version(*cmd: str) -> str | None:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip() or None
        except OSError:
            return None

    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "git": version("git", "--version"),
        "taskwarrior": version("task", "--version") if shutil.which("task") else None,
        # of the code timed: --code's checkout (None if it is no git checkout), else this one
        "commit": version("git", "-C", str(code or ROOT), "rev-parse", "--short", "HEAD"),
    }


def run_size(suite: Suite, size: str) -> dict[str, Any]:
    """Every wanted figure at one size, in a private copy of the cached workspace."""
    ws, marker = workspace(size)
    before = git_state(ws)
    works = {code: suite.tmp / size / f"ws-{code or 'after'}" for code in suite.codes}
    work = works[AFTER]
    work.parent.mkdir(parents=True)
    copied = 0.0
    for path in works.values():
        copied = copy_workspace(ws, path)
        shutil.rmtree(path / ".tcrm", ignore_errors=True)
    say(f"size {size}: {ws} (copied to {work.parent} in {copied:.1f} s, {len(works)}x)")
    if size in TUI_ONLY:
        if suite.wanted("tui"):
            run_tui(suite, size, works)
    else:
        if suite.wanted("index-rebuild") and "cold" in suite.modes:
            run_index_rebuild(suite, size, works)
        run_tcrm_benches(suite, size, works)
        if suite.wanted("tui"):
            run_tui(suite, size, works)
        run_floors(suite, size, work)
        if suite.wanted("taskwarrior"):
            run_taskwarrior(suite, size)
    for path in works.values():
        if git(path, "status", "--porcelain"):
            suite.note(f"{size}: a read command changed the work tree (`git status`)")
    shutil.rmtree(work.parent)
    untouched = git_state(ws) == before
    if not untouched:
        suite.note(f"{size}: the cached workspace {ws} changed during the run")
    return {
        **marker["counts"],
        "records": SIZES[size].records,
        "path": str(ws),
        "generate_seconds": marker.get("generate_seconds"),
        "generated_now": marker["generated_now"],
        "copy_seconds": round(copied, 2),
        "cache_untouched": untouched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"comma-separated: {DEFAULT_SIZES} (tui: TUI only)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=ALL_NAMES, help="only these")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="skip a command slower than this"
    )
    parser.add_argument(
        "--code",
        type=Path,
        metavar="DIR",
        help="time the tcrm package in DIR (e.g. a `git worktree` of an older commit) "
        "instead of the installed one",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also time the tcrm package in DIR (e.g. `git archive main tcrm` unpacked), "
        "run for run alternating with the code timed; its rows are marked [before]",
    )
    parser.add_argument(
        "--warm", action="store_true", help="warm figures only (no cold runs, no first index)"
    )
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument("--list", action="store_true", help="list the benchmark names and exit")
    args = parser.parse_args()
    if args.list:
        for bench in TCRM_BENCHES:
            print(f"{bench.name:<16} tcrm {bench.label}")
        for name, label in OTHER_NAMES.items():
            print(f"{name:<16} {label}")
        return
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; use {', '.join(SIZES)}")
    started = datetime.now().astimezone()
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="tcrm-bench-") as tmp:
        codes: dict[str, Path | None] = {AFTER: args.code.resolve() if args.code else None}
        if args.before:
            codes[BEFORE] = args.before.resolve()
        suite = Suite(
            runs=args.runs,
            timeout=args.timeout,
            codes=codes,
            only=set(args.only or ()),
            tmp=Path(tmp),
            modes=("warm",) if args.warm else ("cold", "warm"),
        )
        generated = {size: run_size(suite, size) for size in sizes}
    report = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now().astimezone() - started).total_seconds(), 1),
        "machine": {**machine(suite.codes[AFTER]), "load_average_before": load_before},
        "runs": args.runs,
        "timeout": args.timeout,
        "now": NOW,
        "spawner_mb": spawner_mb(),
        "tcrm_package": tcrm_package(suite.codes[AFTER]),
        **(
            {"tcrm_package_before": tcrm_package(suite.codes[BEFORE])}
            if BEFORE in suite.codes
            else {}
        ),
        "sizes": generated,
        "results": suite.results,
        "ratios": ratios(suite.results, sizes),
        "notes": suite.notes,
    }
    print_report(report, sizes, args.markdown)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        say(f"wrote {args.json}")


if __name__ == "__main__":
    main()
