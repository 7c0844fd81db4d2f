"""Fetching new messages from an IMAP server as raw bytes (stdlib ``imaplib``).

Incremental by the IMAP rules (RFC 3501 2.3.1.1): a folder's UIDs only grow while its
UIDVALIDITY stays the same, so "everything above the last UID seen" is what is new; a new
UIDVALIDITY means the old UIDs mean nothing and the folder is read again from the start.
Folders are opened read-only (EXAMINE) and bodies fetched with ``BODY.PEEK[]``: syncing
never marks a message as read.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tcrm.mail.accounts import MailTransportError, ServerUrl, plain_refusal
from tcrm.model.text import visible

TIMEOUT = 30.0
"""Seconds a server may stay silent before the sync gives up (cron must never hang)."""
BATCH = 50
"""UIDs fetched per FETCH command: bounded responses, few round trips."""
_UID = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True)
class FolderMark:
    """How far a folder has been read: its UIDVALIDITY and the highest UID fetched."""

    uidvalidity: int
    last_uid: int


@dataclass
class FolderFetch:
    """What one folder gave: its mark after this fetch, and the new messages' bytes."""

    folder: str
    mark: FolderMark
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    reset: bool = False
    """The folder's UIDVALIDITY changed since the last sync: it was read from the start."""


def _said(exc: BaseException) -> str:
    """What a server or the network said, on one visible line, bounded."""
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    line = " ".join(str(text).split()) or type(exc).__name__
    return visible(line[:200])


def tls_said(exc: ssl.SSLError) -> str:
    """Why TLS failed, in OpenSSL's words (``certificate verify failed: self-signed ...``)."""
    detail = getattr(exc, "verify_message", None)
    if detail:
        return visible(f"certificate verify failed: {detail}")
    return visible(str(exc.reason or _said(exc)))


def quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (imaplib sends arguments as given)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSession:
    """One logged-in connection; a context manager that always logs out."""

    def __init__(self, url: ServerUrl, secret: str, *, timeout: float = TIMEOUT) -> None:
        self.url = url
        self._conn = self._login(self._connect(timeout), secret)

    def _connect(self, timeout: float) -> imaplib.IMAP4:
        url = self.url
        context = ssl.create_default_context()
        try:
            if url.tls:
                return imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=timeout)
            conn = imaplib.IMAP4(url.host, url.port, timeout=timeout)
        except ssl.SSLError as exc:
            raise MailTransportError(f"TLS with {url.where()} failed: {tls_said(exc)}") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailTransportError(f"cannot reach {url.where()}: {_said(exc)}") from None
        try:
            if "STARTTLS" in conn.capabilities:
                conn.starttls(ssl_context=context)
            else:
                refusal = plain_refusal(url, conn.sock.getpeername()[0])
                if refusal:
                    raise MailTransportError(refusal)
        except ssl.SSLError as exc:
            _close(conn)
            raise MailTransportError(f"TLS with {url.where()} failed: {tls_said(exc)}") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            _close(conn)
            raise MailTransportError(f"{url.where()}: STARTTLS failed: {_said(exc)}") from None
        except MailTransportError:
            _close(conn)
            raise
        return conn

    def _login(self, conn: imaplib.IMAP4, secret: str) -> imaplib.IMAP4:
        user = self.url.user or ""
        try:
            conn.login(user, secret)
        except imaplib.IMAP4.error as exc:
            _close(conn)
            raise MailTransportError(
                f"{self.url.where()} refused the login of {visible(user)!r} "
                f"(wrong password?): {_said(exc)}"
            ) from None
        except OSError as exc:
            _close(conn)
            raise MailTransportError(f"{self.url.where()}: login failed: {_said(exc)}") from None
        return conn

    def __enter__(self) -> ImapSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self._conn.logout()

    def _ok(self, what: str, result: tuple[str, list[Any]]) -> list[Any]:
        status, data = result
        if status != "OK":
            said = data[0] if data else b""
            text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
            raise MailTransportError(f"{self.url.where()}: {what}: {visible(text[:200])}")
        return data

    def fetch_new(self, folder: str, since: FolderMark | None) -> FolderFetch:
        """The messages of ``folder`` above ``since``'s UID (all of them when the folder
        is new to us or its UIDVALIDITY changed), oldest first."""
        try:
            return self._fetch_new(folder, since)
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise MailTransportError(
                f"{self.url.where()}: connection lost reading {folder!r}: {_said(exc)}"
            ) from None
        except imaplib.IMAP4.error as exc:
            raise MailTransportError(
                f"{self.url.where()}: folder {visible(folder)!r}: {_said(exc)}"
            ) from None

    def _fetch_new(self, folder: str, since: FolderMark | None) -> FolderFetch:
        self._ok(f"cannot open folder {visible(folder)!r}", self._conn.select(quoted(folder), True))
        _, values = self._conn.response("UIDVALIDITY")
        if not values or not values[0]:
            raise MailTransportError(f"{self.url.where()}: {folder!r} has no UIDVALIDITY")
        uidvalidity = int(values[0])
        reset = since is not None and since.uidvalidity != uidvalidity
        last = since.last_uid if since is not None and not reset else 0
        found = self._ok("UID SEARCH", self._conn.uid("SEARCH", f"UID {last + 1}:*"))
        # "N:*" always matches the highest UID, even one below N: keep only the new ones
        uids = sorted(uid for uid in (int(u) for u in (found[0] or b"").split()) if uid > last)
        fetched = FolderFetch(folder, FolderMark(uidvalidity, last), reset=reset)
        for batch in _batches(uids, BATCH):
            for uid, raw in self._fetch(batch):
                fetched.messages.append((uid, raw))
        if uids:
            fetched.mark = FolderMark(uidvalidity, max(uids))
        fetched.messages.sort()
        return fetched

    def _fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        wanted = ",".join(str(u) for u in uids)
        data = self._ok("UID FETCH", self._conn.uid("FETCH", wanted, "(UID BODY.PEEK[])"))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                match = _UID.search(item[0])
                if match:
                    yield int(match.group(1)), bytes(item[1])


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error, AttributeError):
        conn.shutdown()


def fetch_folders(
    url: ServerUrl, secret: str, folders: dict[str, FolderMark | None]
) -> list[FolderFetch]:
    """Log in once and fetch what is new in each folder (in the order given)."""
    with ImapSession(url, secret) as session:
        return [session.fetch_new(name, mark) for name, mark in folders.items()]
