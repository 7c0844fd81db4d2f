"""How fast `tcrm import csv` brings in 10,000 rows, phase by phase: a script, not a test.

    python benchmarks/bench_import.py [--sizes fresh,10k] [--files cache,contacts] [--runs 3]
                                      [--index warm|cold|off] [--before DIR] [--code DIR]
                                      [--rows 10000] [--reset] [--pause S] [--json [FILE]]

Every run is one whole process, `tcrm import csv FILE` into a workspace, as a user runs it,
timed from spawn to exit. The process also times the phases of the import from inside
(each is a function of the import wrapped with a timer, which costs microseconds per
call): read the CSV, rows to records, load the workspace's records, duplicates, ids,
YAML rendering, file writes, the git commit and the local index update.

Workspaces (`--sizes`), made by `tcrm.devtools.generate` in a temporary directory (never in
`benchmarks/.cache`), with the sample workspace's settings: `fresh` has no records; `1k`,
`10k`, `100k` are the presets of `benchmarks/run.py`. Every run gets its own copy (`cp -a`),
all made before the first timed run and deleted at the end: deleting thousands of files
just before a timed run makes ext4 create files up to 20x slower for ~30 s (`--reset`
shows it: one copy per variant, `git reset --hard` + `git clean` before each run).
Code that deletes many files itself (old tcrm's `git gc` after a big commit) slows the
next run the same way: `--pause 35` waits before each timed run.
`--index warm` (default) refreshes the local index with an untimed `tcrm today` before
each run (for code that has one); `cold` deletes `.tcrm/` first; `off` sets
`TCRM_INDEX=off`.

Files (`--files`): `cache` is run.py's file (10,000 new companies, `,`, one line each);
`contacts` a person per row, about two per company (`;`, a BOM, multi-line notes, 1%
repeated companies); `companies` a company per row (same style). `NAME-xlsx` is that
file as an Excel workbook, imported with `tcrm import xlsx` (e.g. `--files
companies,companies-xlsx` puts the two side by side; the last line gives rows/s).

Before and after in the same run: `--before DIR` times the `tcrm` package in DIR (e.g. a
`git worktree` or `git archive` of the old commit) as well, alternating with the current
one run by run, each in its own copy of the workspace; `--code DIR` replaces the current
one. Prints a table of medians per phase, and JSON with `--json` (to stdout, or FILE).
"""

from __future__ import annotations

import argparse
import atexit
import functools
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
NOW = "2026-11-23T09:00:00+01:00"
NEUTRAL_CWD = tempfile.gettempdir()
"""The timed processes run here, so a checkout in the current directory cannot shadow the
package under test."""

WORDS = (  # noqa: SIM905 - a word list reads better as text
    "north wind river stone blue oak maple cedar harbor summit alpine delta nova lumen "
    "pixel forge orbit quartz ember atlas vertex meadow falcon copper silver granite "
    "willow aurora zenith cobalt crimson tidal birch polar sierra lotus echo prism"
).split()
KINDS = ("Logistics", "Studio", "Dental", "Consulting", "Foods", "Labs", "Robotics", "Design")
FORMS = ("GmbH", "Ltd", "Inc", "AG", "BV", "", "", "")
FIRST = ("Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas")
LAST = ("Müller", "Smith", "Martin", "Okafor", "Lindqvist", "Rossi", "Novak", "Dubois")

TIMED = (
    ("tcrm.io.csvio", "read_table"),
    ("tcrm.io.xlsxio", "read_sheet"),
    ("tcrm.services.imports.importer", "Importer.read_rows"),
    ("tcrm.services.imports.importer", "Importer.group_people"),
    ("tcrm.services.imports.importer", "Importer.plan"),
    ("tcrm.services.imports.importer", "all_records"),
    ("tcrm.services.imports.importer", "Importer._with_ids"),
    ("tcrm.store.workspace", "Transaction.put"),
    ("tcrm.store.workspace", "Transaction._apply"),
    ("tcrm.store.workspace", "Transaction._note_index"),
    ("tcrm.store.files", "atomic_write_many"),
    ("tcrm.store.files", "atomic_write"),
    ("tcrm.store.git", "commit"),
)
"""The functions the child process times (``module``, ``Class.method`` or function); one
a version of the code lacks counts as 0."""

PHASES: tuple[tuple[str, Callable[[dict[str, float]], float]], ...] = (
    ("whole process (spawn to exit)", lambda t: t["wall"]),
    ("  start-up: interpreter, imports", lambda t: t["wall"] - t["main"]),
    ("  read + parse the file", lambda t: t["read_table"] + t.get("read_sheet", 0.0)),
    ("  rows -> records (map, validate)", lambda t: t["Importer.read_rows"]),
    ("  load the workspace's records", lambda t: t["all_records"]),
    (
        "  duplicates (index, match)",
        lambda t: (
            t["Importer.plan"]
            - t["all_records"]
            - t["Importer._with_ids"]
            + t["Importer.group_people"]
        ),
    ),
    ("  ids", lambda t: t["Importer._with_ids"]),
    ("  YAML render (Transaction.put)", lambda t: t["Transaction.put"]),
    ("  write the files", lambda t: t["atomic_write_many"] + t["atomic_write"]),
    ("  git commit", lambda t: t["commit"]),
    ("  local index update", lambda t: t["Transaction._note_index"]),
    (
        "  rest of the transaction",
        lambda t: (
            t["Transaction._apply"]
            - t["atomic_write_many"]
            - t["atomic_write"]
            - t["commit"]
            - t["Transaction._note_index"]
        ),
    ),
    (
        "  rest (CLI, lock, output)",
        lambda t: (
            t["main"]
            - t["read_table"]
            - t.get("read_sheet", 0.0)
            - t["Importer.read_rows"]
            - t["Importer.group_people"]
            - t["Importer.plan"]
            - t["Transaction.put"]
            - t["Transaction._apply"]
        ),
    ),
)


# --- input files -------------------------------------------------------------------------


def generate(path: Path, rows: int, people: bool = True, seed: int = 7) -> None:
    """A contacts export (a person per row, ~2 per company) or a company list; 1% of the
    rows repeat an earlier company."""
    rng = random.Random(seed)
    lines = ["Company;First Name;Last Name;Email;Phone;Website;Tags;Notes;Lead Score"]
    if not people:
        lines[0] = "Company;Email;Phone;Website;Tags;Notes;Lead Score"
    companies: list[tuple[str, str]] = []
    while len(lines) - 1 < rows:
        if not companies or not people or rng.random() < 0.5:
            name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {rng.choice(KINDS)}"
            name = f"{name} {len(companies)}"
            domain = name.lower().replace(" ", "-") + ".example.org"
            companies.append((f"{name} {rng.choice(FORMS)}".strip(), domain))
        company, domain = companies[-1] if rng.random() < 0.99 else rng.choice(companies)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{len(lines)}@{domain}".lower().encode("ascii", "ignore").decode()
        phone = f"+49 30 {rng.randint(1000000, 9999999)}"
        note = f'"Met at the fair.\nWants a call back on {rng.randint(1, 28)}/12."'
        tags = rng.choice(("vip", "smb", "enterprise, smb", ""))
        person = f"{first};{last};" if people else ""
        lines.append(
            f"{company};{person}{email};{phone};https://{domain};{tags};{note};"
            f"{rng.randint(1, 100)}"
        )
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def input_file(name: str, rows: int, work: Path) -> Path:
    """The CSV file called ``name`` (see --files); ``NAME-xlsx`` is that file as an Excel
    workbook (one sheet, typed cells as Excel writes them)."""
    if name.endswith("-xlsx"):
        path = work / f"{name}.xlsx"
        if not path.exists():
            to_xlsx(input_file(name.removesuffix("-xlsx"), rows, work), path)
        return path
    if name == "cache":
        cached = CACHE / "import-10000.csv"
        if cached.is_file() and rows == 10_000:
            return cached
        sys.path.insert(0, str(ROOT / "benchmarks"))
        run = importlib.import_module("run")  # benchmarks/run.py makes and caches it
        if rows != run.IMPORT_ROWS:
            raise SystemExit(f"--files cache has {run.IMPORT_ROWS:,} rows; drop --rows")
        return Path(run.import_csv())
    path = work / f"{name}.csv"
    if not path.exists():
        generate(path, rows, people=name == "contacts")
    return path


def to_xlsx(csv_path: Path, path: Path) -> None:
    """``csv_path`` as a workbook: numbers as numbers, the rest as text."""
    import csv

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("Sheet1")
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(4096)
        f.seek(0)
        for i, row in enumerate(csv.reader(f, csv.Sniffer().sniff(sample, ";,"))):
            ws.append([int(c) if i and c.isdigit() else c for c in row])
    book.save(path)


# --- workspaces ----------------------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def base_workspace(size: str, work: Path) -> Path:
    """A new workspace of ``size`` (``fresh`` or a preset), made once per benchmark run."""
    dest = work / size / "base"
    if dest.exists():
        return dest
    say(f"making the {size} workspace ...")
    from tcrm.devtools.generate import PRESETS, Size, write_generated_workspace

    counts = Size(0, 0, 0, 0) if size == "fresh" else PRESETS[size]
    write_generated_workspace(
        dest,
        clients=counts.clients,
        deals=counts.deals,
        tasks=counts.tasks,
        activities=counts.activities,
        seed=1,
        today=date(2026, 11, 23),
    )
    return dest


def copy_of(size: str, name: str, work: Path) -> Path:
    """A private copy (``cp -a``) of the size's workspace, its git stat cache refreshed."""
    dest = work / size / name
    subprocess.run(["cp", "-a", str(base_workspace(size, work)), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "update-index", "-q", "--refresh"], check=False)
    return dest


def reset(ws: Path) -> None:
    """Back to the workspace's first commit, files and history (``.tcrm/`` kept)."""
    first = git(ws, "rev-list", "--max-parents=0", "HEAD").split()[-1]
    git(ws, "reset", "--hard", "-q", first)
    git(ws, "clean", "-fdq", "-e", ".tcrm")


def identity() -> dict[str, str]:
    out = {}
    for role in ("AUTHOR", "COMMITTER"):
        out[f"GIT_{role}_NAME"] = "Bench"
        out[f"GIT_{role}_EMAIL"] = "bench@example.org"
    return out


# --- one run -------------------------------------------------------------------------------


def env_for(ws: Path, code: Path | None, index: str) -> dict[str, str]:
    env = {**os.environ, **identity(), "TCRM_NOW": NOW, "TCRM_WORKSPACE": str(ws)}
    env.pop("PYTHONPATH", None)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    if index == "off":
        env["TCRM_INDEX"] = "off"
    return env


def has_index(code: Path | None) -> bool:
    """Whether the package under test keeps a local index (to refresh before warm runs)."""
    package = (code or ROOT) / "tcrm"
    return (package / "store" / "index.py").exists()


def prepare(ws: Path, code: Path | None, index: str) -> None:
    """The local index as ``--index`` wants it before a timed run, and nothing waiting to
    be written to disk (untimed): tcrm flushes its files with one ``sync()``, which would
    also write out the copies just made for the other runs (tens of thousands of files a
    user's machine does not have waiting)."""
    if index == "cold":
        shutil.rmtree(ws / ".tcrm", ignore_errors=True)
    elif index == "warm" and has_index(code):
        subprocess.run(
            [sys.executable, "-m", "tcrm", "today"],
            env=env_for(ws, code, index),
            cwd=NEUTRAL_CWD,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    os.sync()


def one_run(
    csv_path: Path, ws: Path, code: Path | None, index: str, work: Path
) -> dict[str, float]:
    """One timed import into ``ws`` (prepared), checked: one commit, a clean work tree."""
    base = git(ws, "rev-parse", "HEAD").strip()
    out = work / "phases.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(out), str(csv_path)]
    started = time.perf_counter()
    done = subprocess.run(
        cmd,
        env=env_for(ws, code, index),
        cwd=NEUTRAL_CWD,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stderr.decode('utf-8', 'replace')}")
    times = json.loads(out.read_text(encoding="utf-8"))
    status = git(ws, "status", "--porcelain")
    assert status == "", f"the workspace is not clean after the import:\n{status}"
    made = git(ws, "rev-list", "--count", f"{base}..HEAD").strip()
    assert made == "1", f"the import made {made} commits, not 1"
    times["files"] = len(git(ws, "diff", "--name-only", base, "HEAD").split())
    times["wall"] = wall
    return times


def workspaces(
    size: str, file: str, variants: dict[str, Path | None], args: argparse.Namespace, work: Path
) -> dict[tuple[str, int], Path]:
    """The workspace of every timed run, all made before the first run is timed.

    A fresh copy per run, and nothing deleted until the end: on ext4, files created within
    ~30 s of many deletions in the same block group cost up to 20x more kernel time (the
    allocator steps over every recently freed inode), which would time the benchmark's own
    clean-up. ``--reset`` reuses one copy per variant instead, reset before each run.
    """
    out: dict[tuple[str, int], Path] = {}
    for variant in variants:
        for i in range(args.runs):
            name = f"{file}-{variant}" if args.reset else f"{file}-{variant}-{i}"
            if i == 0 or not args.reset:
                say(f"copying the {size} workspace for {variant} run {i + 1} ...")
                out[variant, i] = copy_of(size, name, work)
            else:
                out[variant, i] = out[variant, 0]
    return out


def child(out: Path, csv_path: Path) -> None:
    """In the timed process: wrap the import's functions with timers, run the CLI, and
    write what each took (and the CLI's own time) to ``out`` at exit."""
    started = time.perf_counter()
    totals = {name: 0.0 for _, name in TIMED}
    for module, name in TIMED:
        _wrap(module, name, totals)
    import tcrm.cli.main as cli

    ready = time.perf_counter()

    def save() -> None:
        totals["main"] = time.perf_counter() - ready
        totals["before_main"] = ready - started
        out.write_text(json.dumps(totals), encoding="utf-8")

    atexit.register(save)
    fmt = "xlsx" if csv_path.suffix == ".xlsx" else "csv"
    sys.argv = ["tcrm", "import", fmt, str(csv_path)]
    cli.main()


def _wrap(module_name: str, qualname: str, totals: dict[str, float]) -> None:
    try:
        owner: Any = importlib.import_module(module_name)
        *parents, attr = qualname.split(".")
        for part in parents:
            owner = getattr(owner, part)
        original = getattr(owner, attr)
    except (ImportError, AttributeError):
        return  # this version of the code has no such function: it counts 0

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[qualname] += time.perf_counter() - t

    setattr(owner, attr, timed)


# --- the report ----------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    phases = {label.strip(): [round(f(r), 3) for r in runs] for label, f in PHASES}
    return {
        "runs": len(runs),
        "files": runs[0]["files"],
        "median": {k: round(statistics.median(v), 3) for k, v in phases.items()},
        "times": phases,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    columns = [f"{r['size']}/{r['file']} {r['variant']}" for r in results]
    width = max(12, *(len(c) + 2 for c in columns))
    print(f"{'median, seconds':<36}" + "".join(f"{c:>{width}}" for c in columns))
    print(f"{'files written':<36}" + "".join(f"{r['files']:>{width},}" for r in results))
    for label, _ in PHASES:
        key = label.strip()
        print(f"{label:<36}" + "".join(f"{r['median'][key]:>{width}.2f}" for r in results))
    wall = PHASES[0][0]
    print(
        f"{'rows per second (whole process)':<36}"
        + "".join(f"{r['rows'] / r['median'][wall]:>{width},.0f}" for r in results)
    )
    pairs = [(a, b) for a in results for b in results if _pair(a, b)]
    for before, after in pairs:
        key = PHASES[0][0]
        ratio = before["median"][key] / after["median"][key]
        print(
            f"{before['size']}/{before['file']}: before {before['median'][key]:.2f} s, "
            f"after {after['median'][key]:.2f} s: {ratio:.1f}x as fast"
        )


def _pair(a: dict[str, Any], b: dict[str, Any]) -> bool:
    same = a["size"] == b["size"] and a["file"] == b["file"]
    return same and a["variant"] == "before" and b["variant"] == "after"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="fresh,10k", help="fresh, 1k, 10k, 100k")
    parser.add_argument(
        "--files",
        default="cache,contacts",
        help="cache, contacts, companies; NAME-xlsx for that file as a workbook",
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index", choices=("warm", "cold", "off"), default="warm")
    parser.add_argument("--before", type=Path, help="also time the tcrm package in this DIR")
    parser.add_argument("--code", type=Path, help="time the tcrm package in DIR")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds to wait before each timed run (35 lets ext4 forget earlier deletions)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="one workspace per variant, reset (git reset --hard, git clean) before each run",
    )
    parser.add_argument(
        "--json", nargs="?", const="-", help="also write the results as JSON (to FILE)"
    )
    args = parser.parse_args()
    variants = {"after" if args.before else "current": args.code}
    if args.before:
        variants = {"before": args.before.resolve(), **variants}
    for name, code in variants.items():
        if code is not None and not (code / "tcrm" / "__init__.py").is_file():
            parser.error(f"--{name if name == 'before' else 'code'} {code}: no tcrm package")
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="tcrm-bench-import-") as tmp:
        work = Path(tmp)
        for size in args.sizes.split(","):
            for file in args.files.split(","):
                csv_path = input_file(file, args.rows, work)
                copies = workspaces(size, file, variants, args, work)
                runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
                for i in range(args.runs):
                    for variant, code in variants.items():  # alternated: same conditions
                        ws = copies[variant, i]
                        if args.reset:
                            reset(ws)
                        prepare(ws, code, args.index)
                        time.sleep(args.pause)
                        times = one_run(csv_path, ws, code, args.index, work)
                        say(f"{size} {file} {variant} run {i + 1}: {times['wall']:.2f} s")
                        runs[variant].append(times)
                for variant, code in variants.items():
                    entry = {"size": size, "file": file, "variant": variant, "rows": args.rows}
                    entry |= {"code": str(code or ROOT), **summary(runs[variant])}
                    results.append(entry)
                files = {r["files"] for r in results if r["size"] == size and r["file"] == file}
                assert len(files) == 1, f"the variants wrote different numbers of files: {files}"
        print_table(results)
        report = {
            "index": args.index,
            "rows": args.rows,
            "load_average_before": load_before,
            "load_average": os.getloadavg(),
            "results": results,
        }
        if args.json == "-":
            print(json.dumps(report, indent=2))
        elif args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        say("deleting the copies ...")


if __name__ == "__main__":
    main()
