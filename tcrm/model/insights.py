"""Facts derived from several records: last contact, rotting deals, clients to call.

Pure functions over loaded records, shared by the pipeline view, the planner and reports.
The keep-in-touch clock (last contact, clients to contact) is ``tcrm.model.keep_in_touch``'s,
named here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tcrm.model.flows import chance
from tcrm.model.keep_in_touch import DueContact as DueContact
from tcrm.model.keep_in_touch import clients_to_contact as clients_to_contact
from tcrm.model.keep_in_touch import counts_as_contact as counts_as_contact
from tcrm.model.keep_in_touch import last_activity_by as last_activity_by
from tcrm.model.moments import day_of as day_of
from tcrm.model.records import Activity, Deal, entered_stage_at
from tcrm.model.records import as_utc as _utc
from tcrm.model.settings import Settings


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
