"""Which deals ``tcrm deal list`` shows, in what order, with what currency and probability:
worked out in one place.

``tcrm deal list`` is answered two ways: through Typer and the models
(``tcrm.services.deals.list_deals``), and before Typer and pydantic are imported, from a
fresh local index (``tcrm.cli.early_path``; scripts call it in loops). Both check the
options with ``check_stage`` and ``unknown_member``, ask ``window`` what to read from the
index, keep and order the deals with ``select`` and make each row with ``listed``, over
anything with a deal's fields (the pydantic ``Deal``, or ``IndexedDeal`` read from an
index row). The pipelines are ``tcrm.model.flows``'. The standard library only, on
purpose: the early path imports this module.
"""

from __future__ import annotations

import json
import re

from tcrm.errors import UsageError
from tcrm.model.flows import Flows
from tcrm.model.moments import parse_date
from tcrm.model.money import check_currency, parse_amount
from tcrm.model.value import Value
from tcrm.model.whitespace import optional_text, required_text
from tcrm.store import early_index
from tcrm.store.where import all_of, among, eq

TYPE_CHECKING = False  # no typing, no dataclasses at run time: a script's loop pays them
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from datetime import date
    from decimal import Decimal
    from typing import Any, Protocol, TypeVar

    from tcrm.model.flows import Staged
    from tcrm.store.where import Column, Where

    class ListedDeal(Staged, Protocol):
        """What the selection, the order and the rows read of a deal: what the order and
        the probability read (``Staged``), and the cells."""

        @property
        def title(self) -> str: ...
        @property
        def client(self) -> str: ...
        @property
        def amount(self) -> Decimal | None: ...
        @property
        def currency(self) -> str | None: ...
        @property
        def close_date(self) -> date | None: ...
        @property
        def owner(self) -> str | None: ...

    class ListedRow(Protocol):
        """What the table shows of a row (``Listed``, ``deals.DealRow``)."""

        @property
        def deal(self) -> ListedDeal: ...
        @property
        def currency(self) -> str: ...
        @property
        def probability(self) -> int: ...

    D = TypeVar("D", bound=ListedDeal)

STATUSES = ("open", "won", "lost")


class Choice(Value):
    """The options of ``tcrm deal list``, checked: the statuses to show, a pipeline and a
    stage the settings have, an owner on the team, the client's id."""

    __match_args__ = ("statuses", "pipeline", "stage", "owner", "client")
    __slots__ = __match_args__

    def __init__(
        self,
        statuses: Sequence[str] = ("open",),
        pipeline: str | None = None,
        stage: str | None = None,
        owner: str | None = None,
        client: str | None = None,
    ) -> None:
        self.statuses = tuple(statuses)
        self.pipeline = pipeline
        self.stage = stage
        self.owner = owner
        self.client = client


def asked_statuses(open_: bool, won: bool, lost: bool, all_: bool) -> list[str] | None:
    """The statuses ``--open``, ``--won``, ``--lost`` and ``--all`` ask for; ``None``
    when none is given."""
    if all_:
        return list(STATUSES)
    return [s for s, on in (("open", open_), ("won", won), ("lost", lost)) if on] or None


def statuses_shown(asked: Sequence[str] | None, status_named: bool) -> Sequence[str]:
    """The statuses listed: those asked for; unasked, every status when a filter term
    names the status (``status:won``: the term alone decides), else the open deals."""
    if asked is not None:
        return asked
    return STATUSES if status_named else ("open",)


def check_stage(flows: Flows, pipeline: str | None, stage: str) -> None:
    """``UsageError`` when ``stage`` is not one of the pipeline's (of any pipeline, with
    none given)."""
    stages = flows.stage_ids(pipeline)
    if stage not in stages:
        where = f"pipeline {pipeline!r}" if pipeline else "any pipeline"
        raise UsageError(
            f"unknown stage {stage!r} in {where} (stages: {', '.join(dict.fromkeys(stages))})"
        )


def unknown_member(owner: str | None, team: Collection[str]) -> bool:
    """Whether ``--owner`` names someone a team (when there is one) lacks."""
    return bool(owner and team and owner not in team)


def window(chosen: Choice) -> Where:
    """The index condition that keeps exactly the deals ``keeps`` may keep."""
    conditions = [among("status", chosen.statuses)]
    named: tuple[tuple[Column, str | None], ...] = (
        ("pipeline", chosen.pipeline),
        ("stage", chosen.stage),
        ("owner", chosen.owner),
        ("client", chosen.client),
    )
    conditions.extend(eq(column, value) for column, value in named if value)
    found = all_of(*conditions)
    assert found is not None  # the statuses' condition at least
    return found


def keeps(deal: ListedDeal, chosen: Choice) -> bool:
    return (
        deal.status in chosen.statuses
        and (not chosen.pipeline or deal.pipeline == chosen.pipeline)
        and (not chosen.stage or deal.stage == chosen.stage)
        and (not chosen.owner or deal.owner == chosen.owner)
        and (chosen.client is None or deal.client == chosen.client)
    )


def select(deals: Iterable[D], chosen: Choice, flows: Flows) -> list[D]:
    """The deals ``chosen`` keeps, in pipeline and stage order (``Flows.order_key``)."""
    return sorted((d for d in deals if keeps(d, chosen)), key=flows.order_key)


class Listed(Value):
    """A row of the deal list: the deal, its currency (the workspace's when it names
    none) and its probability."""

    __match_args__ = ("deal", "currency", "probability")
    __slots__ = __match_args__

    def __init__(self, deal: ListedDeal, currency: str, probability: int) -> None:
        self.deal = deal
        self.currency = currency
        self.probability = probability


def listed(deal: ListedDeal, flows: Flows, currency: str) -> Listed:
    """The row of ``deal``, in a workspace whose currency is ``currency``."""
    return Listed(deal, deal.currency or currency, flows.probability(deal))


# --- the early path: from the index's rows, without the models ------------------------


class IndexedDeal(Value):
    """The fields of a deal the list reads, from a valid row of the index."""

    __match_args__ = (
        "id",
        "title",
        "client",
        "pipeline",
        "stage",
        "status",
        "amount",
        "currency",
        "probability",
        "close_date",
        "owner",
    )
    __slots__ = __match_args__

    def __init__(
        self,
        id: str,
        title: str,
        client: str,
        pipeline: str,
        stage: str,
        status: str = "open",
        amount: Decimal | None = None,
        currency: str | None = None,
        probability: int | None = None,
        close_date: date | None = None,
        owner: str | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.client = client
        self.pipeline = pipeline
        self.stage = stage
        self.status = status
        self.amount = amount
        self.currency = currency
        self.probability = probability
        self.close_date = close_date
        self.owner = owner


_PERCENT = re.compile(r"[0-9]{1,3}")


def _str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(value)
    return value


def _percent(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and _PERCENT.fullmatch(value):
        return int(value)
    raise ValueError(value)  # a number written another way pydantic reads: the models'


def indexed_deal(record_id: str, data: str) -> IndexedDeal:
    """A valid deal row's data as the list reads it; ``ValueError`` for any value not
    written the way this reader knows for certain the model reads it too."""
    raw = json.loads(data)
    if not isinstance(raw, dict):
        raise ValueError(record_id)
    status = raw.get("status", "open")
    if status not in STATUSES:
        raise ValueError(record_id)
    amount, currency = _str(raw.get("amount")), _str(raw.get("currency"))
    close = _str(raw.get("close_date"))
    return IndexedDeal(
        id=record_id,
        title=required_text(raw.get("title")),
        client=required_text(raw.get("client")),
        pipeline=required_text(raw.get("pipeline")),
        stage=required_text(raw.get("stage")),
        status=status,
        amount=None if amount is None else parse_amount(amount),
        currency=None if currency is None else check_currency(currency),
        probability=_percent(raw.get("probability")),
        close_date=None if close is None else parse_date(close),
        owner=optional_text(raw.get("owner")),
    )


class Asked(Value):
    """The options of ``tcrm deal list`` as given, before they are checked."""

    __match_args__ = ("pipeline", "stage", "owner", "client", "open_", "won", "lost", "all_")
    __slots__ = __match_args__

    def __init__(
        self,
        pipeline: str | None = None,
        stage: str | None = None,
        owner: str | None = None,
        client: str | None = None,
        open_: bool = False,
        won: bool = False,
        lost: bool = False,
        all_: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.stage = stage
        self.owner = owner
        self.client = client
        self.open_ = open_
        self.won = won
        self.lost = lost
        self.all_ = all_


def from_index(
    conn: early_index.Connection, settings: Mapping[str, Any], asked: Asked
) -> list[Listed] | None:
    """``tcrm deal list``'s rows from a fresh index (``early_index.open_fresh``) and the
    settings it keeps, as ``deals.list_deals`` makes them; ``None`` when the normal path
    must answer: something to report (a pipeline, stage or owner the settings lack, a
    client given other than by its id, a file of the kinds read that is not valid), or a
    deal's fields not written in the plain way ``indexed_deal`` reads."""
    members = early_index.kept_members(settings)
    flows = Flows.kept(settings.get("pipelines"))
    currency = settings.get("currency")
    if members is None or flows is None or not isinstance(currency, str):
        return None
    if settings.get("conflicts") != 0:
        return None
    if asked.pipeline is not None and not flows.has(asked.pipeline):
        return None
    try:
        if asked.stage is not None:
            check_stage(flows, asked.pipeline, asked.stage)
    except UsageError:
        return None
    if unknown_member(asked.owner, members):
        return None
    # the command reads deals, and activities to tell which deals rot: it warns of a
    # file of either kind it could not read
    if early_index.holds_broken(conn, "deal") or early_index.holds_broken(conn, "activity"):
        return None
    client = None
    if asked.client is not None:
        client = early_index.sole_id(conn, "client", asked.client)
        if client is None:
            return None
    statuses = statuses_shown(asked_statuses(asked.open_, asked.won, asked.lost, asked.all_), False)
    chosen = Choice(statuses, asked.pipeline, asked.stage, asked.owner, client)
    rows = early_index.valid_rows(conn, "deal", window(chosen))
    try:
        deals = [indexed_deal(i, d) for i, d in rows]
    except (ValueError, TypeError, KeyError):
        return None
    return [listed(d, flows, currency) for d in select(deals, chosen, flows)]
