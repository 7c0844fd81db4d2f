"""Customer satisfaction: survey answers logged as activities of kind ``survey`` with a
score from 0 to 10, and each client's latest score and its trend.

A survey about a deal or a contact counts for the client it belongs to, as every
activity does. The scores and their trends are ``tcrm.model.satisfaction``'s (the early
path of ``tcrm client list`` reads them too), named here as well.
"""

from __future__ import annotations

from datetime import datetime

from tcrm.errors import Field, UsageError
from tcrm.model.records import SURVEY_KIND, Activity
from tcrm.model.satisfaction import NPS_FILTER as NPS_FILTER
from tcrm.model.satisfaction import Satisfaction as Satisfaction
from tcrm.model.satisfaction import nps_fits as nps_fits
from tcrm.model.satisfaction import satisfaction_by_client as satisfaction_by_client
from tcrm.model.satisfaction import split_nps_filters as split_nps_filters
from tcrm.services import hooks
from tcrm.services.activities import current_member, resolve_links
from tcrm.services.records import build, candidates, ensure_valid, local_now
from tcrm.store.where import like
from tcrm.store.workspace import Workspace

DEFAULT_QUESTION = "How likely are you to recommend us to a friend or colleague?"


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
