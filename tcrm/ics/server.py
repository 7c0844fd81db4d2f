"""``tcrm ics serve``: the live calendar feed over HTTP, for apps that subscribe to a URL.

The standard library's threading HTTP server, answering exactly two kinds of path:
``/[TOKEN/]calendar.ics`` (everything) and ``/[TOKEN/]<member>.ics`` (one assignee's).
Paths are matched as raw text and never mapped to files, so no path, encoded or not,
reaches anything else. A feed is rendered again only when a cheap fingerprint of the
workspace (git HEAD, folder times) changes; concurrent requests share one rendering.

Every client is a stranger (docs/security.md, "The feed server"): connections are
bounded per client and in all, a request's line and headers have one total deadline,
the path (and so the token) is judged before any header is read, a request with a body
is refused, a token-less server answers only to its own host names, and the log escapes
control characters and never holds the token.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import ipaddress
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tcrm.errors import TcrmError, UsageError, skipped_summary
from tcrm.ics.calendar import render
from tcrm.services.calendar import FeedOptions, build_feed, feed_fingerprint
from tcrm.services.records import skipped_records
from tcrm.store.workspace import Workspace

ALL = "calendar"
"""The name of the feed with everything: ``/TOKEN/calendar.ics``."""

MAX_CLIENTS = 64
"""Connections served at once, all clients together; more are refused at once (503)."""

MAX_PER_CLIENT = 16
"""Connections served at once from one client (an IPv4 address, an IPv6 /64): one
client cannot take every slot; more are refused at once (503)."""

HEADER_DEADLINE = 10.0
"""Seconds a connection has for a whole request line and its headers, however slowly it
sends them (one total, not a timeout per read), and the longest it may idle between
requests."""

CLIENT_TIMEOUT = 10
"""Seconds an answer may take to be sent (a client that stops reading)."""

RETRY_AFTER = 10
"""Seconds a refused (busy) client is asked to wait before trying again."""

BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 5\r\n"
    b"Retry-After: " + str(RETRY_AFTER).encode() + b"\r\n"
    b"Connection: close\r\n\r\n"
    b"busy\n"
)
"""The whole answer to a connection over a limit. Written as bytes by the accepting
thread, at once and without reading the request: a handler would need a thread, which
is what the client is refused."""

MASK = "<token>"
"""What people see instead of the token: in the URLs printed at start-up and in the log."""

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_PATH_RE = re.compile(
    r"^/(?:(?P<token>[A-Za-z0-9_-]{1,128})/)?(?P<name>[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?)\.ics$"
)
_HOST_RE = re.compile(
    r"^(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9.])?)"
    r"(?::[0-9]{1,5})?$"
)
"""RFC 9110's Host: a name or an address, then an optional port; nothing else (no
userinfo, no spaces, no second value)."""

_CONTROL = str.maketrans(
    {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]} | {ord("\\"): "\\\\"}
)
"""What http.server's own log does: control characters as ``\\xNN``, ``\\`` doubled, so a
request cannot move the cursor, clear the screen or start a forged line."""


class ServeError(TcrmError):
    """The server cannot listen where it was asked to."""


@dataclass(frozen=True)
class Rendered:
    """One feed's bytes and the validators conditional requests are compared with."""

    fingerprint: tuple[object, ...]
    body: bytes
    etag: str
    modified: datetime


class FeedCache:
    """Rendered feeds by assignee (``None`` for all), each re-rendered only when the
    workspace's fingerprint changed since it was rendered."""

    def __init__(self, root: Path, options: FeedOptions) -> None:
        self.root = root
        self.options = options
        self._lock = threading.Lock()
        self._feeds: dict[str | None, Rendered] = {}

    def get(self, assignee: str | None) -> Rendered | None:
        """The feed, current as of now; ``None`` when ``assignee`` is not a team member."""
        with self._lock:
            ws = Workspace(self.root)
            fingerprint = feed_fingerprint(ws)
            cached = self._feeds.get(assignee)
            if cached is not None and cached.fingerprint == fingerprint:
                return cached
            try:
                if assignee is not None and ws.settings.member(assignee) is None:
                    return None
                options = replace(self.options, assignee=assignee)
                body = render(build_feed(ws, options=options))
                skipped = skipped_records(ws)
                if skipped:  # said once per new version of the feed, not per request
                    sys.stderr.write(f"tcrm: warning: {skipped_summary(skipped)}\n")
            except TcrmError:
                if cached is None:
                    raise
                return cached  # a half-edited tcrm.yaml: keep serving the last good feed
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            modified = _modified(cached, etag)
            self._feeds[assignee] = Rendered(fingerprint, body, etag, modified)
            return self._feeds[assignee]


def _modified(previous: Rendered | None, etag: str) -> datetime:
    """When this version of the feed first appeared: never earlier than the previous
    version's time (plus a second, so If-Modified-Since sees every change)."""
    if previous is not None and previous.etag == etag:
        return previous.modified
    now = datetime.now(UTC).replace(microsecond=0)
    if previous is not None and now <= previous.modified:
        return previous.modified + timedelta(seconds=1)
    return now


def route(raw_path: str, token: str | None) -> str | None:
    """The feed a request path names: ``"calendar"``, a member id, or ``None`` (404).

    The raw path is matched as text: no percent-decoding, no dot segments, no file.
    """
    match = _PATH_RE.match(raw_path.split("?", 1)[0])
    if match is None or ".." in match["name"]:
        return None
    given = match["token"]
    if token is None:
        return match["name"] if given is None else None
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        return None
    return match["name"]


def not_modified(headers: Any, rendered: Rendered) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in match.split(",")]
        return "*" in tags or rendered.etag in tags
    since = headers.get("If-Modified-Since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return rendered.modified <= when
    return False


class _DeadlineReader(io.RawIOBase):
    """A connection's bytes, each read allowed only the time left before ``deadline``
    while one is set: a client sending a byte now and then still runs out of time."""

    def __init__(self, sock: socket.socket, timeout: float | None) -> None:
        self._sock = sock
        self._timeout = timeout
        self._deadline: float | None = None
        self._received = 0

    def readable(self) -> bool:
        return True

    def start(self, seconds: float) -> None:
        """A request begins: it must be read whole within ``seconds`` from now."""
        self._deadline = time.monotonic() + seconds
        self._received = 0

    def stop(self) -> None:
        """The request line and headers are in: back to the timeout per read."""
        self._deadline = None

    def readinto(self, buffer: Any) -> int:
        if self._deadline is None:
            return self._sock.recv_into(buffer)
        left = self._deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            self._sock.settimeout(left if self._timeout is None else min(left, self._timeout))
            n = self._sock.recv_into(buffer)
        except TimeoutError:
            if self._received == 0:
                return 0  # idle between requests: the end of the connection, not an error
            raise TimeoutError("request line and headers not complete in time") from None
        finally:
            self._sock.settimeout(self._timeout)
        self._received += n
        return n


class FeedHandler(BaseHTTPRequestHandler):
    """GET and HEAD of a feed; every other path is 404, every other method 501."""

    server: FeedServer
    raw_requestline: bytes  # set by http.server's handle_one_request before parse_request
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # http.server's buffered file, replaced by one with a deadline
        self._reader = _DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader)

    def version_string(self) -> str:
        return "tcrm"

    def handle_one_request(self) -> None:
        self._reader.start(self.server.header_deadline)
        super().handle_one_request()

    def parse_request(self) -> bool:
        """http.server's parsing, with the path judged before any header is read, and
        the headers checked before any answer: Host (without a token), no body."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = line.split()
        if len(words) == 3 and words[2] in ("HTTP/1.0", "HTTP/1.1"):
            self.command, self.path, self.request_version = words
            self.requestline = line
            if route(self.path, self.server.token) is None:
                # a wrong token, or a path that names no feed: not one header is read
                return self._refuse(404, "not found")
        if not super().parse_request():
            return False
        self._reader.stop()
        if self.server.token is None and (refusal := self._host_refusal()):
            return self._refuse(*refusal)
        lengths = self.headers.get_all("Content-Length") or []
        if lengths not in ([], ["0"]) or "Transfer-Encoding" in self.headers:
            # never read, a body would be taken for the next request on the connection
            return self._refuse(400, "a feed request has no body")
        return True

    def handle_expect_100(self) -> bool:
        """Nothing here takes a body: no "100 Continue", a final answer instead."""
        return self._refuse(417, "a feed request has no body")

    def _host_refusal(self) -> tuple[int, str] | None:
        """Without a token the feed is for this machine: a web page whose own name has been
        made to resolve to 127.0.0.1 (DNS rebinding) sends that name as Host."""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            return 400, "one Host header, please"
        match = _HOST_RE.match(hosts[0].strip())
        if match is None:
            return 400, "malformed Host header"
        if match["name"].lower().rstrip(".") not in self.server.names:
            return 421, "not a name of this server (a feed without a token is for this machine)"
        return None

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        # the target as sent: the standard library folds a leading '//' into '/' in .path
        words = self.requestline.split()
        name = route(words[1] if len(words) >= 2 else "", self.server.token)
        try:
            rendered = self.server.cache.get(None if name == ALL else name) if name else None
        except TcrmError as exc:
            self._text(500, f"tcrm: error: {exc}\n", with_body)
            return
        if rendered is None:
            self._text(404, "not found\n", with_body)
            return
        if not_modified(self.headers, rendered):
            self.send_response(304)
            self._validators(rendered)
            self._end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(rendered.body)))
        self.send_header("Content-Disposition", f'inline; filename="{name}.ics"')
        self.send_header("X-Content-Type-Options", "nosniff")
        self._validators(rendered)
        self._end_headers()
        if with_body:
            self.wfile.write(rendered.body)

    def _validators(self, rendered: Rendered) -> None:
        self.send_header("ETag", rendered.etag)
        self.send_header("Last-Modified", format_datetime(rendered.modified, usegmt=True))
        self.send_header("Cache-Control", "no-cache")

    def _end_headers(self) -> None:
        """The headers' end, saying what http.server does with the connection after this
        answer (RFC 9112 9.6, 9.3): close it, or keep an HTTP/1.0 client's alive."""
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()

    def _text(self, code: int, text: str, with_body: bool) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self._end_headers()
        if with_body:
            self.wfile.write(data)

    def _refuse(self, code: int, reason: str) -> bool:
        """Answer ``code`` and close the connection (what else it sent is never read);
        False, as ``parse_request`` returns when it has answered."""
        self.close_connection = True
        self._text(code, reason + "\n", with_body=self.command != "HEAD")
        return False

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(self.address_string(), format % args)


class FeedServer(ThreadingHTTPServer):
    """A thread per connection, none outliving the server; at most ``max_clients`` at once
    and ``max_per_client`` from one client (class attributes, as socketserver's own
    settings are, so a test may lower them on one server)."""

    daemon_threads = True
    request_queue_size = MAX_CLIENTS
    max_clients = MAX_CLIENTS
    max_per_client = MAX_PER_CLIENT
    header_deadline = HEADER_DEADLINE

    def __init__(
        self,
        address: tuple[str, int],
        cache: FeedCache,
        token: str | None,
        quiet: bool = False,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.cache = cache
        self.token = token
        self.quiet = quiet
        self._lock = threading.Lock()
        self._total = 0
        self._per_client: Counter[str] = Counter()
        super().__init__(address, FeedHandler)
        # the names a request's Host may give when there is no token
        self.names = frozenset(
            {"localhost", _host_name(address[0]), _host_name(str(self.server_address[0]))}
        )
        self._mask = re.compile(re.escape(token), re.IGNORECASE) if token else None

    def process_request(self, request: Any, client_address: Any) -> None:
        client = client_key(str(client_address[0]))
        with self._lock:
            over = (
                "too many connections from this client"
                if self._per_client[client] >= self.max_per_client
                else "too many connections"
                if self._total >= self.max_clients
                else None
            )
            if over is None:
                self._total += 1
                self._per_client[client] += 1
        if over is not None:
            self._refuse(request, str(client_address[0]), over)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(client)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(client_key(str(client_address[0])))

    def _release(self, client: str) -> None:
        with self._lock:
            self._total -= 1
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]

    def _refuse(self, request: socket.socket, address: str, reason: str) -> None:
        """503 and close, from the accepting thread: never waits for the client."""
        try:
            request.setblocking(False)
            request.send(BUSY)
        except OSError:
            pass  # the client is gone or not reading: it is refused all the same
        self.shutdown_request(request)
        self.log(address, f"refused: {reason} (503)")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of socketserver's traceback: a client going away in the middle
        of an answer is ordinary; anything else is named by its type."""
        exc = sys.exc_info()[1]
        what = "connection lost" if isinstance(exc, ConnectionError) else "error"
        self.log(str(client_address[0]), f"{what}: {type(exc).__name__}: {exc}")

    def log(self, address: str, line: str) -> None:
        """One line on stderr (none with ``quiet``): control characters escaped, the token
        masked in any letter case (logs get shared)."""
        if self.quiet:
            return
        if self._mask is not None:
            line = self._mask.sub(MASK, line)
        sys.stderr.write(f"{address} {line}".translate(_CONTROL) + "\n")

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, name: str = ALL) -> str:
        """The feed's URL as people are shown it: the token as ``<token>``, never itself."""
        address = self.server_address[0]
        host = address if isinstance(address, str) else address.decode("ascii")
        shown = f"[{host}]" if ":" in host else host
        prefix = f"/{MASK}" if self.token else ""
        return f"http://{shown}:{self.port}{prefix}/{name}.ics"


def client_key(address: str) -> str:
    """Whose connection this is, for the per-client limit: an IPv4 address, an IPv6 /64
    (one host usually holds a whole /64), an IPv4-mapped IPv6 address as its IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def _host_name(host: str) -> str:
    """A host as a Host header names it: lower case, an IPv6 address in brackets."""
    host = host.strip("[]").lower().rstrip(".")
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_server(
    root: Path,
    *,
    host: str,
    port: int,
    token: str | None,
    options: FeedOptions,
    quiet: bool = False,
) -> FeedServer:
    """A bound server (not yet serving); refuses a non-loopback address without a token."""
    if token is not None and not TOKEN_RE.match(token):
        raise UsageError(
            "--token: use 8 to 128 letters, digits, '-' or '_' (e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`)"
        )
    if not is_loopback(host) and token is None:
        raise UsageError(
            f"--host {host} is reachable from other machines: add --token SECRET "
            "(or bind 127.0.0.1 and put a proxy with TLS in front)"
        )
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: use 1 to 65535 (0 picks a free port)")
    cache = FeedCache(root, options)
    try:
        return FeedServer((host.strip("[]"), port), cache, token, quiet)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run(server: FeedServer) -> None:
    """Serve until Ctrl-C (or SIGTERM), then close the socket and return normally."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
        # A parent that ignores SIGINT (a test runner's worker, a script) passes that on;
        # `serve` promises to stop on Ctrl-C, so take SIGINT back explicitly.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
