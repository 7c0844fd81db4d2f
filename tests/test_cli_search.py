"""``tcrm search`` (ranking, kinds, JSON) and ``tcrm help`` topics."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tcrm.model.records import Activity, Client, Contact, Deal, Task
from tcrm.model.when import HELP as DATES_HELP
from tcrm.services.query import HELP as FILTERS_HELP
from tcrm.services.search import search_records
from tests.clitools import (
    assert_refused,
    commit_count,
    run,
    snapshot,
)


def hits(*args: str) -> list[dict]:
    result = run("search", "--json", *args)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["count"] == len(data["hits"])
    return data["hits"]


# --- ranking, as a pure function ----------------------------------------------------


def client(record_id: str, name: str, **fields: object) -> Client:
    return Client(id=record_id, name=name, **fields)


def test_exact_then_prefix_then_word_then_substring() -> None:
    found = search_records(
        "nova",
        clients=[
            client("casanova", "Casanova"),
            client("bossa-nova", "Bossa Nova"),
            client("novalis", "Novalis GmbH"),
            client("nova", "NOVA"),
            client("other", "Other", notes="Nothing here"),
        ],
    )
    assert [(h.id, h.match) for h in found] == [
        ("nova", "exact"),
        ("novalis", "prefix"),
        ("bossa-nova", "word"),
        ("casanova", "substring"),
    ]


def test_names_rank_before_notes_and_kinds_break_ties() -> None:
    found = search_records(
        "atlas",
        clients=[client("zeta", "Zeta", notes="Met them at the Atlas fair"), client("a", "Atlas")],
        deals=[Deal(id="atlas", title="Atlas", client="a", pipeline="sales", stage="lead")],
        tasks=[Task(id="t2222222", title="Atlas")],
    )
    assert [(h.kind, h.id, h.field) for h in found] == [
        ("client", "a", "name"),
        ("deal", "atlas", "title"),
        ("task", "t2222222", "title"),
        ("client", "zeta", "notes"),
    ]
    assert found[-1].value == "Met them at the Atlas fair"


def test_contact_people_are_hits_of_their_client() -> None:
    acme = client(
        "acme",
        "Acme",
        contacts=[Contact(name="Jane Doe", role="CTO", emails=["jane@acme.example"])],
    )
    (hit,) = search_records("cto", clients=[acme])
    assert (hit.kind, hit.id, hit.field, hit.match) == ("contact", "acme", "role", "exact")
    assert hit.label == "Jane Doe (Acme)"
    assert hit.to_json()["clients"] == ["acme"]


def test_phones_match_on_their_digits() -> None:
    acme = client("acme", "Acme", phones=["+49 30 1234-567"])
    (hit,) = search_records("030 1234", clients=[acme])
    assert (hit.field, hit.match) == ("phones", "substring")
    assert [h.match for h in search_records("0049 30 1234567", clients=[acme])] == ["substring"]
    assert [h.match for h in search_records("+49301234567", clients=[acme])] == ["exact"]
    assert search_records("03 1234", clients=[acme]) == []


def test_newer_activities_first_when_equally_good() -> None:
    def activity(record_id: str, day: int) -> Activity:
        at = datetime.fromisoformat(f"2026-11-{day:02d}T10:00+01:00")
        return Activity(id=record_id, kind="call", at=at, summary="Call about the quote")

    found = search_records("quote", activities=[activity("a1", 2), activity("a3", 20)])
    assert [h.id for h in found] == ["a3", "a1"]


def test_long_notes_are_cut_around_the_match() -> None:
    notes = "x" * 200 + " the keyword is here " + "y" * 200
    (hit,) = search_records("keyword", clients=[client("c", "C", notes=notes)])
    assert "keyword" in hit.value
    assert hit.value.startswith("...") and hit.value.endswith("...")
    assert len(hit.value) <= 86


# --- tcrm search on the sample workspace -----------------------------------------------


def test_search_json_keys_and_ranking(sample_ws: Path) -> None:
    result = run("search", "Acme Logistics", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["query"] == "Acme Logistics"
    assert data["total"] >= data["count"] > 3
    first = data["hits"][0]
    assert first == {
        "kind": "client",
        "id": "acme-logistics",
        "label": "Acme Logistics",
        "field": "name",
        "value": "Acme Logistics",
        "match": "exact",
        "clients": ["acme-logistics"],
    }
    deals = [h for h in data["hits"] if h["kind"] == "deal"]
    assert deals and all(h["match"] == "prefix" and h["field"] == "title" for h in deals)
    order = ["exact", "prefix", "word", "substring"]
    ranks = [order.index(h["match"]) for h in data["hits"]]
    assert ranks == sorted(ranks)


def test_search_words_need_no_quotes_and_ignore_case(sample_ws: Path) -> None:
    assert hits("acme", "LOGISTICS")[0]["id"] == "acme-logistics"


def test_search_finds_contacts_emails_phones_and_notes(sample_ws: Path) -> None:
    (contact, *_) = hits("jana.kruger@acme-logistics.de")
    assert contact["kind"] == "contact"
    assert contact["id"] == "acme-logistics"
    assert contact["label"] == "Jana Krüger (Acme Logistics)"
    assert (contact["field"], contact["match"]) == ("emails", "exact")
    (phone,) = hits("040 3802 7228")
    assert (phone["id"], phone["field"]) == ("acme-logistics", "phones")
    notes = [h for h in hits("thursday mornings") if h["id"] == "acme-logistics"]
    assert notes and notes[0]["field"] == "notes"
    assert notes[0]["value"] == "Prefers calls on Tuesday or Thursday mornings."


def test_search_finds_tasks_and_activities(sample_ws: Path) -> None:
    found = hits("revised contract draft")
    kinds = {h["kind"] for h in found}
    assert kinds == {"activity"}
    assert all(h["field"] == "summary" for h in found)
    assert any(h["kind"] == "task" for h in hits("send the proposal"))


def test_search_kind(sample_ws: Path) -> None:
    assert {h["kind"] for h in hits("acme", "--kind", "deal")} == {"deal"}
    assert {h["kind"] for h in hits("acme", "--kind", "client")} == {"client", "contact"}
    assert {h["kind"] for h in hits("jana", "-k", "contact", "-k", "task")} == {"contact", "task"}


def test_search_limit(sample_ws: Path) -> None:
    everything = json.loads(run("search", "jana", "--json", "--limit", "0").out)
    assert everything["count"] == everything["total"] > 3
    some = json.loads(run("search", "jana", "--json", "--limit", "2").out)
    assert some["total"] == everything["total"]
    assert some["hits"] == everything["hits"][:2]
    assert "Showing the best 2 of" in run("search", "jana", "--limit", "2").err


def test_search_table_groups_by_kind(sample_ws: Path) -> None:
    result = run("search", "jana")
    lines = result.out.splitlines()
    assert lines[0] == "kind\tid\tname\tfield\tmatch"
    kinds = [line.split("\t")[0] for line in lines[1:]]
    assert kinds[0] == "contact"  # the group with the best hit comes first
    groups = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert len(groups) == len(set(groups))  # each kind's rows are together


def test_search_no_match(sample_ws: Path) -> None:
    result = run("search", "qwertyuiop")
    assert result.code == 0
    assert result.out == ""
    assert "No matches for 'qwertyuiop'" in result.err
    assert hits("qwertyuiop") == []


@pytest.mark.parametrize(
    "args", [[], ["  "], ["acme", "--kind", "company"], ["acme", "--limit", "-1"]]
)
def test_search_refuses_bad_input(sample_ws: Path, args: list[str]) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    assert_refused(sample_ws, run("search", *args), before, commits)


# --- tcrm help ----------------------------------------------------------------------


def test_help_lists_topics(sample_ws: Path) -> None:
    result = run("help")
    assert result.code == 0
    for topic in ("filters", "dates", "completions"):
        assert f"  {topic} " in result.out


def test_help_filters_prints_the_filter_language(sample_ws: Path) -> None:
    result = run("help", "filters")
    assert result.code == 0
    assert result.out.strip() == FILTERS_HELP.strip()


def test_help_dates_resolves_examples_against_now(sample_ws: Path) -> None:
    result = run("help", "dates")
    assert result.code == 0
    assert DATES_HELP in result.out
    assert "relative to now (Mon 2026-11-23 09:00)" in result.out
    lines = {
        line.split()[0] + " " + line.split()[1]: line
        for line in result.out.splitlines()[3:]
        if len(line.split()) > 2
    }
    assert "2026-11-24 10:00" in lines["tomorrow 10:00"]
    assert "2026-11-27" in next(
        line for line in result.out.splitlines() if line.startswith("  fri ")
    )
    assert "12:00 that day" in result.out


def test_help_works_outside_a_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = run("help", "dates")
    assert result.code == 0, result.err
    assert "Examples, relative to now" in result.out


def test_help_on_a_command(sample_ws: Path) -> None:
    result = run("help", "log")
    assert result.code == 0
    assert "Usage: tcrm log" in result.out
    assert "--next-due" in result.out
    assert "Usage: tcrm search" in run("help", "search").out


def test_help_completions(sample_ws: Path) -> None:
    result = run("help", "completions")
    assert "completions/tcrm.bash" in result.out
    assert "docs/completions.md" in result.out


def test_help_unknown_topic(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("help", "nosuch")
    assert_refused(sample_ws, result, before, commits)
    assert "topics: filters, dates, completions" in result.err
