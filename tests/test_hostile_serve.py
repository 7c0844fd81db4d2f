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
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tcrm.ics.server import FeedServer
from tests.servetools import FEED, TIMEOUT, TOKEN, ServeProcess, get, serve_in_thread

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


def _loopback_range() -> bool:
    """Whether this machine sends from 127.0.0.2 (Linux: all of 127/8 is loopback)."""
    try:
        with socket.socket() as sock:
            sock.bind((_source(1), 0))
    except OSError:
        return False
    return True


many_clients = pytest.mark.skipif(
    not _loopback_range(),
    reason="needs 127.0.0.2... as source addresses (all of 127/8 on lo, as on Linux)",
)


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


def test_request_lines_with_control_characters_are_logged_escaped(sample_ws) -> None:
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
def test_the_token_is_never_printed(sample_ws, args, env, source) -> None:
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


class Slowloris:
    """Connections that start a request and then send one more header byte per round,
    never finishing it; a thread drips on all of them until ``stop`` (bounded rounds)."""

    def __init__(self, port: int, sources: list[str], interval: float, rounds: int) -> None:
        self.socks: list[socket.socket] = []
        for source in sources:
            sock = _connect(port, source)
            sock.sendall(f"GET {FEED} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ".encode())
            self.socks.append(sock)
        self.answers: dict[socket.socket, bytes] = dict.fromkeys(self.socks, b"")
        self.closed: set[socket.socket] = set()  # closed by the server, answers read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, args=(interval, rounds))
        self._thread.start()

    def _drip(self, interval: float, rounds: int) -> None:
        refused: set[socket.socket] = set()  # a send failed: the server closed it
        for _ in range(rounds):
            if self._stop.wait(interval):
                return
            for sock in self.socks:
                if sock in refused or sock in self.closed:
                    continue
                try:
                    sock.send(b"a")
                except OSError:
                    refused.add(sock)

    def read_answers(self, wait: float) -> None:
        """Read what the server sent on each connection until it closed it, or nothing
        came for ``wait`` seconds (what the server sent stays readable after a reset)."""
        open_ = [s for s in self.socks if s not in self.closed]
        while open_:
            ready, _, _ = select.select(open_, [], [], wait)
            if not ready:
                return
            for sock in ready:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    chunk = b""
                self.answers[sock] += chunk
                if not chunk:
                    self.closed.add(sock)
                    open_.remove(sock)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUT)
        for sock in self.socks:
            sock.close()


@many_clients
def test_slowloris_from_one_address_leaves_room_for_everybody_else(serving) -> None:
    # 70 slow connections from one address, a byte each per 0.5 s (the attack,
    # faster): the server holds a bounded number of them and refuses the rest at once.
    attack = Slowloris(serving.port, [_source(1)] * ATTACKERS, interval=0.5, rounds=120)
    try:
        answer = get(serving.port, FEED)  # a real calendar app, from another address
        assert answer.status == 200 and answer.body.startswith(b"BEGIN:VCALENDAR")
        attack.read_answers(wait=1)
        refused = [a for a in attack.answers.values() if a.startswith(b"HTTP/1.1 503 ")]
        assert len(refused) >= ATTACKERS - serving.max_per_client
        assert all(b"Retry-After: " in a for a in refused)
        assert get(serving.port, FEED).status == 200
    finally:
        attack.stop()


@many_clients
def test_slow_headers_meet_a_total_deadline_then_clients_are_served(serving) -> None:
    # 70 attackers from 70 addresses, each under the per-client limit, together over the
    # server's total: the headers' total deadline (not a timeout per read, which a byte
    # every 0.25 s never meets) closes every one of them.
    serving.header_deadline = 1.0
    sources = [_source(n) for n in range(1, ATTACKERS + 1)]
    attack = Slowloris(serving.port, sources, interval=0.25, rounds=200)
    try:
        for _ in range(40):  # at most 40 s (a connection is closed after ~1 s)
            attack.read_answers(wait=1)
            if len(attack.closed) == ATTACKERS:
                break
        assert len(attack.closed) == ATTACKERS, f"{len(attack.closed)} closed"
        answered = [a for a in attack.answers.values() if a]  # the rest closed unanswered
        assert all(a.startswith(b"HTTP/1.1 503 ") for a in answered)
        assert get(serving.port, FEED).status == 200
    finally:
        attack.stop()


@many_clients
def test_connections_are_bounded_per_client_and_in_all(serving) -> None:
    serving.max_clients, serving.max_per_client = 3, 2
    with ExitStack() as stack:
        for n in (1, 1, 2):  # two connections from one address, one from another
            held = stack.enter_context(Conn(serving.port, _source(n)))
            held.send(b"GET ")  # a request begun: the server holds the connection
        for n in (1, 3):  # a third from the first address; a fourth in all
            refused = stack.enter_context(Conn(serving.port, _source(n)))
            answer = refused.response()
            assert answer.status == 503 and answer.getheader("Retry-After")
            assert refused.rest() == b""
    # the held connections are closed: their slots come back (the server notices in its
    # own threads: ask a bounded number of times)
    for _ in range(50):
        if (status := get(serving.port, FEED).status) == 200:
            break
        time.sleep(0.1)
    assert status == 200


@pytest.mark.parametrize("path", ["/wrong-token-0000000/calendar.ics", "/calendar.ics"])
def test_the_token_is_checked_before_any_header_is_read(serving, path) -> None:
    with Conn(serving.port) as conn:
        conn.send(f"GET {path} HTTP/1.1\r\n".encode())  # no header, no blank line: wait
        answer = conn.response()
        assert answer.status == 404
        assert answer.getheader("Connection") == "close"
        assert conn.rest() == b""


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", "0.0.0.0"]
)
def test_without_a_token_a_foreign_host_name_is_refused(open_serving, host) -> None:
    # DNS rebinding: a web page at evil.example whose name now resolves to 127.0.0.1
    answer = get(open_serving.port, "/calendar.ics", Host=host.format(port=open_serving.port))
    assert answer.status == 421
    assert answer.headers["connection"] == "close"
    assert b"BEGIN:VCALENDAR" not in answer.body and b"Northwind" not in answer.body


def test_without_a_token_the_host_must_be_one_and_well_formed(open_serving) -> None:
    port = open_serving.port
    for headers in (
        b"",
        b"Host: 127.0.0.1\r\nHost: evil.example\r\n",
        b"Host: evil.example@127.0.0.1\r\n",
        b"Host: 127.0.0.1:80:80\r\n",
        b"Host: 127.0.0.1 evil\r\n",
    ):
        with Conn(port) as conn:
            conn.send(b"GET /calendar.ics HTTP/1.1\r\n" + headers + b"\r\n")
            assert conn.response().status == 400, headers
            assert conn.rest() == b""


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "127.0.0.1", "localhost:{port}", "LocalHost", "localhost:9000"]
)
def test_without_a_token_this_machine_s_names_are_served(open_serving, host) -> None:
    answer = get(open_serving.port, "/calendar.ics", Host=host.format(port=open_serving.port))
    assert answer.status == 200


def test_with_a_token_any_host_is_served(serving) -> None:
    # behind a TLS proxy the Host is the proxy's public name; the token guards the feed
    assert get(serving.port, FEED, Host="calendar.example.org").status == 200


SMUGGLED = f"GET /{TOKEN}/ben.ics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize(
    "framing",
    [
        f"Content-Length: {len(SMUGGLED)}\r\n\r\n{SMUGGLED}",
        f"Transfer-Encoding: chunked\r\n\r\n{len(SMUGGLED):x}\r\n{SMUGGLED}\r\n0\r\n\r\n",
        f"Content-Length: {len(SMUGGLED)}\r\nTransfer-Encoding: chunked\r\n\r\n{SMUGGLED}",
        f"Content-Length: {len(SMUGGLED)}\r\nExpect: 100-continue\r\n\r\n{SMUGGLED}",
    ],
    ids=["content-length", "chunked", "both", "expect-100"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_request_with_a_body_is_answered_once_and_the_connection_closed(
    serving, method, framing
) -> None:
    # desync: a body the server does not read would be taken for the next request
    with Conn(serving.port) as conn:
        conn.send(f"{method} {FEED} HTTP/1.1\r\nHost: 127.0.0.1\r\n{framing}".encode())
        answer = conn.response(method)
        assert answer.status in (400, 417)
        assert answer.getheader("Connection") == "close"
        assert conn.rest() == b""  # nothing else: the smuggled request is not answered


def test_keep_alive_answers_pipelined_requests_in_order_and_honours_close(serving) -> None:
    requests = (
        f"GET {FEED} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        f"HEAD /{TOKEN}/ben.ics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        f"GET /{TOKEN}/ben.ics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    with Conn(serving.port) as conn:
        conn.send(requests.encode())  # all three at once: pipelined
        everything = conn.response()
        head = conn.response("HEAD")
        ben = conn.response()
        assert [everything.status, head.status, ben.status] == [200, 200, 200]
        assert head.getheader("ETag") == ben.getheader("ETag") != everything.getheader("ETag")
        assert ben.getheader("Connection") == "close"
        assert conn.rest() == b""
