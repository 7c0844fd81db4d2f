"""Filed mail grouped into threads, for the client card (CLI and TUI).

Kept apart from ``services.mail`` so that showing a card never imports the mail parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tcrm.model.records import Activity, as_utc

CARD_THREADS = 10
"""How many threads a client card shows, the most recently active first."""


@dataclass(frozen=True)
class MailThread:
    """The messages of one thread filed to a card, oldest first."""

    thread: str
    messages: tuple[Activity, ...]

    @property
    def subject(self) -> str:
        """The subject the thread started with."""
        return self.messages[0].summary

    @property
    def last(self) -> datetime:
        return self.messages[-1].at


def mail_threads(activities: Iterable[Activity], limit: int | None = None) -> list[MailThread]:
    """The mail among ``activities`` by thread (In-Reply-To/References root), the thread
    with the newest message first; each message once, however many clients it names."""
    threads: dict[str, dict[str, Activity]] = {}
    for activity in activities:
        mail = activity.mail
        if mail is None:
            continue
        messages = threads.setdefault(mail.thread or mail.message_id, {})
        messages.setdefault(mail.message_id, activity)
    out = [
        MailThread(key, tuple(sorted(found.values(), key=lambda a: (as_utc(a.at), a.id))))
        for key, found in threads.items()
    ]
    out.sort(key=lambda t: (as_utc(t.last), t.thread), reverse=True)
    return out[:limit] if limit is not None else out


def arrow(activity: Activity) -> str:
    """``←`` received, ``→`` sent, ``""`` for anything but filed mail."""
    if activity.mail is None:
        return ""
    return "→" if activity.mail.direction == "out" else "←"
