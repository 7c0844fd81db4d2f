"""Lead routing: who owns a new client or deal, by the ``routing:`` rules of tcrm.yaml.

The first rule whose ``match`` fits a new record without an owner decides: a member
(``owner``), the next one in turn (``round_robin``), or the one with the fewest open
deals (``least_open_deals``). An owner given explicitly is never overridden.

Round-robin turns are counted in ``routing.yaml``, committed with the record it routed,
so the team agrees on them. A sync merges that file by taking, per rule, the larger of
the two counts (:func:`merge_counts`); the next lead goes to ``members[count % len]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tcrm.errors import TcrmError
from tcrm.model.extra_fields import field_value
from tcrm.model.records import Client, Deal
from tcrm.model.settings import RoutingRule
from tcrm.services.records import all_records
from tcrm.store import links, yamlio
from tcrm.store.workspace import Workspace

STATE_FILE = "routing.yaml"
HEADER = (
    "# tcrm: round-robin turns of the routing rules in tcrm.yaml (see docs/automation.md).\n"
    "# A sync keeps, per rule, the larger count of the two sides. Written by tcrm.\n"
)
MAX_COUNT = 10**12


def _value(record: Client | Deal, client: Client | None, name: str) -> Any:
    key = "tags" if name == "tag" else name
    value = field_value(record, key)
    if value in (None, [], "") and client is not None and isinstance(record, Deal):
        value = field_value(client, key)  # a deal's region, industry...: its client's
    return value


def _fits(value: Any, wanted: str) -> bool:
    want = wanted.strip().casefold()
    if isinstance(value, list | tuple | set):
        return any(str(v).casefold() == want for v in value)
    return value is not None and str(value).casefold() == want


def matches(rule: RoutingRule, record: Client | Deal, client: Client | None = None) -> bool:
    """Whether ``rule`` routes ``record`` (a deal is matched with its client's fields too)."""
    if rule.records not in ("any", record.KIND):
        return False
    return all(_fits(_value(record, client, k), v) for k, v in rule.match.items())


def rule_key(rule: RoutingRule, position: int) -> str:
    """The rule's name in routing.yaml: its ``id``, else ``rule-N`` (1-based position)."""
    return rule.id or f"rule-{position}"


# --- the committed rotation ---------------------------------------------------------------


def parse_counts(data: bytes | str | None) -> dict[str, int]:
    """The counts of a routing.yaml; anything that is not a count is left out (the file
    arrives through git like any record)."""
    if not data:
        return {}
    try:
        loaded = yamlio.load_fast(data, STATE_FILE)
    except TcrmError:
        return {}
    raw = loaded.get("round_robin") if isinstance(loaded, dict) else None
    if not isinstance(raw, dict):
        return {}
    out: dict[str, int] = {}
    for key, value in raw.items():
        text = str(value)  # the fast loader reads every scalar as text
        if text.isascii() and text.isdigit() and int(text) <= MAX_COUNT:
            out[str(key)] = int(text)
    return out


def counts_text(counts: Mapping[str, int]) -> str:
    return HEADER + yamlio.dump_fast({"round_robin": dict(sorted(counts.items()))})


def merge_counts(mine: bytes, theirs: bytes) -> bytes:
    """routing.yaml merged: per rule the larger count of the two sides (the base does not
    matter), so both clones agree after a sync and a turn is never handed out twice by
    the same side."""
    a, b = parse_counts(mine), parse_counts(theirs)
    merged = {k: max(a.get(k, 0), b.get(k, 0)) for k in {*a, *b}}
    return counts_text(merged).encode("utf-8")


def read_counts(ws: Workspace) -> dict[str, int]:
    try:
        return parse_counts(links.read_bytes(ws.root, STATE_FILE, 1 << 20))
    except FileNotFoundError:
        return {}


# --- planning -----------------------------------------------------------------------------


@dataclass
class Plan:
    """Who gets each routed record, and the rotation after it."""

    owners: dict[str, str] = field(default_factory=dict)
    """record id -> member."""
    rules: dict[str, str] = field(default_factory=dict)
    """record id -> the rule that decided."""
    counts: dict[str, int] = field(default_factory=dict)
    changed: bool = False
    """Whether ``counts`` differ from routing.yaml (write it with the records)."""

    def state_text(self) -> str:
        return counts_text(self.counts)


def _open_deals(ws: Workspace) -> dict[str, int]:
    out: dict[str, int] = {}
    for deal in all_records(ws, "deal"):
        if isinstance(deal, Deal) and deal.status == "open" and deal.owner:
            out[deal.owner] = out.get(deal.owner, 0) + 1
    return out


def plan(
    ws: Workspace,
    records: Sequence[Client | Deal],
    clients: Mapping[str, Client] | None = None,
) -> Plan:
    """Route ``records`` in order (those with an owner are left as they are). ``clients``
    gives deals' clients by id (read from the workspace when missing)."""
    rules = ws.settings.routing
    result = Plan(counts=read_counts(ws))
    if not rules:
        return result
    open_deals: dict[str, int] | None = None
    for record in records:
        if record.owner:
            continue
        client = None
        if isinstance(record, Deal):
            client = (clients or {}).get(record.client) or _client(ws, record.client)
        for position, rule in enumerate(rules, 1):
            if not matches(rule, record, client):
                continue
            key = rule_key(rule, position)
            if rule.owner:
                member = rule.owner
            elif rule.round_robin:
                turn = result.counts.get(key, 0)
                member = rule.round_robin[turn % len(rule.round_robin)]
                result.counts[key] = turn + 1
                result.changed = True
            else:
                if open_deals is None:
                    open_deals = _open_deals(ws)
                members = rule.least_open_deals or []
                member = min(members, key=lambda m: (open_deals.get(m, 0), members.index(m)))
            result.owners[record.id] = member
            result.rules[record.id] = key
            if isinstance(record, Deal) and open_deals is not None:
                open_deals[member] = open_deals.get(member, 0) + 1
            break
    return result


def _client(ws: Workspace, client_id: str) -> Client | None:
    try:
        found = ws.get("client", client_id)
    except (TcrmError, KeyError, FileNotFoundError):
        return None
    return found if isinstance(found, Client) else None


def routed(records: Iterable[Client | Deal], routing: Plan) -> list[Client | Deal]:
    """``records`` with the owners ``routing`` gave them."""
    out: list[Client | Deal] = []
    for record in records:
        owner = routing.owners.get(record.id)
        out.append(record.model_copy(update={"owner": owner}) if owner else record)
    return out


def note(routing: Plan, record_id: str) -> str:
    """`` (owner ann by routing rule web)`` for a commit message; empty when not routed."""
    owner = routing.owners.get(record_id)
    return f" (owner {owner} by routing {routing.rules[record_id]})" if owner else ""
