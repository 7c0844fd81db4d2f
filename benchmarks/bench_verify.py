"""How long ``tcrm verify`` takes on one pushed commit, by workspace size: what a
pre-receive hook adds to every push.

    python benchmarks/bench_verify.py [--sizes 1k,10k] [--runs 5]

For each size: a generated workspace (``tcrm dev generate --preset SIZE``) gets an access
policy, then one commit changing one deal. Timed as the hook runs it, a whole process:
``tcrm verify OLD..NEW`` (the commit judged, then ``tcrm check`` of the workspace at NEW,
which is most of it) and ``--no-check`` (the commit alone). Medians (min-max), seconds.
Run it on an otherwise idle machine (``uptime``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICY = """
access:
  roles:
    admin: [{admin}]
  may:
    change_settings: [admin]
    delete_records: [admin]
    max_deletes_per_push: 20
    close_deals_above: {{amount: 50000, roles: [admin]}}
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def prepare(root: Path, size: str) -> tuple[str, str]:
    tcrm = [sys.executable, "-m", "tcrm"]
    subprocess.run([*tcrm, "dev", "generate", "--preset", size, str(root)], check=True)
    settings = root / "tcrm.yaml"
    text = settings.read_text()
    admin = text.split("team:", 1)[1].split("id:", 1)[1].split()[0]
    settings.write_text(text + POLICY.format(admin=admin))
    git(root, "commit", "-qam", "access policy")
    old = git(root, "rev-parse", "HEAD")
    deal = sorted((root / "deals").iterdir())[0]
    deal.write_text(deal.read_text() + "notes: benchmark edit\n")
    git(root, "commit", "-qam", "one deal")
    return old, git(root, "rev-parse", "HEAD")


def timed(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(args, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| size | verify (with check) | verify --no-check |")
    print("|---|---|---|")
    for size in options.sizes.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp, "ws")
            old, new = prepare(root, size)
            base = [sys.executable, "-m", "tcrm", "verify", "--repo", str(root), f"{old}..{new}"]
            cells = []
            for args in (base, [*base, "--no-check"]):
                times = timed(args, options.runs)
                cells.append(f"{statistics.median(times):.2f} ({min(times):.2f}-{max(times):.2f})")
            print(f"| {size} | {cells[0]} | {cells[1]} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
