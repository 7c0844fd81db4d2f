"""A hostile HTTP client against ``tcrm ics serve`` on loopback (issue 16, item 5).

Each attack runs against a real server: the server object serving in a thread, or the
``tcrm ics serve`` process. Attackers use other loopback source addresses (127.0.0.2...,
all of 127/8 is the loopback interface on Linux) so the server sees distinct clients.
Every socket has a timeout and every loop a bound; each test stops what it started.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tcrm.ics.server import FeedServer
from tests.clitools import sample_ws
from tests.servetools import FEED, TIMEOUT, TOKEN, ServeProcess, get, serve_in_thread

__all__ = ["sample_ws"]  # the fixture, imported for pytest

ATTACKERS = 70


@pytest.fixture
def serving(sample_ws: Path) -> Iterator[FeedServer]:
    yield from serve_in_thread(sample_ws, TOKEN)


@pytest.fixture
def open_serving(sample_ws: Path) -> Iterator[FeedServer]:
    """A server without a token: this machine only, at the root."""
    yield from serve_in_thread(sample_ws, None)


def _source(n: int) -> str:
    """The n-th attacker's loopback address (n >= 1): 127.0.0.2, 127.0.0.3..."""
    return f"127.0.{(n + 1) // 256}.{(n + 1) % 256}"


def _connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", port), timeout=TIMEOUT, source_address=(source, 0)
    )


class _Stream(io.BufferedReader):
    """The bytes a connection receives, buffered once for every response on it."""

    def close(self) -> None:  # a response ends; the connection goes on
        pass


class Conn:
    """A client connection, its answers read as one stream, response after response."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.sock = _connect(port, source)
        self._raw = self.sock.makefile("rb", buffering=0)
        self._stream = _Stream(self._raw)

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()
        self.sock.close()

    def makefile(self, mode: str) -> _Stream:  # what http.client reads a response from
        return self._stream

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, method: str = "GET") -> http.client.HTTPResponse:
        """The next response (its body read); more may follow on the connection."""
        answer = http.client.HTTPResponse(self, method=method)  # type: ignore[arg-type]
        answer.begin()
        answer.read()
        return answer

    def rest(self) -> bytes:
        """Everything until the server closes the connection (a timeout fails the test)."""
        return self._stream.read()


def test_request_lines_with_control_characters_are_logged_escaped(sample_ws):
    attacks = [
        b"GET /calendar.ics\x1b]0;owned\x07\x1b[2J HTTP/1.1",
        b'GET /x\r127.0.0.1 "GET /calendar.ics HTTP/1.1" 200 - HTTP/1.1',
        b"GET /\x00\x7f\x9b31m\x1b[1A\x1b[2K HTTP/1.1",
        b"GET \\x1b HTTP/1.1",  # a literal backslash is escaped too: \\x1b, not \x1b
    ]
    with ServeProcess() as server:
        port = int(re.search(r":(\d+)/", server.wait_for("Serving "))[1])
        server.wait_for("Press Ctrl-C to stop.")
        for line in attacks:
            with Conn(port) as conn:
                conn.send(line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                conn.rest()  # answered: the server has logged it
        server.stop()
    log = server.err.split("Press Ctrl-C to stop.\n", 1)[1]
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", log), repr(log)
    lines = log.splitlines()
    assert lines[-1] == "Stopped." and len(lines) > len(attacks), lines
    assert all(line.startswith("127.0.0.1 ") for line in lines[:-1]), lines
    assert "\\x1b]0;owned\\x07\\x1b[2J" in log
    assert '/x\\x0d127.0.0.1 "GET' in log
    assert "/\\x00\\x7f\\x9b31m" in log
    assert '"GET \\\\x1b HTTP/1.1"' in log


@pytest.mark.parametrize(
    ("args", "env", "source"),
    [
        ((), {"TCRM_ICS_TOKEN": TOKEN}, "$TCRM_ICS_TOKEN"),
        (("--quiet",), {"TCRM_ICS_TOKEN": TOKEN}, "$TCRM_ICS_TOKEN"),
        (("--token", TOKEN), {}, "--token"),
        (("--token", TOKEN, "--quiet"), {}, "--token"),
    ],
)
def test_the_token_is_never_printed(sample_ws, args, env, source):
    with ServeProcess(*args, env=env) as server:
        banner = server.wait_for("Serving ")
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/<token>/calendar\.ics", banner)[1])
        assert source in server.wait_for("<token> is ")
        server.wait_for("Press Ctrl-C to stop.")
        assert get(port, FEED).status == 200
        assert get(port, f"/{TOKEN.upper()}/calendar.ics").status == 404
        assert get(port, f"/{TOKEN}x/calendar.ics").status == 404
        if "--quiet" not in args:
            server.wait_for("x/calendar.ics HTTP/1.1")
        assert server.stop() == 0
    assert TOKEN.lower() not in (server.out + server.err).lower()
    assert "Traceback" not in server.err
    if "--quiet" in args:
        assert "GET" not in server.err
