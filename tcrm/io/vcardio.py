"""vCard 3.0 and 4.0 (RFC 2426, RFC 6350): address books in and out.

Reading goes through vobject (folded lines, quoted and repeated parameters, escapes,
every version's quirks). Writing is by hand, a few lines of RFC 6350 syntax: escaped
text, CRLF, lines folded at 75 octets, so the output is checked in the tests by vobject
as a parser independent of the writer.

In: a card per company (``KIND:org``, Apple's ``X-ABShowAs:COMPANY``, or a card whose
name is its ``ORG``) or person; people with the same ``ORG`` become contact people of one
client; ``CATEGORIES`` are tags. Out: a card per client, then one per contact person
with the client as ``ORG``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tcrm.errors import UsageError
from tcrm.model.records import Client
from tcrm.model.types import slugify
from tcrm.services.exports import ExportData
from tcrm.services.imports import Source, SourceRow

HEADERS = [
    "id",
    "company",
    "full_name",
    "contact_role",
    "type",
    "emails",
    "phones",
    "website",
    "address",
    "tags",
    "status",
    "owner",
    "source",
    "region",
    "cadence_days",
    "created",
    "notes",
]
"""The fields a card is read into (see ``tcrm.services.imports``)."""

X_FIELDS = ("status", "owner", "source", "region", "cadence_days", "created")
"""Client fields without a vCard property, written as ``X-TCRM-STATUS`` and so on."""

UID_PREFIX = "urn:tcrm:client:"
VERSIONS = ("3.0", "4.0")


# --- reading ---------------------------------------------------------------------------


def _values(card: Any, name: str) -> list[Any]:
    return list(card.contents.get(name, []))


def _text(card: Any, name: str) -> str:
    for line in _values(card, name):
        value = line.value
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if str(v).strip())
        if str(value).strip():
            return str(value).strip()
    return ""


def _param(line: Any, name: str) -> list[str]:
    out: list[str] = []
    for value in line.params.get(name, []):
        out.extend(v.strip().lower() for v in str(value).split(","))
    return out


def _preferred_first(lines: list[Any]) -> list[Any]:
    """``TYPE=pref`` (3.0) or ``PREF=1`` (4.0) first, then file order."""

    def rank(line: Any) -> int:
        if "pref" in _param(line, "TYPE"):
            return 0
        pref = _param(line, "PREF")
        return int(pref[0]) if pref and pref[0].isdigit() else 101

    return sorted(lines, key=rank)


def _multi(card: Any, name: str) -> list[str]:
    out: list[str] = []
    for line in _preferred_first(_values(card, name)):
        value = str(line.value).strip()
        if name == "tel" and value.lower().startswith("tel:"):
            value = value[4:]
        if value and value not in out:
            out.append(value)
    return out


def _org(card: Any) -> str:
    for line in _values(card, "org"):
        value = line.value
        parts = value if isinstance(value, list) else [value]
        first = next((str(p).strip() for p in parts if str(p).strip()), "")
        if first:
            return first
    return ""


def _name(card: Any) -> str:
    full = _text(card, "fn")
    if full:
        return full
    for line in _values(card, "n"):
        n = line.value
        parts = [getattr(n, "prefix", ""), getattr(n, "given", ""), getattr(n, "additional", "")]
        parts += [getattr(n, "family", ""), getattr(n, "suffix", "")]
        words = [" ".join(p) if isinstance(p, list) else str(p) for p in parts]
        joined = " ".join(w.strip() for w in words if w and w.strip())
        if joined:
            return joined
    return ""


def _has_person_name(card: Any) -> bool:
    for line in _values(card, "n"):
        n = line.value
        if any(str(getattr(n, part, "") or "").strip() for part in ("given", "family")):
            return True
    return False


def _is_company(card: Any, org: str, name: str) -> bool:
    kind = _text(card, "kind").lower()
    if kind:
        return kind in ("org", "organization")
    if _text(card, "x-abshowas").upper() == "COMPANY":
        return True
    return bool(org) and (not name or name == org) and not _has_person_name(card)


def _address(card: Any) -> str:
    for line in _values(card, "adr"):
        a = line.value
        parts = [getattr(a, k, "") for k in ("box", "extended", "street", "city", "region")]
        parts += [getattr(a, "code", ""), getattr(a, "country", "")]
        words = [", ".join(p) if isinstance(p, list) else str(p) for p in parts]
        joined = ", ".join(w.strip() for w in words if w and w.strip())
        if joined:
            return joined
    return ""


def _categories(card: Any) -> list[str]:
    out: list[str] = []
    for line in _values(card, "categories"):
        value = line.value
        for item in value if isinstance(value, list) else str(value).split(","):
            if str(item).strip() and str(item).strip() not in out:
                out.append(str(item).strip())
    return out


def _cells(card: Any) -> dict[str, str | list[str]]:
    org, name = _org(card), _name(card)
    company = _is_company(card, org, name)
    cells: dict[str, str | list[str]] = {
        "company": org or (name if company else ""),
        "full_name": "" if company else name,
        "contact_role": _text(card, "title") or _text(card, "role"),
        "emails": _multi(card, "email"),
        "phones": _multi(card, "tel"),
        "website": _text(card, "url"),
        "address": _address(card),
        "tags": _categories(card),
        "notes": _text(card, "note"),
    }
    uid = _text(card, "uid")
    if company and uid.startswith(UID_PREFIX):
        cells["id"] = uid[len(UID_PREFIX) :]
    if company or not org:
        for key in X_FIELDS:
            cells[key] = _text(card, "x-tcrm-" + key.replace("_", "-"))
        if not company:
            cells["type"] = "person"
    return cells


def read_cards(path: Path, *, data: bytes | None = None) -> Source:
    """Every card of a ``.vcf`` file as a row of client fields (rows numbered by card)."""
    import vobject

    raw = path.read_bytes() if data is None else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not UTF-8 (byte {exc.start + 1})") from None
    source = Source(path.name, list(HEADERS), [], unit="card", column_word="field", canonical=True)
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # vobject raises several kinds of its own
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UsageError(f"{path.name} is not a readable vCard file: {reason}") from None
    number = 0
    for card in cards:
        if card.name.upper() != "VCARD":
            continue
        number += 1
        cells = _cells(card)
        source.rows.append(SourceRow(number, [cells.get(h, "") for h in HEADERS]))
    if not source.rows:
        raise UsageError(f"{path.name} holds no vCard (no BEGIN:VCARD ... END:VCARD)")
    return source


# --- writing ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """A TEXT value: backslash, comma, semicolon and line breaks escaped (RFC 6350 3.4)."""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets (continuations start with a space), never inside
    a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    out, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # inside a character
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(out) + "\r\n"


def _structured(*parts: str) -> str:
    return ";".join(escape(p) for p in parts)


def _n(name: str) -> str:
    words = name.split()
    if len(words) < 2:
        return _structured(name, "", "", "", "")
    return _structured(words[-1], " ".join(words[:-1]), "", "", "")


def _card(lines: list[str], version: str) -> Iterator[str]:
    yield "BEGIN:VCARD\r\n"
    yield f"VERSION:{version}\r\n"
    for line in lines:
        yield fold(line)
    yield "END:VCARD\r\n"


def _client_lines(client: Client, version: str) -> list[str]:
    company = client.type == "company"
    lines = []
    if version == "4.0":
        lines.append("KIND:" + ("org" if company else "individual"))
    lines.append("FN:" + escape(client.name))
    lines.append("N:" + (_structured("", "", "", "", "") if company else _n(client.name)))
    if company:
        lines.append("ORG:" + escape(client.name))
        if version == "3.0":
            lines.append("X-ABSHOWAS:COMPANY")
    lines += [f"EMAIL;TYPE=work:{escape(e)}" for e in client.emails]
    lines += [f"TEL;TYPE=work:{escape(p)}" for p in client.phones]
    if client.website:
        lines.append("URL:" + escape(client.website))
    if client.address:
        lines.append("ADR;TYPE=work:" + _structured("", "", client.address, "", "", "", ""))
    if client.tags:
        lines.append("CATEGORIES:" + ",".join(escape(t) for t in client.tags))
    if client.notes:
        lines.append("NOTE:" + escape(client.notes))
    data = client.to_data()
    for key in X_FIELDS:
        if key in data:
            lines.append(f"X-TCRM-{key.upper().replace('_', '-')}:{escape(str(data[key]))}")
    lines.append(f"UID:{UID_PREFIX}{client.id}")
    return lines


def _contact_lines(client: Client, index: int, version: str) -> list[str]:
    person = client.contacts[index]
    lines = []
    if version == "4.0":
        lines.append("KIND:individual")
    lines.append("FN:" + escape(person.name))
    lines.append("N:" + _n(person.name))
    lines.append("ORG:" + escape(client.name))
    if person.role:
        lines.append("TITLE:" + escape(person.role))
    lines += [f"EMAIL;TYPE=work:{escape(e)}" for e in person.emails]
    lines += [f"TEL;TYPE=work:{escape(p)}" for p in person.phones]
    if person.notes:
        lines.append("NOTE:" + escape(person.notes))
    slug = slugify(person.name) or str(index + 1)
    lines.append(f"UID:{UID_PREFIX}{client.id}:{slug}")
    return lines


def encode_clients(data: ExportData, *, version: str = "3.0") -> bytes:
    """``tcrm export vcard``: each client's card, then a card per contact person."""
    if version not in VERSIONS:
        raise UsageError(f"--vcard-version {version!r}: one of {', '.join(VERSIONS)}")
    out: list[str] = []
    for client in data.records:
        assert isinstance(client, Client)
        out.extend(_card(_client_lines(client, version), version))
        for i in range(len(client.contacts)):
            out.extend(_card(_contact_lines(client, i, version), version))
    return "".join(out).encode("utf-8")
