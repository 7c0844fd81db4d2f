"""Raw RFC 5322 bytes -> ``MailMessage``: what filing a message needs, read leniently.

Mail arrives from anywhere (mbox files, Maildir folders, IMAP), so every message is
untrusted and often broken: wrong MIME, 8-bit headers, charsets nobody knows, huge
attachments. ``parse_message`` never raises; it keeps what can be read. The stdlib
``email`` package (``policy.default``) does all the MIME work; ``mailbox`` reads mbox
files and Maildir folders (``read_messages``).

The direction (in/out) is not decided here: it depends on whose addresses are ours,
which the filing service knows.
"""

from __future__ import annotations

import contextlib
import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tcrm.model.limits import YEAR_MAX, YEAR_MIN

SYNTHETIC_DOMAIN = "tcrm.invalid"
SURVEY_HEADER = "X-Tcrm-Survey"
"""The header a survey message (``tcrm mail campaign --survey``) carries its question in."""
SURVEY_CHARS = 500
"""Synthetic Message-IDs (for mail without one) end in this reserved domain."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The date of a message with no readable date anywhere (deterministic, obviously odd)."""


class _Headers(HeaderRegistry):
    """``policy.default``'s header registry, making each header class once: the stock one
    makes a new class on every header it parses, a tenth of the time of parsing mail."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = policy.default.clone(header_factory=_Headers())
"""``policy.default`` (headers decoded, RFC 2047 words, addresses parsed), faster."""

_MSGID = re.compile(r"<([^<>\s]+)>")
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class MailMessage:
    """One message, as filing needs it. Addresses are lower-case ``local@domain``."""

    message_id: str | None
    """The Message-ID without its angle brackets, ``None`` when the message has none."""
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime
    """Aware; from the Date header, else the last Received header, else the fallback."""
    in_reply_to: str | None
    references: tuple[str, ...]
    attachments: tuple[tuple[str, int], ...]
    """(file name, size in bytes) of each attachment."""
    body: str
    """The text body; an HTML-only message's HTML converted to plain text."""
    fingerprint: str
    """A SHA-256 of the sender, recipients, subject, Date header and body text: the same
    message read from two places (INBOX and Sent, mbox and Maildir) hashes the same."""
    survey: str | None = None
    """The question of the ``X-Tcrm-Survey`` header (a survey we sent), else None."""

    @property
    def key(self) -> str:
        """The message's identity: its Message-ID, or a synthetic one from its hash."""
        return self.message_id or f"{self.fingerprint[:32]}@{SYNTHETIC_DOMAIN}"

    @property
    def thread(self) -> str:
        """The root of the message's thread: the first of References, else In-Reply-To,
        else the message itself."""
        if self.references:
            return self.references[0]
        return self.in_reply_to or self.key

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address on the message, sender first, without repeats."""
        return tuple(dict.fromkeys(a for a in (self.from_addr, *self.to, *self.cc) if a))


def parse_message(raw: bytes, fallback_date: datetime | None = None) -> MailMessage:
    """Read one message; never raises. ``fallback_date`` (aware) is used when the message
    has no readable Date or Received header (an mbox From_ line, a Maildir file's time)."""
    try:
        msg = BytesParser(policy=POLICY).parsebytes(raw)
    except Exception:  # the parser is meant to be lenient; never let one message stop a run
        msg = EmailMessage()
    return message_from(msg, fallback_date)


def message_from(msg: Message, fallback_date: datetime | None = None) -> MailMessage:
    """A ``MailMessage`` from an already parsed ``email`` message (policy.default)."""
    from_name, from_addr = _first_address(msg, "from")
    ids = _ids(_header(msg, "message-id"))
    to, cc = _addresses(msg, "to"), _addresses(msg, "cc")
    parts = _parts(msg)
    subject, body = _one_line(_header(msg, "subject")), _body(msg, parts)
    identity = "\0".join((from_addr, ",".join(to), ",".join(cc), subject))
    identity += "\0" + _one_line(_header(msg, "date")) + "\0" + body
    return MailMessage(
        message_id=ids[0] if ids else None,
        from_addr=from_addr,
        from_name=from_name,
        to=to,
        cc=cc,
        subject=subject,
        date=_date(msg, fallback_date),
        in_reply_to=next(iter(_ids(_header(msg, "in-reply-to"))), None),
        references=_ids(_header(msg, "references")),
        attachments=tuple(parts.attachments),
        body=body,
        fingerprint=hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest(),
        survey=_one_line(_header(msg, SURVEY_HEADER))[:SURVEY_CHARS] or None,
    )


# --- headers ---------------------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    """A header's decoded text, ``""`` when absent or unreadable."""
    try:
        value = msg.get(name)
    except Exception:
        value = None
    if value is None:
        try:
            raw = msg.get_all(name) if isinstance(msg, Message) else None
        except Exception:
            raw = None
        value = raw[0] if raw else None
    if value is None:
        return ""
    try:
        return str(value)
    except Exception:
        return ""


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", " ".join(text.split())).strip()


def _ids(text: str) -> tuple[str, ...]:
    """Message-IDs in a header, without brackets; a bare id without brackets too."""
    found = _MSGID.findall(text)
    if not found and text.strip() and " " not in text.strip():
        found = [text.strip()]
    return tuple(dict.fromkeys(i for i in found if len(i) <= 998))


def _pairs(msg: Message, name: str) -> list[tuple[str, str]]:
    """``(display name, address)`` of a header's addresses, lower-cased, valid ones only."""
    pairs: list[tuple[str, str]] = []
    try:
        header: Any = msg.get(name)
        addresses = list(header.addresses) if header is not None else []
        pairs = [(a.display_name, a.addr_spec) for a in addresses if isinstance(a, Address)]
    except Exception:
        pairs = getaddresses([_header(msg, name)])
    out = []
    for display, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and " " not in addr and len(addr) <= 320:
            out.append((_one_line(display), addr))
    return out


def _first_address(msg: Message, name: str) -> tuple[str, str]:
    pairs = _pairs(msg, name)
    return pairs[0] if pairs else ("", "")


def _addresses(msg: Message, name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addr for _, addr in _pairs(msg, name)))


def _date(msg: Message, fallback: datetime | None) -> datetime:
    received = [r.rpartition(";")[2] for r in _all(msg, "received")]
    for text in (_header(msg, "date"), *received):
        moment = _moment(text)
        if moment is not None:
            return moment
    return fallback if fallback is not None else EPOCH


def _all(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name) or []]
    except Exception:
        return []


def _moment(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": the time is UTC, the sender's zone unknown
        moment = moment.replace(tzinfo=UTC)
    if not YEAR_MIN <= moment.year <= YEAR_MAX:
        return None
    return moment


# --- body and attachments -------------------------------------------------------------


@dataclass
class _Parts:
    """What one walk over a message's parts finds: the first text and HTML bodies and
    every attachment (each part's headers are parsed once: they are slow to parse)."""

    plain: Message | None = None
    html: Message | None = None
    attachments: list[tuple[str, int]] = field(default_factory=list)


def _parts(msg: Message) -> _Parts:
    found = _Parts()
    try:
        parts = list(msg.walk())
    except Exception:
        return found
    for part in parts:
        try:
            if part.is_multipart():
                continue
            disposition = part.get_content_disposition()
            content_type = part.get_content_type()
            filename = part.get_filename() if disposition or content_type[:5] != "text/" else None
            if filename or disposition == "attachment":
                payload = part.get_payload(decode=True)
                size = len(payload) if isinstance(payload, bytes) else 0
                found.attachments.append((_one_line(str(filename or "")) or "(unnamed)", size))
            elif content_type == "text/plain" and found.plain is None:
                found.plain = part
            elif content_type == "text/html" and found.html is None:
                found.html = part
        except Exception:
            continue
    return found


def _body(msg: Message, parts: _Parts) -> str:
    """The text body: the text/plain part, else the text/html part as plain text."""
    for part, is_html in ((parts.plain, False), (parts.html, True)):
        if part is None:
            continue
        text = _text_of(part)
        if text is None:
            continue
        return _tidy(html_to_text(text) if is_html else text)
    try:  # a multipart without its boundary: its raw text is all there is to read
        payload = msg.get_payload()
    except Exception:
        payload = None
    return _tidy(payload) if isinstance(payload, str) else ""


def _text_of(part: Message) -> str | None:
    """A text part decoded by its charset; an unknown or wrong charset read as UTF-8
    with replacement characters (then Latin-1 never fails either)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        try:
            raw = part.get_payload()
        except Exception:
            return None
        return raw if isinstance(raw, str) else None
    charset = "utf-8"
    with contextlib.suppress(Exception):
        charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError, ValueError):
        return payload.decode("utf-8", errors="replace")


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _TextExtractor(HTMLParser):
    """HTML -> text: block elements become line breaks, scripts and styles vanish."""

    BLOCKS = frozenset(
        {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
    )
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    """Plain text of an HTML body, for the record (never rendered as HTML anywhere)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        pass
    lines = (line.strip() for line in "".join(extractor.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# --- mailboxes ---------------------------------------------------------------------------


def read_messages(path: Path) -> Iterator[MailMessage]:
    """Every message of a single ``.eml`` file, an mbox file or a Maildir folder.

    A Maildir is a folder with ``cur``/``new``; any other file is an mbox when it starts
    with a ``From `` line, else one message. Raises ``OSError`` for an unreadable path.
    """
    if path.is_dir():
        yield from _maildir(path)
        return
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        yield from _mbox(path)
    else:
        raw = path.read_bytes()
        yield parse_message(raw, _mtime(path))


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir(path: Path) -> Iterator[MailMessage]:
    if not is_maildir(path):
        raise NotADirectoryError(f"{path} is a folder but not a Maildir (no cur/ and new/)")
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            with box.get_file(key) as handle:
                raw = handle.read()
            message = parse_message(raw)
            if message.date is EPOCH:  # no date inside: the time it was delivered
                when = datetime.fromtimestamp(box.get_message(key).get_date(), UTC)
                message = replace(message, date=when)
        except (OSError, KeyError):
            continue  # gone between listing and reading (a running mail client)
        yield message


def _mbox(path: Path) -> Iterator[MailMessage]:
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for key in box.iterkeys():
            try:
                message = parse_message(box.get_bytes(key, from_=False))
                if message.date is EPOCH:  # no date inside: the From_ line's
                    from_line = box.get_file(key, from_=True).readline()
                    message = replace(message, date=_from_line_date(from_line) or EPOCH)
            except (OSError, KeyError):
                continue
            yield message
    finally:
        box.close()


def _from_line_date(line: bytes) -> datetime | None:
    """The date of an mbox ``From sender Sat Jan  3 01:05:34 2026`` line, taken as UTC."""
    words = line.decode("ascii", errors="replace").split()
    if len(words) < 7:
        return None
    try:
        moment = datetime.strptime(" ".join(words[-5:]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC)


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
