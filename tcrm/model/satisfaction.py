"""Each client's latest survey score and its trend, and the ``nps:`` filter terms.

Survey answers are activities of kind ``survey`` with a score from 0 to 10; the trend
compares a client's latest score with the one before it. Over anything with an answer's
fields (the pydantic ``Activity``, or what the early path of ``tcrm client list`` reads
from index rows, ``tcrm.services.client_selection``), so that both ways answer alike.
The standard library only, on purpose (tests/test_startup.py holds the early path to it).
"""

from __future__ import annotations

import re

from tcrm.errors import UsageError
from tcrm.model.value import Value

TYPE_CHECKING = False  # no typing at run time: a script's loop pays for it
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime
    from typing import Protocol

    class Answer(Protocol):
        """What the scores read of a survey answer."""

        @property
        def id(self) -> str: ...
        @property
        def kind(self) -> str: ...
        @property
        def at(self) -> datetime: ...
        @property
        def clients(self) -> list[str]: ...
        @property
        def score(self) -> int | None: ...


SURVEY_KIND = "survey"
"""The activity kind of a satisfaction survey's answer (``tcrm.model.records``')."""
NPS_FILTER = re.compile(r"^nps:(<=|>=|<|>|=)?\s*(\d{1,2})$", re.IGNORECASE)


class Satisfaction(Value):
    """A client's latest survey score, when it was given, and the score before it."""

    __match_args__ = ("score", "at", "previous")
    __slots__ = __match_args__

    def __init__(self, score: int, at: datetime, previous: int | None = None) -> None:
        self.score = score
        self.at = at
        self.previous = previous

    @property
    def trend(self) -> str:
        """``up``, ``down``, ``same``, or ``new`` (a first answer)."""
        if self.previous is None:
            return "new"
        if self.score == self.previous:
            return "same"
        return "up" if self.score > self.previous else "down"


def satisfaction_by_client(answers: Iterable[Answer]) -> dict[str, Satisfaction]:
    """Per client, the latest score and the one before it (by time, then id)."""
    by_client: dict[str, list[Answer]] = {}
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
