"""Customer satisfaction: survey answers logged as activities of kind ``survey`` with a
score from 0 to 10, and each client's latest score and its trend.

A survey about a deal or a contact counts for the client it belongs to, as every
activity does. The trend compares a client's latest score with the one before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tcrm.errors import Field, UsageError
from tcrm.model.records import SURVEY_KIND, Activity
from tcrm.services import hooks
from tcrm.services.activities import current_member, resolve_links
from tcrm.services.records import build, candidates, ensure_valid, local_now
from tcrm.store.where import like
from tcrm.store.workspace import Workspace

DEFAULT_QUESTION = "How likely are you to recommend us to a friend or colleague?"
NPS_FILTER = re.compile(r"^nps:(<=|>=|<|>|=)?\s*(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Satisfaction:
    """A client's latest survey score, the one before it, and when it was given."""

    score: int
    at: datetime
    previous: int | None = None

    @property
    def trend(self) -> str:
        """``up``, ``down``, ``same``, or ``new`` (a first answer)."""
        if self.previous is None:
            return "new"
        if self.score == self.previous:
            return "same"
        return "up" if self.score > self.previous else "down"


def log_survey(
    ws: Workspace,
    *,
    ref: str,
    score: int,
    now: datetime,
    question: str | None = None,
    answer: str | None = None,
    author: str | None = None,
    at: datetime | None = None,
) -> Activity:
    """``tcrm survey log REF --score N``: one survey activity, one commit."""
    now = local_now(ws, now)
    if question is not None and not question.strip():
        raise UsageError(Field("question"), " is empty; leave it out or give the question asked")
    if answer is not None and not answer.strip():
        raise UsageError(Field("answer"), " is empty; leave it out or give what they said")
    with ws.lock():
        links = resolve_links(ws, [ref])
        data = {
            "id": ws.new_id("activity"),
            "kind": SURVEY_KIND,
            "at": (at or now).replace(second=0, microsecond=0),
            "summary": (question or DEFAULT_QUESTION).strip(),
            "clients": links.clients,
            "deals": links.deals,
            "contacts": links.contacts,
            "author": author or current_member(ws),
            "score": score,
            "notes": answer.strip() if answer else None,
        }
        activity = build("activity", {k: v for k, v in data.items() if v is not None})
        assert isinstance(activity, Activity)
        ensure_valid(ws, activity)
        hooks.check_before(ws, "activity.logged", [activity])
        who = ", ".join(links.clients)
        with ws.transaction(f"activity {activity.id}: survey {who} {score}/10") as tx:
            tx.put(activity, create=True)
    hooks.fire(ws, "activity.logged", [activity])
    return activity


def surveys(ws: Workspace) -> list[Activity]:
    """Every survey answer (read through the index: only activities that say "survey")."""
    found = candidates(ws, "activity", like("text", "%survey%"))
    return [a for a in found if isinstance(a, Activity) and a.kind == SURVEY_KIND]


def client_satisfaction(ws: Workspace) -> dict[str, Satisfaction]:
    """Per client id, its latest score and trend."""
    return satisfaction_by_client(surveys(ws))


def satisfaction_by_client(answers: Iterable[Activity]) -> dict[str, Satisfaction]:
    """Per client, the latest score and the one before it (by time, then id)."""
    by_client: dict[str, list[Activity]] = {}
    for answer in answers:
        if answer.kind != SURVEY_KIND or answer.score is None:
            continue
        for client in answer.clients:
            by_client.setdefault(client, []).append(answer)
    out: dict[str, Satisfaction] = {}
    for client, found in by_client.items():
        found.sort(key=lambda a: (_instant(a.at), a.id))
        last = found[-1]
        previous = found[-2].score if len(found) > 1 else None
        assert last.score is not None
        out[client] = Satisfaction(last.score, last.at, previous)
    return out


def _instant(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.astimezone()


def split_nps_filters(filters: Sequence[str]) -> tuple[list[str], list[tuple[str, int]]]:
    """``nps:<7``-style terms (``<``, ``<=``, ``>``, ``>=``, ``=``) apart from the others."""
    rest: list[str] = []
    terms: list[tuple[str, int]] = []
    for text in filters:
        if not text.lower().startswith("nps:"):
            rest.append(text)
            continue
        found = NPS_FILTER.match(text.strip())
        if found is None or int(found.group(2)) > 10:
            raise UsageError(
                f"filter {text!r}: give a score from 0 to 10, e.g. nps:<7, nps:>=9 or nps:10"
            )
        terms.append((found.group(1) or "=", int(found.group(2))))
    return rest, terms


def nps_fits(score: int | None, terms: Sequence[tuple[str, int]]) -> bool:
    """Whether a latest score passes every ``nps:`` term (a client never surveyed passes
    none)."""
    if score is None:
        return not terms
    checks = {
        "<": score.__lt__,
        "<=": score.__le__,
        ">": score.__gt__,
        ">=": score.__ge__,
        "=": score.__eq__,
    }
    return all(checks[op](value) for op, value in terms)
