"""``tcrm client list``'s selection and rows, read from index rows (``client_selection``):
a client or activity read from a row is the model's, field for field, or left to the
models; the clock and the scores give the same rows over both (issue 23)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcrm.errors import UsageError
from tcrm.model import keep_in_touch
from tcrm.model.records import Activity, Client
from tcrm.model.satisfaction import satisfaction_by_client
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.services import client_selection
from tcrm.services.client_selection import Choice, IndexedActivity, IndexedClient
from tcrm.store import early_index


def _spaced(values: list[str]) -> st.SearchStrategy[str]:
    """Each value, or it with spaces, tabs, Unicode spaces or separators around it."""
    pads = st.sampled_from(["", "", "", "", " ", "\t", "\u3000", "\xa0", "\x1c", "\u2028"])
    return st.builds(lambda a, v, b: a + v + b, pads, st.sampled_from(values), pads)


NUMBERS = ["30", "30", "7", "07", "0", "10", "11", "3650", "3651", "+5", "5.0", "5_0", "٣", ""]
MOMENTS = [
    "2026-11-20T09:50+01:00",
    "2026-11-20T09:50",
    "2026-11-20 09:50:00+00:00",
    "2026-11-20T09:50:30.5-05:00",
    "2026-11-20",
    "9999-12-31T10:00",
    "20261120T0950",
]
IDS = ["acme", "acme", "ann", "Acme", "a..b", "x" * 70, ""]

_CLIENT: dict[str, st.SearchStrategy[object]] = {
    "status": _spaced(["active", "lead", "x"]),
    "owner": _spaced(IDS),
    "source": _spaced(["website", "event"]),
    "tags": st.lists(_spaced(["vip", "smb", " "]), max_size=3),
    "cadence_days": st.one_of(_spaced(NUMBERS), st.integers(-1, 4000), st.booleans()),
    "created": _spaced(MOMENTS),
}
_ACTIVITY: dict[str, st.SearchStrategy[object]] = {
    "clients": st.lists(_spaced(IDS), max_size=3),
    "deals": st.lists(_spaced(IDS), max_size=2),
    "mail": st.one_of(
        st.fixed_dictionaries(
            {"message_id": st.just("m1@x"), "direction": _spaced(["in", "out", "In"])}
        ),
        st.just("in"),
    ),
}
"""The strategies drawn from, built once (as tests/test_deal_selection.py's)."""


@st.composite
def client_data(draw: st.DrawFn) -> dict[str, object]:
    """A client file's data as the index keeps it (its YAML as JSON: texts and lists)."""
    data: dict[str, object] = {"name": draw(st.one_of(_spaced(["Acme"]), st.text(max_size=8)))}
    for key, values in _CLIENT.items():
        if draw(st.booleans()):
            data[key] = draw(values)
    return data


@st.composite
def activity_data(draw: st.DrawFn) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": draw(_spaced(["survey", "call", "Survey"])),
        "at": draw(_spaced(MOMENTS)),
        "summary": "How likely?",
    }
    if draw(st.booleans()):
        data["score"] = draw(st.one_of(_spaced(NUMBERS), st.integers(-1, 11)))
    for key, values in _ACTIVITY.items():
        if draw(st.booleans()):
            data[key] = draw(values)
    return data


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=client_data())
def test_a_client_row_is_read_as_the_model_reads_it(data: dict[str, object]) -> None:
    """A row the models accept (the index keeps those as valid) is read to the model's
    values, or refused (then the normal path answers)."""
    try:
        model = parse_record(Client, data, "c1")
    except ModelProblems:
        return  # not a valid row: the early path never reads it
    try:
        read = client_selection.indexed_client("c1", json.dumps(data))
    except ValueError:
        return
    fields = IndexedClient.__match_args__
    assert {f: getattr(read, f) for f in fields} == {f: getattr(model, f) for f in fields}
    assert client_selection.indexed_client(*slim_row(data)) == read


def slim_row(data: dict[str, object]) -> tuple[str, str]:
    """The client row the early path reads (``early_index.slim_rows``), from an index
    holding ``data`` as its one valid client row."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE records (path, kind, id, ok, data)")
    conn.execute(
        "INSERT INTO records VALUES ('clients/c1.yaml', 'client', 'c1', 1, ?)", (json.dumps(data),)
    )
    [row] = early_index.slim_rows(conn, "client", client_selection.CLIENT_FIELDS, None)
    conn.close()
    return row


def test_a_slim_row_holds_the_fields_read_with_a_value() -> None:
    data = {"name": "Acme", "status": None, "tags": ["vip"], "notes": "long " * 100}
    assert json.loads(slim_row(data)[1]) == {"name": "Acme", "tags": ["vip"]}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=activity_data())
def test_an_activity_row_is_read_as_the_model_reads_it(data: dict[str, object]) -> None:
    try:
        model = parse_record(Activity, data, "a1")
    except ModelProblems:
        return
    try:
        read = client_selection.indexed_activity("a1", json.dumps(data))
    except ValueError:
        return
    fields = [f for f in IndexedActivity.__match_args__ if f != "mail"]
    assert {f: getattr(read, f) for f in fields} == {f: getattr(model, f) for f in fields}
    assert (read.mail and read.mail.direction) == (model.mail and model.mail.direction)


def test_the_plain_forms_are_read_not_refused() -> None:
    """What tcrm writes (and people usually type) is read: not everything to the models."""
    client = {
        "name": " Acme ",
        "status": "active",
        "owner": "ann",
        "source": "event",
        "tags": ["vip", " smb"],
        "cadence_days": "30",
        "created": "2026-01-05T10:00+01:00",
    }
    read = client_selection.indexed_client("acme", json.dumps(client))
    created = datetime.fromisoformat("2026-01-05T10:00+01:00")
    assert read == IndexedClient(
        "acme", "Acme", "active", "ann", "event", ["vip", "smb"], 30, created
    )
    answer = {
        "kind": "survey",
        "at": "2026-11-20T09:50+01:00",
        "summary": "?",
        "clients": ["acme"],
        "score": "9",
        "mail": {"message_id": "m@x", "direction": "in"},
    }
    read_answer = client_selection.indexed_activity("a1", json.dumps(answer))
    assert (read_answer.score, read_answer.clients, read_answer.mail) == (
        9,
        ["acme"],
        client_selection.Mail("in"),
    )


@pytest.mark.parametrize(
    ("kind", "changed"),
    [
        ("client", {"cadence_days": "+30"}),
        ("client", {"cadence_days": " 30"}),
        ("client", {"cadence_days": True}),
        ("client", {"tags": "vip"}),
        ("client", {"created": 20261120}),
        ("activity", {"score": "7.0"}),
        ("activity", {"mail": {"direction": " in"}}),
        ("activity", {"clients": "acme"}),
    ],
)
def test_other_forms_are_left_to_the_models(kind: str, changed: dict[str, object]) -> None:
    if kind == "client":
        with pytest.raises(ValueError):
            client_selection.indexed_client("c", json.dumps({"name": "C", **changed}))
    else:
        data = {"kind": "survey", "at": "2026-11-20T09:50", "summary": "?", "score": "7"}
        with pytest.raises(ValueError):
            client_selection.indexed_activity("a", json.dumps({**data, **changed}))


NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _client(**fields: object) -> Client:
    made = parse_record(Client, {"name": "C", **fields}, str(fields.pop("id", "c")))
    assert isinstance(made, Client)
    return made


@settings(max_examples=100, deadline=None)
@given(
    cadences=st.lists(st.one_of(st.none(), st.integers(1, 60)), min_size=1, max_size=4),
    ages=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 90), st.sampled_from(["in", "out", None])),
        max_size=8,
    ),
    mode=st.sampled_from(["both", "in", "out", "none"]),
)
def test_the_rows_over_the_models_and_over_index_rows_are_the_same(
    cadences: list[int | None], ages: list[tuple[int, int, str | None]], mode: str
) -> None:
    """The clock over pydantic records and over the values read from their rows: the
    same last contact, the same clients due (``summaries``), whichever mail counts."""
    clients, rows = [], []
    for i, cadence in enumerate(cadences):
        data = {"name": f"C{i}", "created": "2026-09-01T10:00+02:00"}
        if cadence is not None:
            data["cadence_days"] = str(cadence)
        clients.append(parse_record(Client, data, f"c{i}"))
        rows.append(client_selection.indexed_client(f"c{i}", json.dumps(data)))
    models, read = [], []
    for n, (who, days, direction) in enumerate(ages):
        data = {
            "kind": "email" if direction else "call",
            "at": (NOW - timedelta(days=days)).isoformat(),
            "summary": "x",
            "clients": [f"c{who}"],
        }
        if direction:
            data["mail"] = {"message_id": f"m{n}@x", "direction": direction}
        models.append(parse_record(Activity, data, f"a{n}"))
        read.append(client_selection.indexed_activity(f"a{n}", json.dumps(data)))
    by_model = client_selection.summaries(clients, {"c0": 2}, models, {}, NOW, mode)
    by_rows = client_selection.summaries(rows, {"c0": 2}, read, {}, NOW, mode)
    assert [(s.client.id, s.open_deals, s.last_contact, s.contact_due) for s in by_model] == [
        (s.client.id, s.open_deals, s.last_contact, s.contact_due) for s in by_rows
    ]


def test_scores_and_trends() -> None:
    def answer(n: int, score: int, day: int, clients: list[str]) -> IndexedActivity:
        return IndexedActivity(f"a{n}", "survey", NOW + timedelta(days=day), clients, (), score)

    found = satisfaction_by_client(
        [answer(1, 6, 0, ["acme"]), answer(2, 9, 1, ["acme", "beta"]), answer(3, 9, 2, ["beta"])]
    )
    assert (found["acme"].score, found["acme"].previous, found["acme"].trend) == (9, 6, "up")
    assert (found["beta"].trend, found["beta"].at) == ("same", NOW + timedelta(days=2))


def test_keeps_and_the_options_checked() -> None:
    client = IndexedClient("acme", "Acme", "active", "ann", "event", ["vip"])
    assert client_selection.keeps(client, Choice(tag="vip", owner="ann"), {})
    assert not client_selection.keeps(client, Choice(nps=(("<", 7),)), {})  # never surveyed
    lists = {"tags": ["vip"], "sources": [], "client_statuses": ["active"]}
    client_selection.check_options(Choice(tag="vip", status="active", owner="zoe"), lists, [])
    with pytest.raises(UsageError, match="not one of the team members"):
        client_selection.check_options(Choice(owner="zoe"), lists, ["ann"])
    with pytest.raises(UsageError, match=r"none configured in tcrm.yaml lists.sources"):
        client_selection.check_options(Choice(source="event"), lists, ["ann"])


def test_a_time_without_an_offset_beside_one_with_an_offset_is_no_error() -> None:
    """A hand-written activity time without an offset, for the same client as one with
    an offset: compared as instants (``as_utc``), the later one is the last contact (this
    raised TypeError, and ``tcrm client list`` crashed with a traceback)."""
    naive = IndexedActivity("a1", "call", datetime(2026, 11, 1, 10), ["acme"])
    aware = IndexedActivity("a2", "call", datetime(2026, 11, 2, 10, tzinfo=UTC), ["acme"])
    for order in ([naive, aware], [aware, naive]):
        last, _ = keep_in_touch.last_activity_by(order)
        assert last == {"acme": aware.at}
    client = IndexedClient("acme", "Acme", cadence_days=30)
    [row] = client_selection.summaries([client], {}, [naive, aware], {}, NOW, "both")
    assert (row.last_contact, row.contact_due) == (aware.at, False)
