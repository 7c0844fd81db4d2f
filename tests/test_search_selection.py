"""``tcrm search``'s readers of index rows (tcrm.services.search_selection): a row the
models accept is read to the model's values, or refused (the normal path answers), and
the hits over the models and over index rows are the same (issue 23)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcrm.model.armor import ARMOR_BEGIN, ARMOR_END
from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.services import search_selection as sel
from tcrm.store import early_index


def _spaced(values: list[str]) -> st.SearchStrategy[str]:
    """Each value, or it with spaces, tabs, Unicode spaces or separators around it."""
    pads = st.sampled_from(["", "", "", " ", "\t", "\u3000", "\xa0", "\x1c", "\u2028", "\n"])
    return st.builds(lambda a, v, b: a + v + b, pads, st.sampled_from(values), pads)


CIPHER = f"{ARMOR_BEGIN}\nYWdlLWVuY3J5cHRpb24\n{ARMOR_END}\n"
TEXTS = ["Acme", "Café Müller", "ACME gmbh", "straße", "x" * 120, "a\nb acme", CIPHER, ""]
TEXT = st.one_of(_spaced(TEXTS), st.text(max_size=6))
EMAILS = ["ann@acme.example", "ANN@Acme.example", "not an email", "b@c.d"]
PHONES = ["+49 30 1234567", "030 1234", "(030) 12-34", "12", "12 ext 5", "abc"]
IDS = ["acme", "Acme", "a..b", "", "ann"]
MOMENTS = ["2026-11-20T09:50+01:00", "2026-11-20T09:50", "2026-11-20", "20261120T0950"]
LISTS = st.lists(TEXT, max_size=3)
NEEDLES = ["acme", "a", "müller", "MULLER", "030 1234", "4930", "ann@", "x", "straße", "a\u3000b"]

_PERSON = {
    "name": TEXT,
    "role": TEXT,
    "emails": st.lists(_spaced(EMAILS), max_size=2),
    "phones": st.lists(_spaced(PHONES), max_size=2),
    "notes": TEXT,
}
_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "client": {
        "name": TEXT,
        "emails": st.lists(_spaced(EMAILS), max_size=2),
        "phones": st.lists(_spaced(PHONES), max_size=2),
        "website": TEXT,
        "tags": LISTS,
        "address": TEXT,
        "notes": TEXT,
        "contacts": st.lists(st.fixed_dictionaries({}, optional=_PERSON), max_size=2),
    },
    "deal": {
        "title": TEXT,
        "client": _spaced(IDS),
        "pipeline": st.just("sales"),
        "stage": st.just("lead"),
        "tags": LISTS,
        "contacts": LISTS,
        "notes": TEXT,
    },
    "task": {"title": TEXT, "clients": st.lists(_spaced(IDS), max_size=2), "contacts": LISTS},
    "activity": {
        "kind": st.just("call"),
        "at": _spaced(MOMENTS),
        "summary": TEXT,
        "outcome": TEXT,
        "clients": st.lists(_spaced(IDS), max_size=2),
        "contacts": LISTS,
        "notes": TEXT,
    },
}
MODELS = {"client": Client, "deal": Deal, "task": Task, "activity": Activity}
REQUIRED = {
    "client": {"name"},
    "deal": {"title", "client", "pipeline", "stage"},
    "task": {"title"},
    "activity": {"kind", "at", "summary"},
}


@st.composite
def row_data(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A record file's data as the index keeps it (its YAML as JSON: texts and lists)."""
    fields = _FIELDS[kind].items()
    return {k: draw(v) for k, v in fields if k in REQUIRED[kind] or draw(st.booleans())}


def slim_row(kind: str, data: dict[str, Any]) -> tuple[str, str]:
    """The row the early path reads (``early_index.slim_rows``), from an index holding
    ``data`` as its one valid row of ``kind``."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE records (path, kind, id, ok, data)")
    conn.execute("INSERT INTO records VALUES ('p', ?, 'r1', 1, ?)", (kind, json.dumps(data)))
    [row] = early_index.slim_rows(conn, kind, sel.READERS[kind][1], None)
    conn.close()
    return row


def hits_of(kind: str, record: Any, needle: str) -> list[sel.Hit]:
    return sel.search_records(
        needle, **{f"{kind}s" if kind != "activity" else "activities": [record]}
    )


def check_row(kind: str, data: dict[str, Any]) -> None:
    try:
        model = parse_record(MODELS[kind], data, "r1")
    except ModelProblems:
        return  # not a valid row: the early path never reads it
    reader, _ = sel.READERS[kind]
    try:
        read = reader(*slim_row(kind, data))
    except ValueError:
        return  # left to the normal path
    assert read == reader("r1", json.dumps(data))
    for field in read.__match_args__:
        mine, theirs = getattr(read, field), getattr(model, field)
        if field == "contacts" and kind == "client":
            fields = sel.IndexedPerson.__match_args__
            theirs = [sel.IndexedPerson(*(getattr(p, f) for f in fields)) for p in theirs]
        assert mine == theirs, field
    for needle in NEEDLES:
        assert hits_of(kind, read, needle) == hits_of(kind, model, needle), needle


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=row_data("client"))
def test_a_client_row_is_read_as_the_model_reads_it(data: dict[str, Any]) -> None:
    check_row("client", data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=row_data("deal"))
def test_a_deal_row_is_read_as_the_model_reads_it(data: dict[str, Any]) -> None:
    check_row("deal", data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=row_data("task"))
def test_a_task_row_is_read_as_the_model_reads_it(data: dict[str, Any]) -> None:
    check_row("task", data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=row_data("activity"))
def test_an_activity_row_is_read_as_the_model_reads_it(data: dict[str, Any]) -> None:
    check_row("activity", data)


def test_the_plain_forms_are_read_not_refused() -> None:
    """What tcrm itself writes is read here (else the early path would never answer)."""
    client = {
        "name": "Café Müller",
        "emails": ["info@cafe.example"],
        "phones": ["+49 30 1234567"],
        "tags": ["vip"],
        "notes": "Met at the fair",
        "contacts": [{"name": "Ann", "role": "CEO", "emails": ["ann@cafe.example"]}],
    }
    read = sel.indexed_client(*slim_row("client", client))
    assert read.contacts[0].name == "Ann"
    assert hits_of("client", read, "030 1234")[0].field == "phones"
    activity = {"kind": "call", "at": "2026-11-20T09:50+01:00", "summary": "Called"}
    assert sel.indexed_activity(*slim_row("activity", activity)).summary == "Called"


def test_values_only_the_models_read_are_refused() -> None:
    """A value written another way than texts and lists of texts: the normal path."""
    for kind, data in [
        ("client", {"name": "A", "tags": "vip"}),
        ("client", {"name": "A", "contacts": [{"name": 5}]}),
        ("client", {"name": "A", "contacts": {"name": "B"}}),
        ("deal", {"title": "T", "client": 5}),
        ("activity", {"summary": "S", "at": 5}),
        ("task", {"title": ["T"]}),
    ]:
        try:
            sel.READERS[kind][0]("r1", json.dumps(data))
        except (ValueError, TypeError):
            continue
        raise AssertionError((kind, data))


def test_ranked_cuts_after_the_kinds() -> None:
    hits = [
        sel.Hit("deal", "d", "D", "title", "D", "exact"),
        sel.Hit("task", "t", "T", "title", "T", "exact"),
        sel.Hit("deal", "e", "E", "title", "E", "prefix"),
    ]
    result = sel.ranked("d", hits, {"deal"}, 1)
    assert (result.hits, result.total) == ([hits[0]], 2)
    assert sel.ranked("d", hits, {"deal", "task"}, 0).total == 3
