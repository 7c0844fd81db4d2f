"""The feed server under test: in a thread of this process, or ``tcrm ics serve`` as a child
process whose output is read without losing a line. Shared by the ics serve tests.

Every request has a timeout and every loop a bound; each test stops what it started.
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tcrm.ics.server import FeedServer, make_server
from tcrm.services.calendar import FeedOptions

TOKEN = "s3cret-Token_0123456789"
TIMEOUT = 10
FEED = f"/{TOKEN}/calendar.ics"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def get(port: int, path: str, method: str = "GET", **headers: str) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        answer = conn.getresponse()
        body = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
    finally:
        conn.close()


def serve_in_thread(root: Path, token: str | None, **options: bool) -> Iterator[FeedServer]:
    """A feed server on a free loopback port, serving in a background thread until the
    generator is closed; its limits can be changed on the yielded object."""
    server = make_server(
        root,
        host="127.0.0.1",
        port=0,
        token=token,
        options=FeedOptions(**options),
        quiet=True,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=TIMEOUT)
        assert not thread.is_alive()


class ServeProcess:
    """``tcrm ics serve ARGS`` in a child process (``--port 0``).

    A thread per pipe reads it to the end into a list, and every stderr line also goes
    to a queue: a test waits for a line without ever losing the lines read with it (a
    buffered ``readline()`` followed by ``communicate()`` can lose what the buffer held).
    """

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tcrm", "ics", "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.err_lines: list[str] = []
        self.out_lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err_lines, True)),
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out_lines, False)),
        ]
        for reader in self._readers:
            reader.start()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _read(self, stream: IO[str], into: list[str], announce: bool) -> None:
        for line in stream:
            into.append(line)
            if announce:
                self._lines.put(line)
        if announce:
            self._lines.put(None)  # end of output

    def wait_for(self, text: str, timeout: float = 6 * TIMEOUT) -> str:
        """The next stderr line containing ``text`` (earlier lines are skipped, not lost)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"tcrm ics serve ended before {text!r}: {self.err!r}")
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s: {self.err!r}")

    def stop(self) -> int:
        """Ctrl-C, then wait for the process and for the end of both pipes; the exit code
        (stopping a stopped process again just returns it)."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
            # generous: on a loaded 2-core CI machine interpreter teardown alone takes seconds
            return self.proc.wait(timeout=6 * TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=TIMEOUT)
            for reader in self._readers:
                reader.join(timeout=TIMEOUT)

    @property
    def err(self) -> str:
        return "".join(self.err_lines)

    @property
    def out(self) -> str:
        return "".join(self.out_lines)
