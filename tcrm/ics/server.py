"""``tcrm ics serve``: the live calendar feed over HTTP, for apps that subscribe to a URL.

The standard library's threading HTTP server, answering exactly two kinds of path:
``/[TOKEN/]calendar.ics`` (everything) and ``/[TOKEN/]<member>.ics`` (one assignee's).
Paths are matched as raw text and never mapped to files, so no path, encoded or not,
reaches anything else. A feed is rendered again only when a cheap fingerprint of the
workspace (git HEAD, folder times) changes; concurrent requests share one rendering.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import signal
import socket
import sys
import threading
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
"""Connections served at once; more wait (briefly) to be accepted."""

CLIENT_TIMEOUT = 10
"""Seconds a connection may stay silent before it is closed (slow or idle clients)."""

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_PATH_RE = re.compile(
    r"^/(?:(?P<token>[A-Za-z0-9_-]{1,128})/)?(?P<name>[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?)\.ics$"
)


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


class FeedHandler(BaseHTTPRequestHandler):
    """GET and HEAD of a feed; every other path is 404, every other method 501."""

    server: FeedServer
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT

    def version_string(self) -> str:
        return "tcrm"

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
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(rendered.body)))
        self.send_header("Content-Disposition", f'inline; filename="{name}.ics"')
        self.send_header("X-Content-Type-Options", "nosniff")
        self._validators(rendered)
        self.end_headers()
        if with_body:
            self.wfile.write(rendered.body)

    def _validators(self, rendered: Rendered) -> None:
        self.send_header("ETag", rendered.etag)
        self.send_header("Last-Modified", format_datetime(rendered.modified, usegmt=True))
        self.send_header("Cache-Control", "no-cache")

    def _text(self, code: int, text: str, with_body: bool) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request on stderr, the token masked (logs get shared)."""
        line = format % args
        if self.server.token:
            line = line.replace(self.server.token, "***")
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {line}\n")


class FeedServer(ThreadingHTTPServer):
    """A thread per connection, at most ``MAX_CLIENTS`` at once, none outliving the server."""

    daemon_threads = True
    request_queue_size = MAX_CLIENTS

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
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        super().__init__(address, FeedHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=CLIENT_TIMEOUT):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, name: str = ALL) -> str:
        host = self.server_address[0]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        prefix = f"/{self.token}" if self.token else ""
        return f"http://{shown}:{self.port}{prefix}/{name}.ics"


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
