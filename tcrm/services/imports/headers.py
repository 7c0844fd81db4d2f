"""The headers other tools write, as tables: which field each header names, per kind
(HubSpot, Pipedrive, Google Contacts and plain spreadsheets, any case and spacing)."""

from __future__ import annotations

import re
import unicodedata


def header_key(text: str) -> str:
    """``"E-mail 1 - Value"`` -> ``"e mail 1 value"``: headers compared without case,
    accents, punctuation or spacing."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", ascii_text.casefold()).split())


def snake(text: str) -> str:
    """An extra field's key from a header: ``"Annual Revenue"`` -> ``annual_revenue``."""
    key = "_".join(header_key(text).replace("%", " percent").split())
    if not key or not key[0].isalpha():
        key = f"column_{key}" if key else "column"
    return key


_COMMON: dict[str, tuple[str, ...]] = {
    "owner": ("owner", "owner id", "assigned to", "sales rep", "salesperson", "account manager"),
    "source": ("source", "lead source", "original source", "source of lead", "channel source"),
    "tags": ("tags", "tag", "labels", "label", "categories", "category"),
    "notes": ("notes", "note", "description", "comments", "comment", "remarks", "details"),
    "created": ("created", "created at", "created on", "create date", "date created", "add time"),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "client": {
        "company": (
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "organisation name",
            "organization 1 name",
            "account",
            "account name",
            "business",
            "business name",
            "customer",
            "customer name",
            "client",
            "client name",
            "firm",
            "person organization",
            "associated company",
        ),
        "name": ("name",),
        "full_name": ("full name", "display name", "file as"),
        "contact_name": (
            "contact",
            "contact name",
            "contact person",
            "person",
            "person name",
            "primary contact",
        ),
        "first_name": ("first name", "given name", "firstname", "forename", "vorname"),
        "middle_name": ("middle name", "additional name"),
        "last_name": ("last name", "family name", "surname", "lastname", "nachname"),
        "contact_role": (
            "job title",
            "title",
            "position",
            "role",
            "organization title",
            "organization 1 title",
            "organization job title",
        ),
        "type": ("type", "client type", "contact type", "kind"),
        "status": ("status", "client status", "account status"),
        "owner": (
            *_COMMON["owner"],
            "contact owner",
            "company owner",
            "account owner",
            "organization owner",
            "person owner",
        ),
        "source": _COMMON["source"],
        "region": ("region", "territory", "sales region", "area"),
        "tags": (
            *_COMMON["tags"],
            "group membership",
            "groups",
            "organization labels",
            "person labels",
            "organization label",
            "person label",
        ),
        "website": (
            "website",
            "web site",
            "web",
            "url",
            "homepage",
            "home page",
            "domain",
            "company domain name",
            "website url",
            "organization website",
        ),
        "emails": ("email", "emails", "e mail", "email address", "e mail address", "mail"),
        "phones": ("phone", "phones", "telephone", "tel", "phone number", "mobile", "cell"),
        "address": (
            "address",
            "street address",
            "full address",
            "postal address",
            "mailing address",
            "billing address",
            "organization address",
            "person address",
        ),
        "cadence_days": ("cadence", "cadence days", "contact every", "keep in touch days"),
        "contacts": ("contacts",),
        "created": (
            *_COMMON["created"],
            "organization add time",
            "person add time",
            "became a customer date",
        ),
        "notes": (*_COMMON["notes"], "organization notes", "person notes", "about"),
    },
    "deal": {
        "title": (
            "title",
            "deal",
            "deal name",
            "deal title",
            "name",
            "opportunity",
            "opportunity name",
            "subject",
        ),
        "client": (
            "client",
            "client id",
            "client name",
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "deal organization",
            "account",
            "account name",
            "customer",
            "associated company",
        ),
        "pipeline": ("pipeline", "deal pipeline", "sales pipeline"),
        "stage": ("stage", "deal stage", "sales stage", "phase", "stage name"),
        "status": ("status", "deal status", "state"),
        "amount": (
            "amount",
            "value",
            "deal value",
            "deal amount",
            "price",
            "total",
            "opportunity amount",
        ),
        "currency": ("currency", "deal currency", "value currency", "currency code"),
        "probability": (
            "probability",
            "probability %",
            "deal probability",
            "win probability",
            "deal stage probability",
        ),
        "close_date": (
            "close date",
            "closing date",
            "expected close date",
            "expected close",
            "deal expected close date",
            "close date expected",
        ),
        "owner": (*_COMMON["owner"], "deal owner", "user"),
        "source": (*_COMMON["source"], "deal source"),
        "tags": (*_COMMON["tags"], "deal label", "deal labels"),
        "contacts": (
            "contacts",
            "contact",
            "contact person",
            "contact name",
            "deal contact person",
            "person",
            "associated contact",
        ),
        "lost_reason": (
            "lost reason",
            "deal lost reason",
            "closed lost reason",
            "reason lost",
            "loss reason",
        ),
        "closed": (
            "closed",
            "closed date",
            "date closed",
            "close time",
            "won time",
            "lost time",
            "deal won time",
            "deal lost time",
        ),
        "created": (*_COMMON["created"], "deal created", "deal add time", "deal creation date"),
        "stage_history": ("stage history",),
        "notes": (*_COMMON["notes"], "deal notes", "deal description"),
    },
    "task": {
        "title": ("title", "task", "task title", "task name", "subject", "name", "to do", "todo"),
        "status": ("status", "task status", "done", "completed?"),
        "due": ("due", "due date", "deadline", "due on", "due at", "due date time"),
        "timezone": ("timezone", "time zone"),
        "duration": ("duration", "duration minutes", "minutes"),
        "reminders": ("reminders", "reminder", "remind"),
        "repeat": ("repeat", "recurrence", "rrule", "repeats"),
        "priority": ("priority", "task priority", "importance"),
        "assignee": (
            "assignee",
            "assigned to",
            "owner",
            "task owner",
            "responsible",
            "assigned user",
        ),
        "clients": (
            "clients",
            "client",
            "company",
            "organization",
            "account",
            "associated company",
        ),
        "deals": ("deals", "deal", "associated deal", "opportunity"),
        "contacts": ("contacts", "contact", "contact person", "person", "associated contact"),
        "series": ("series",),
        "created": _COMMON["created"],
        "completed": ("completed", "completed at", "completion date", "done at", "done time"),
        "notes": (*_COMMON["notes"], "task notes", "body"),
    },
    "activity": {
        "kind": ("kind", "type", "activity type", "channel", "activity"),
        "at": ("at", "date", "when", "time", "date time", "activity date", "timestamp", "done at"),
        "summary": ("summary", "subject", "title", "activity subject"),
        "clients": (
            "clients",
            "client",
            "company",
            "organization",
            "account",
            "associated company",
        ),
        "deals": ("deals", "deal", "associated deal", "opportunity"),
        "contacts": ("contacts", "contact", "contact person", "person", "associated contact"),
        "outcome": ("outcome", "result", "call outcome", "disposition"),
        "author": ("author", "owner", "user", "assigned to", "logged by", "by", "created by"),
        "notes": (*_COMMON["notes"], "activity note", "activity notes", "body"),
    },
}
"""Header keys (see ``header_key``) each field is recognised by, per kind. A field's own
name (``close_date``) always works too; Pipedrive's ``Deal - Title`` form is read as
``Title``."""

_KINDS_OF = r"(?:work |home |other |private |business |primary |main |office |mobile )?"
_PATTERNS: dict[str, list[tuple[re.Pattern[str], str | None]]] = {
    "client": [
        (re.compile(_KINDS_OF + r"e ?mail(?: address)?(?: \d+)?(?: value)?$"), "emails"),
        (re.compile(r"^e ?mail (?:work|home|other)$"), "emails"),
        (
            re.compile(
                _KINDS_OF + r"(?:phone|telephone|tel|mobile|cell)(?: number)?(?: \d+)?"
                r"(?: value)?$"
            ),
            "phones",
        ),
        (re.compile(r"^phone (?:work|home|mobile|other)$"), "phones"),
        (re.compile(r"^website(?: \d+)?(?: value)?$"), "website"),
        (re.compile(r"^address(?: \d+)? formatted$"), "address"),
        (
            re.compile(
                r"^(?:e ?mail|phone|website|address|relation|event|im|organization)"
                r"(?: \d+)? (?:label|type)$"
            ),
            None,
        ),
    ],
}
"""Numbered and typed columns (Google's ``E-mail 2 - Value``, Pipedrive's ``Person - Phone -
Work``); a pattern mapped to ``None`` names a column read as a label of another and left
out (reported as ignored)."""

_PREFIX = re.compile(r"^(deal|organization|organisation|person|activity|task|company|contact) ")
PSEUDO = {
    "client": (
        "company",
        "full_name",
        "contact_name",
        "first_name",
        "middle_name",
        "last_name",
        "contact_role",
    ),
}
"""Columns about a client's contact person rather than the client itself."""
