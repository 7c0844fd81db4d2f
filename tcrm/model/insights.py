"""Facts derived from several records: last contact, rotting deals, clients to call.

Pure functions over loaded records, shared by the pipeline view, the planner and reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tcrm.model.flows import chance
from tcrm.model.records import Activity, Client, Deal, entered_stage_at
from tcrm.model.records import as_utc as _utc
from tcrm.model.settings import Settings


def counts_as_contact(activity: Activity, mode: str = "both") -> bool:
    """Whether ``activity`` restarts the keep-in-touch clock: any activity does, but filed
    mail only in the directions ``mail.counts_as_contact`` (both, in, out, none) says."""
    mail = activity.mail
    if mail is None or mode == "both":
        return True
    return mail.direction == mode


def last_activity_by(
    activities: Iterable[Activity],
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """The latest activity time per client id and per deal id."""
    clients: dict[str, datetime] = {}
    deals: dict[str, datetime] = {}
    for activity in activities:
        for client_id in activity.clients:
            if client_id not in clients or activity.at > clients[client_id]:
                clients[client_id] = activity.at
        for deal_id in activity.deals:
            if deal_id not in deals or activity.at > deals[deal_id]:
                deals[deal_id] = activity.at
    return clients, deals


def last_touch(deal: Deal, last_activity: dict[str, datetime]) -> datetime | None:
    """The later of the deal's last stage change and its last logged activity."""
    moments = [m for m in (entered_stage_at(deal), last_activity.get(deal.id)) if m is not None]
    return max(moments, key=_utc) if moments else None


@dataclass(frozen=True)
class Rotting:
    deal: Deal
    idle_days: int
    threshold: int


def rotting_deals(
    deals: Iterable[Deal], activities: Iterable[Activity], settings: Settings, now: datetime
) -> list[Rotting]:
    """Open deals idle (no stage change, no activity) longer than their stage allows.

    Most idle first. A deal with no date at all to measure from is not rotting.
    """
    _, by_deal = last_activity_by(activities)
    out = []
    for deal in deals:
        if deal.status != "open":
            continue
        pipeline = settings.pipeline(deal.pipeline)
        stage = pipeline.stage(deal.stage) if pipeline else None
        if stage is None or stage.rotting_days is None:
            continue
        touched = last_touch(deal, by_deal)
        if touched is None:
            continue
        idle = (now - _utc(touched)).days
        if idle > stage.rotting_days:
            out.append(Rotting(deal, idle, stage.rotting_days))
    return sorted(out, key=lambda r: (-r.idle_days, r.deal.id))


def may_rot(deal: Deal, settings: Settings, now: datetime) -> bool:
    """Whether activity alone decides if ``deal`` rots: it is open, its stage can rot,
    and its stage change alone is old enough. Others need no activities looked up."""
    if deal.status != "open":
        return False
    pipeline = settings.pipeline(deal.pipeline)
    stage = pipeline.stage(deal.stage) if pipeline else None
    if stage is None or stage.rotting_days is None:
        return False
    entered = entered_stage_at(deal)
    return entered is None or (now - _utc(entered)).days > stage.rotting_days


@dataclass(frozen=True)
class DueContact:
    client: Client
    last_contact: datetime | None
    days_since: int | None
    cadence_days: int


def clients_to_contact(
    clients: Iterable[Client],
    activities: Iterable[Activity],
    now: datetime,
    mail_counts: str = "both",
) -> list[DueContact]:
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
        days = (now - _utc(since)).days if since else None
        if days is None or days > client.cadence_days:
            out.append(DueContact(client, last, days, client.cadence_days))
    return sorted(out, key=lambda d: (-(d.days_since or 10**6), d.client.id))


def probability(deal: Deal, settings: Settings) -> int:
    """The deal's own probability if set, else its stage's; won weighs 100, lost 0
    (``flows.chance``)."""
    pipeline = settings.pipeline(deal.pipeline)
    stage = pipeline.stage(deal.stage) if pipeline else None
    return chance(deal.status, deal.probability, stage.probability if stage else None)


def weighted(deal: Deal, settings: Settings) -> Decimal:
    if deal.amount is None:
        return Decimal(0)
    return deal.amount * probability(deal, settings) / 100


def day_of(moment: datetime, zone: str) -> date:
    """The calendar day of ``moment`` in time zone ``zone``."""
    from zoneinfo import ZoneInfo

    return _utc(moment).astimezone(ZoneInfo(zone)).date()
