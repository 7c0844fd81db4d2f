"""The keep-in-touch clock: which activities count as contact, each client's last contact,
and the clients whose cadence has run out.

Over anything with the fields these read (the pydantic ``Client`` and ``Activity``, or
the values the early path of ``tcrm client list`` reads from index rows,
``tcrm.services.client_selection``), so that both ways answer with the same rules. The
standard library only, on purpose (tests/test_startup.py holds the early path to that).
"""

from __future__ import annotations

from tcrm.model.moments import as_utc
from tcrm.model.value import Holding

TYPE_CHECKING = False  # no typing at run time: a script's loop pays for it
if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from typing import Protocol

    class Direction(Protocol):
        @property
        def direction(self) -> str: ...

    class Contacting(Protocol):
        """What the clock reads of an activity."""

        @property
        def at(self) -> datetime: ...
        @property
        def clients(self) -> list[str]: ...
        @property
        def deals(self) -> list[str]: ...
        @property
        def mail(self) -> Direction | None: ...

    class Cadenced(Protocol):
        """What the clock reads of a client."""

        @property
        def id(self) -> str: ...
        @property
        def cadence_days(self) -> int | None: ...
        @property
        def created(self) -> datetime | None: ...

    from typing import TypeVar

    C = TypeVar("C", bound=Cadenced)
else:
    C = None


def counts_as_contact(activity: Contacting, mode: str = "both") -> bool:
    """Whether ``activity`` restarts the keep-in-touch clock: any activity does, but filed
    mail only in the directions ``mail.counts_as_contact`` (both, in, out, none) says."""
    mail = activity.mail
    if mail is None or mode == "both":
        return True
    return mail.direction == mode


def last_activity_by(
    activities: Iterable[Contacting],
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """The latest activity time per client id and per deal id. Times are compared as
    instants (``as_utc``): a hand-written time without an offset beside one with an
    offset is no error."""
    clients: dict[str, datetime] = {}
    deals: dict[str, datetime] = {}
    for activity in activities:
        at = as_utc(activity.at)
        for client_id in activity.clients:
            if client_id not in clients or at > as_utc(clients[client_id]):
                clients[client_id] = activity.at
        for deal_id in activity.deals:
            if deal_id not in deals or at > as_utc(deals[deal_id]):
                deals[deal_id] = activity.at
    return clients, deals


class DueContact(Holding[C]):
    """A client whose cadence has run out: when it was last contacted (``None``: never),
    how many days ago (``None``: never, and no creation date), and its cadence."""

    __match_args__ = ("client", "last_contact", "days_since", "cadence_days")
    __slots__ = __match_args__

    def __init__(
        self,
        client: C,
        last_contact: datetime | None,
        days_since: int | None,
        cadence_days: int,
    ) -> None:
        self.client = client
        self.last_contact = last_contact
        self.days_since = days_since
        self.cadence_days = cadence_days


def clients_to_contact(
    clients: Iterable[C],
    activities: Iterable[Contacting],
    now: datetime,
    mail_counts: str = "both",
) -> list[DueContact[C]]:
    """Clients with a keep-in-touch cadence whose last activity is older than it.

    A client never contacted counts from its creation date; without one it is due now.
    Filed mail counts as contact as ``mail_counts`` (``mail.counts_as_contact``) says.
    """
    by_client, _ = last_activity_by(a for a in activities if counts_as_contact(a, mail_counts))
    out = []
    for client in clients:
        if client.cadence_days is None:
            continue
        last = by_client.get(client.id)
        since = last or client.created
        days = (now - as_utc(since)).days if since else None
        if days is None or days > client.cadence_days:
            out.append(DueContact(client, last, days, client.cadence_days))
    return sorted(out, key=lambda d: (-(d.days_since or 10**6), d.client.id))
