"""How fast ``tcrm mail sync`` files a mailbox: a real Dovecot on loopback, N messages.

    python benchmarks/bench_mail_sync.py [--messages 1000] [--runs 3]

Starts a throwaway Dovecot (as the tests do, tests/servers.py), puts N messages in INBOX
with IMAP APPEND (untimed; a third from a contact's address, a third from a client's
domain, a third from free mail that matches nobody), then times whole
``python -m tcrm mail sync`` processes, each on a fresh copy of the workspace with no
sync state (a first sync: fetch all N, parse, file, one commit), and one more run on the
synced copy (nothing new: the cron case). Prints medians and messages per second.
A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mailtools import NOW, at, mail_workspace, message  # noqa: E402
from tests.servers import start_dovecot, stop_dovecot  # noqa: E402

SENDERS = ("Jo Smith <jo@acme.example>", "billing@acme.example", "someone@gmail.com")


def _append(conn: object, raws: list[bytes]) -> None:
    for raw in raws:
        status, data = conn.append("INBOX", None, None, raw)  # type: ignore[attr-defined]
        assert status == "OK", data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server, process, dovecot_root = start_dovecot(tls=False)
    work = Path(tempfile.mkdtemp(prefix="tcrm-bench-mail-"))
    try:
        conn = server.session()
        raws = [
            message(
                sender=SENDERS[n % 3],
                to="ann@ourco.example",
                subject=f"message {n}",
                date=at(1 + n % 20, 8 + n % 10),
                msgid=f"<bench{n}@bench.example>",
                body=f"Hello,\n\nthis is message {n}.\n\n-- \nJo\n" * 5,
            ).as_bytes()
            for n in range(args.messages)
        ]
        _append(conn, raws)
        conn.logout()
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(work / "config"),
            "TCRM_NOW": NOW.isoformat(),
            "TCRM_MAIL_PASSWORD_WORK": server.password,
            "GIT_AUTHOR_NAME": "Bench",
            "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench",
            "GIT_COMMITTER_EMAIL": "bench@example.com",
        }
        os.environ.update({k: env[k] for k in env if k.startswith("GIT_")})
        template = mail_workspace(work / "template").root
        tcrm = [sys.executable, "-m", "tcrm"]
        subprocess.run(
            [*tcrm, "mail", "account", "add", "work", "--imap", server.url(),
             "--address", "ann@ourco.example"],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        first: list[float] = []
        copy = work / "run"
        for _ in range(args.runs):
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(template, copy, symlinks=True)
            start = time.perf_counter()
            subprocess.run([*tcrm, "-w", str(copy), "mail", "sync"], check=True, env=env,
                           capture_output=True)  # fmt: skip
            first.append(time.perf_counter() - start)
        again: list[float] = []
        for _ in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run([*tcrm, "-w", str(copy), "mail", "sync"], check=True, env=env,
                                  capture_output=True, text=True)  # fmt: skip
            again.append(time.perf_counter() - start)
            assert done.stderr == "", done.stderr
        median = statistics.median(first)
        print(f"first sync of {args.messages} messages: median {median:.2f} s "
              f"(min {min(first):.2f}, max {max(first):.2f}), "
              f"{args.messages / median:.0f} messages/s")  # fmt: skip
        print(f"sync with nothing new: median {statistics.median(again):.2f} s")
        print(f"load average: {os.getloadavg()[0]:.2f}")
    finally:
        stop_dovecot(process, dovecot_root)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
