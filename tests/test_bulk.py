"""Bulk updates (``tcrm client|deal|task update``) and ``tcrm dedupe``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcrm.model.records import Client
from tcrm.services.bulk import (
    FUZZY_MIN_LENGTH,
    NAME_THRESHOLD,
    ClientIndex,
    _deletions,
    compact_key,
    name_key,
    name_similarity,
    stem_key,
    where_terms,
)
from tcrm.services.clients import phone_key
from tests.clitools import (
    assert_refused,
    changed_files,
    commit_count,
    git,
    last_message,
    load,
    run,
    snapshot,
    status_clean,
)


def ids_where(root: Path, folder: str, key: str, value: str) -> list[str]:
    return sorted(
        p.stem
        for p in (root / folder).glob("*.yaml")
        if load(root, f"{folder}/{p.name}").get(key) == value
    )


# --- bulk updates ----------------------------------------------------------------------


def test_client_update_adds_a_tag_to_every_match_in_one_commit(sample_ws: Path) -> None:
    referral = ids_where(sample_ws, "clients", "source", "referral")
    already = [i for i in referral if "vip" in load(sample_ws, f"clients/{i}.yaml").get("tags", [])]
    before = commit_count(sample_ws)
    result = run("client", "update", "--where", "source=referral", "--add-tag", "vip")
    assert result.code == 0, result.err
    changed = sorted(set(referral) - set(already))
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == (
        f"update: {len(changed)} clients (source=referral): add tag vip"
    )
    assert changed_files(sample_ws) == [f"clients/{i}.yaml" for i in changed]
    assert status_clean(sample_ws)
    for client_id in referral:
        assert "vip" in load(sample_ws, f"clients/{client_id}.yaml")["tags"]
    assert f"Updated {len(changed)} clients ({len(referral)} matched)." in result.err


def test_dry_run_shows_each_change_and_writes_nothing(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run(
        "client", "update", "--where", "source=referral", "--add-tag", "vip", "--dry-run", "--json"
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["dry_run"] is True and report["commit"] is None
    assert report["matched"] == len(ids_where(sample_ws, "clients", "source", "referral"))
    acme = next(c for c in report["changed"] if c["id"] == "acme-logistics")
    assert acme["fields"] == {
        "tags": {"before": ["enterprise", "retainer"], "after": ["enterprise", "retainer", "vip"]}
    }
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits
    table = run("client", "update", "--where", "source=referral", "--add-tag", "vip", "--dry-run")
    assert (
        "acme-logistics\tAcme Logistics\ttags\tenterprise, retainer\tenterprise, retainer, vip"
        in table.out
    )
    assert "Dry run: would change" in table.err


def test_deal_update_with_a_comparison_and_set(sample_ws: Path) -> None:
    result = run(
        "deal",
        "update",
        "--where",
        "amount>50000",
        "--where",
        "owner!=ben",
        "--set",
        "owner=ben",
        "--json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["changed"]
    for change in report["changed"]:
        assert change["fields"]["owner"]["after"] == "ben"
        deal = load(sample_ws, f"deals/{change['id']}.yaml")
        assert deal["owner"] == "ben" and float(deal["amount"]) > 50000
    n = len(report["changed"])
    assert (
        last_message(sample_ws)
        == f"update: {n} deal{'s' if n != 1 else ''} (amount>50000 owner!=ben): set owner=ben"
    )
    assert status_clean(sample_ws)


def test_task_update_sets_a_field_and_keeps_comments(sample_ws: Path) -> None:
    path = sample_ws / "tasks" / "t2ejnwdx.yaml"
    path.write_text("# keep me\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    git(sample_ws, "commit", "-qam", "test: a comment")
    result = run("task", "update", "--where", "id=t2ejnwdx", "--set", "priority=low")
    assert result.code == 0, result.err
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# keep me\n") and "priority: low" in text
    assert last_message(sample_ws) == "update: 1 task (id=t2ejnwdx): set priority=low"


def test_an_update_that_changes_nothing_makes_no_commit(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run("client", "update", "--where", "id=acme-logistics", "--add-tag", "enterprise")
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == commits
    assert "No changes (1 matched)." in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["client", "update", "--add-tag", "vip"], "give --where FILTER to choose the records"),
        (["client", "update", "--where", "source=referral"], "nothing to change"),
        (
            ["client", "update", "--where", "source=referral", "--add-tag", "warm"],
            "--add-tag 'warm' is not one of the tags",
        ),
        (
            ["client", "update", "--where", "colour=red", "--add-tag", "vip"],
            "client has no field 'colour'",
        ),
        (["deal", "update", "--all", "--set", "stage=proposal"], "stage cannot be set directly"),
        (["task", "update", "--all", "--add-tag", "vip"], "tasks have no tags"),
        (["client", "update", "--all", "--set", "owner=zoe"], "'zoe' is not a team member"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(
    sample_ws: Path, args: list[str], message: str
) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run(*args)
    assert_refused(sample_ws, result, before, commits)
    assert message in result.err


def test_where_terms_read_comparisons_as_filters() -> None:
    assert where_terms(
        ["source=webinar", "amount>5000", "tag!=vip", "owner:ann", "acme", "amount<=9"]
    ) == [
        "source:webinar",
        "amount.gt:5000",
        "tags.not:vip".replace("tags", "tag"),
        "owner:ann",
        "acme",
        "amount.le:9",
    ]


# --- duplicates ------------------------------------------------------------------------


def test_dedupe_finds_no_duplicates_in_the_sample(sample_ws: Path) -> None:
    result = run("dedupe", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == []


def test_dedupe_lists_pairs_with_reason_and_score(sample_ws: Path) -> None:
    files = {
        "clients/acme-logistic-gmbh.yaml": "name: ACME Logistic GmbH\n",
        "clients/pixel-forge.yaml": "name: Pixel Forge Games\n",
        "clients/jana-k.yaml": "name: JK Consulting\nemails:\n- Jana.Kruger@acme-logistics.de\n",
        "clients/hamburg-freight.yaml": "name: Hamburg Freight\nphones:\n- 040 38027228\n",
        "clients/nordlicht.yaml": "name: Nordlicht Versicherungen\n",
    }
    for rel, text in files.items():
        (sample_ws / rel).write_text(text, encoding="utf-8")
    git(sample_ws, "add", "-A")
    git(sample_ws, "commit", "-qm", "test: duplicates")
    commits = commit_count(sample_ws)
    result = run("dedupe", "--json")
    assert result.code == 0, result.err
    pairs = {(p["first"], p["second"]): (p["reason"], p["score"]) for p in json.loads(result.out)}
    assert pairs[("acme-logistic-gmbh", "acme-logistics")] == ("similar name", 0.96)
    assert pairs[("acme-logistics", "jana-k")] == ("same email jana.kruger@acme-logistics.de", 1.0)
    assert pairs[("acme-logistics", "hamburg-freight")] == ("same phone ...027228", 0.95)
    assert pairs[("pixel-forge", "pixelforge-games")] == ("same name", 1.0)
    assert pairs[("nordlicht", "nordlicht-versicherung-ag")][0] == "similar name"
    first = json.loads(result.out)[0]
    assert set(first) == {
        "first",
        "first_name",
        "second",
        "second_name",
        "reason",
        "score",
        "keep",
        "duplicate",
        "merge",
    }
    # merge's order is KEEP DUPLICATE: the client with the deals, tasks and activities
    # stays, the bare new one is merged into it (never the other way round)
    merges = {(p["first"], p["second"]): p["merge"] for p in json.loads(result.out)}
    assert merges[("acme-logistic-gmbh", "acme-logistics")] == (
        "tcrm client merge acme-logistics acme-logistic-gmbh"
    )
    assert merges[("pixel-forge", "pixelforge-games")] == (
        "tcrm client merge pixelforge-games pixel-forge"
    )
    assert merges[("acme-logistics", "jana-k")] == "tcrm client merge acme-logistics jana-k"
    assert commit_count(sample_ws) == commits  # a read command
    table = run("dedupe")
    assert "acme-logistic-gmbh (ACME Logistic GmbH)" in table.out
    assert table.out.startswith("score\tkeep\tduplicate\treason\n")
    assert "merge each with `tcrm client merge KEEP DUPLICATE`" in table.err
    # the printed command does what it says: the duplicate goes, the deals stay
    assert run(*merges[("pixel-forge", "pixelforge-games")].split()[1:]).code == 0
    assert (sample_ws / "clients" / "pixelforge-games.yaml").exists()
    assert not (sample_ws / "clients" / "pixel-forge.yaml").exists()


def test_bad_threshold_is_refused(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    assert_refused(sample_ws, run("dedupe", "--threshold", "2"), before, commits)


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("ACME Logistic GmbH", "Acme Logistics", True),
        ("Logistics Acme", "Acme Logistics", True),
        ("Mueller und Soehne", "Müller & Söhne GmbH", True),
        ("Nordlicht Versicherungen", "Nordlicht Versicherung AG", True),
        ("Pixel Forge", "Pixelforge", True),
        ("Studio A", "Studio B", False),
        ("Shop 12", "Shop 13", False),
        ("Acme Freight", "Acme Logistics", False),
        ("ABC", "ABD", False),
    ],
)
def test_near_identical_names(a: str, b: str, alike: bool) -> None:
    index = ClientIndex()
    index.add("b", Client(name=b))
    assert (index.find(Client(name=a)) is not None) is alike


def test_name_keys_and_phone_keys() -> None:
    assert name_key("Müller & Söhne GmbH") == "muller sohne"
    assert name_similarity("acme logistics", "logistics acme") == 1.0
    assert phone_key("+49 30 1234 5678") == phone_key("030 12345678") == "012345678"
    assert phone_key("+1 (555) 123-4567 x12") == "551234567"
    assert phone_key("112") is None


def test_domains_count_for_companies_not_free_mail() -> None:
    index = ClientIndex()
    index.add("a", Client(name="Acme", emails=["info@acme.example.org"]))
    index.add("g", Client(name="Someone", emails=["someone@gmail.com"]))
    same_domain = index.find(Client(name="Other Name", emails=["sales@acme.example.org"]))
    assert same_domain is not None and same_domain.reason == "same domain acme.example.org"
    assert index.find(Client(name="Third", emails=["third@gmail.com"])) is None
    person = Client(name="Jo Bloggs", type="person", emails=["jo@acme.example.org"])
    assert index.find(person) is None  # a person at a company is not that company


# long enough for one letter apart to be similar (difflib >= 0.9), close enough to collide
names = st.one_of(
    st.text("abc", min_size=1, max_size=4).map(lambda tail: f"Northwind {tail}"),
    st.text("abcde ", min_size=3, max_size=9).filter(str.strip),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(names, min_size=1, max_size=25), names)
def test_similar_names_are_every_pair_one_letter_or_an_ending_apart(
    names: list[str], query: str
) -> None:
    """The deletion index finds what comparing the query with every name finds: names
    sharing a one-letter deletion or a stem, similar enough, the same name aside."""
    index = ClientIndex()
    first: dict[str, tuple[str, int]] = {}
    for ref, name in enumerate(names):
        index.add(ref, Client(name=name))
        key = name_key(name)
        if key:
            first.setdefault(compact_key(key), (key, ref))
    key = name_key(query)
    compact = compact_key(key)
    expected = set()
    if key and len(compact) >= FUZZY_MIN_LENGTH:
        for other_compact, (other, ref) in first.items():
            near = bool(_deletions(compact) & _deletions(other_compact))
            if other_compact == compact or not (near or stem_key(key) == stem_key(other)):
                continue
            if name_similarity(key, other) >= NAME_THRESHOLD:
                expected.add(ref)
    found = {m.ref for m in index.matches(Client(name=query)) if m.reason == "similar name"}
    # a ref found for a stronger reason (same email, same name by words) is not "similar"
    stronger = {m.ref for m in index.matches(Client(name=query)) if m.reason != "similar name"}
    assert found == expected - stronger
