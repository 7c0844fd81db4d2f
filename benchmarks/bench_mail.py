"""How fast `tcrm mail import` files 10,000 messages from a Maildir: a script, not a test.

    python benchmarks/bench_mail.py [--messages 10000] [--clients 1000] [--runs 3] [--json]

Builds (in a temporary directory, deleted at the end) a workspace of ``--clients``
companies, each with a website domain and a contact person, and a Maildir of
``--messages`` messages made with the stdlib ``email`` package: 60% from or to a
contact's exact address, 20% from someone else at a client's domain, 10% free mail
nobody knows, 10% multipart/alternative with an attachment, a tenth of all replies in
threads. Every run is one whole process, ``tcrm mail import MAILDIR`` on its own copy of
the workspace (``cp -a``, all made before the first timed run), timed from spawn to exit.
Prints the median time and messages per second (and each run with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import mailbox
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

NOW = "2026-11-23T09:00:00+01:00"
ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@ourco.example",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@ourco.example",
    "TCRM_NOW": NOW,
}


def make_workspace(root: Path, clients: int) -> None:
    subprocess.run(
        [sys.executable, "-m", "tcrm", "init", str(root), "--name", "Bench Co"],
        check=True,
        capture_output=True,
        env={**os.environ, **ENV},
    )
    folder = root / "clients"
    folder.mkdir(exist_ok=True)
    for n in range(clients):
        (folder / f"c{n:05d}.yaml").write_text(
            f"name: Client {n}\nwebsite: https://www.client{n}.example/\n"
            f"contacts:\n- name: Person {n}\n  emails:\n  - person{n}@client{n}.example\n",
            encoding="utf-8",
        )
    for args in (["add", "-A"], ["commit", "-qm", "bench clients"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env={**os.environ, **ENV})


def make_maildir(path: Path, messages: int, clients: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    box = mailbox.Maildir(path, create=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(messages):
        c = rng.randrange(clients)
        roll = rng.random()
        msg = EmailMessage()
        if roll < 0.6:
            sender, to = f"person{c}@client{c}.example", "ann@ourco.example"
            if rng.random() < 0.5:
                sender, to = to, sender
        elif roll < 0.8:
            sender, to = f"someone{n}@client{c}.example", "ann@ourco.example"
        elif roll < 0.9:
            sender, to = f"stranger{n}@gmail.com", "ann@ourco.example"
        else:
            sender, to = f"person{c}@client{c}.example", "ann@ourco.example"
        msg["From"] = sender
        msg["To"] = to
        msg["Subject"] = f"Message {n} about order {rng.randrange(10_000)}"
        msg["Date"] = format_datetime(start + timedelta(minutes=37 * n))
        msg["Message-ID"] = f"<m{n}@bench.example>"
        if n and rng.random() < 0.1:
            msg["In-Reply-To"] = f"<m{n - 1}@bench.example>"
            msg["References"] = f"<m{n - 1}@bench.example>"
        msg.set_content(f"Hello,\n\nline {n} of a real-looking message.\n" * 5)
        if roll >= 0.9:
            msg.add_alternative(f"<p>Hello <b>{n}</b></p>", subtype="html")
            msg.add_attachment(
                os.urandom(4096), maintype="application", subtype="pdf", filename=f"doc{n}.pdf"
            )
        box.add(bytes(msg))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print every run as JSON too")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tcrm-bench-mail-") as tmp:
        base, maildir = Path(tmp) / "ws", Path(tmp) / "Maildir"
        make_workspace(base, options.clients)
        make_maildir(maildir, options.messages, options.clients)
        copies = []
        for n in range(options.runs):
            copy = Path(tmp) / f"run{n}"
            shutil.copytree(base, copy, symlinks=True)
            copies.append(copy)
        times = []
        for copy in copies:
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "tcrm", "-w", str(copy), "mail", "import", str(maildir)],
                capture_output=True,
                text=True,
                env={**os.environ, **ENV},
                cwd=tmp,
            )
            times.append(time.perf_counter() - began)
            if done.returncode != 0:
                raise SystemExit(f"tcrm mail import failed: {done.stderr.strip()}")
        summary = done.stderr.strip().splitlines()[-1]
    median = statistics.median(times)
    print(f"{options.messages} messages, {options.clients} clients, {options.runs} runs")
    print(f"  {summary}")
    print(f"  median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    print(f"  {options.messages / median:,.0f} messages/s")
    if options.json:
        print(json.dumps({"messages": options.messages, "runs_s": times, "median_s": median}))


if __name__ == "__main__":
    main()
