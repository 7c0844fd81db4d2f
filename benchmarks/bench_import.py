"""How fast `tcrm import csv` brings in 10,000 rows: a script, not a test.

    python benchmarks/bench_import.py [--rows 10000] [--runs 3] [--json]

Generates two realistic CSV files in a temporary directory (`;` separated, with a BOM,
emails, phones, websites, multi-line notes, tags, a few duplicate rows):

- contacts: a person per row, about two per company (people become contact people of
  one client, so ~5,000 client files);
- companies: a company per row (10,000 client files).

Each is imported into a fresh `tcrm init` workspace per run, through the code the CLI
runs: read and parse the file, validate every row, find duplicates, write every file and
make one git commit. Prints the median of each phase per file as a table, and JSON with
--json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcrm.io import csvio  # noqa: E402
from tcrm.services.imports import import_rows  # noqa: E402
from tcrm.services.setup import init_workspace  # noqa: E402

WORDS = (  # noqa: SIM905 - a word list reads better as text
    "north wind river stone blue oak maple cedar harbor summit alpine delta nova lumen "
    "pixel forge orbit quartz ember atlas vertex meadow falcon copper silver granite "
    "willow aurora zenith cobalt crimson tidal birch polar sierra lotus echo prism"
).split()
KINDS = ("Logistics", "Studio", "Dental", "Consulting", "Foods", "Labs", "Robotics", "Design")
FORMS = ("GmbH", "Ltd", "Inc", "AG", "BV", "", "", "")
FIRST = ("Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas")
LAST = ("Müller", "Smith", "Martin", "Okafor", "Lindqvist", "Rossi", "Novak", "Dubois")


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


def one_run(csv_path: Path, work: Path, run: int) -> dict[str, float | int]:
    ws = init_workspace(work / f"ws-{csv_path.stem}-{run}", name="Bench Co")
    t0 = time.perf_counter()
    source, _, _ = csvio.read_table(csv_path)
    t1 = time.perf_counter()
    plan = import_rows(ws, kind="client", source=source, dry_run=True)
    t2 = time.perf_counter()
    result = import_rows(ws, kind="client", source=source)
    t3 = time.perf_counter()
    status = subprocess.run(
        ["git", "-C", str(ws.root), "status", "--porcelain"], capture_output=True, text=True
    ).stdout
    assert status == "", status
    assert len(result.created) == len(plan.created)
    return {
        "rows": len(source.rows),
        "clients": len(result.created),
        "read_s": t1 - t0,
        "validate_plan_s": t2 - t1,
        "import_s": t3 - t2,
        "total_s": (t1 - t0) + (t3 - t2),
    }


def measure(csv_path: Path, work: Path, runs: int) -> dict[str, float | int | str]:
    results = [one_run(csv_path, work, i) for i in range(runs)]
    median = {k: statistics.median(float(r[k]) for r in results) for k in results[0]}
    rows = int(median["rows"])
    return {
        "file": csv_path.name,
        "rows": rows,
        "clients_created": int(median["clients"]),
        "runs": runs,
        "median_read_s": round(median["read_s"], 3),
        "median_validate_plan_s": round(median["validate_plan_s"], 3),
        "median_import_s": round(median["import_s"], 3),
        "median_total_s": round(median["total_s"], 3),
        "rows_per_s": round(rows / median["total_s"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    for var, value in (("NAME", "Bench"), ("EMAIL", "bench@example.org")):
        os.environ.setdefault(f"GIT_AUTHOR_{var}", value)
        os.environ.setdefault(f"GIT_COMMITTER_{var}", value)
    summaries = []
    with tempfile.TemporaryDirectory(prefix="tcrm-bench-") as tmp:
        work = Path(tmp)
        for name, people in (("contacts", True), ("companies", False)):
            csv_path = work / f"{name}.csv"
            generate(csv_path, args.rows, people=people)
            summaries.append(measure(csv_path, work, args.runs))
    phases = (
        ("read + parse CSV", "median_read_s"),
        ("validate + duplicates (dry run)", "median_validate_plan_s"),
        ("import: validate, write, commit", "median_import_s"),
        ("total (read + import)", "median_total_s"),
    )
    print(
        f"{'median of ' + str(args.runs) + ' runs':<34}"
        + "".join(f"{s['file']:>16}" for s in summaries)
    )
    print(f"{'rows':<34}" + "".join(f"{s['rows']:>16,}" for s in summaries))
    print(
        f"{'client files written':<34}" + "".join(f"{s['clients_created']:>16,}" for s in summaries)
    )
    for label, key in phases:
        print(f"{label:<34}" + "".join(f"{float(s[key]):>15.2f}s" for s in summaries))
    print(f"{'rows/s':<34}" + "".join(f"{s['rows_per_s']:>16,}" for s in summaries))
    if args.json:
        print(json.dumps(summaries, indent=2))


if __name__ == "__main__":
    main()
