"""Lead routing: owners of new clients and deals by tcrm.yaml's ``routing:`` rules, the
round-robin rotation committed (and merged by taking the larger count), imports too."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tcrm.services.routing import counts_text, merge_counts, parse_counts
from tests.clitools import changed_files, git, load, run
from tests.teamtools import assert_healthy, sync

TEAM = """team:
- {id: ann, name: Ann Becker}
- {id: ben, name: Ben Okafor}
- {id: chloe, name: Chloe Martin}
"""


def configure(root: Path, rules: str, commit: bool = True) -> None:
    path = root / "tcrm.yaml"
    text = path.read_text().replace("team: []\n", TEAM)
    path.write_text(text + "\nrouting:\n" + rules)
    if commit:
        git(root, "commit", "-q", "-am", "routing rules")


def owner_of(root: Path, client_id: str) -> str | None:
    return load(root, f"clients/{client_id}.yaml").get("owner")


def add_client(root: Path, name: str, *args: str) -> str:
    result = run("-w", root, "client", "add", name, *args)
    assert result.code == 0, result.err
    return result.out.split()[-1] if result.out.strip() else name.lower()


def counts(root: Path) -> dict[str, int]:
    return parse_counts((root / "routing.yaml").read_bytes())


def test_rules_match_by_source_region_tag_and_custom_field(workspace) -> None:
    root = workspace.root
    configure(
        root,
        "- {match: {source: referral}, owner: ann}\n"
        "- {match: {region: north, tag: vip}, owner: ben}\n"
        "- {match: {industry: retail}, owner: chloe}\n"
        "- {records: deal, least_open_deals: [ben, chloe]}\n",
    )
    settings = root / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("  regions: []\n", "  regions: [north]\n"))
    git(root, "commit", "-q", "-am", "regions")
    add_client(root, "Referred Co", "--source", "referral")
    add_client(root, "Northern VIP", "--region", "north", "--tag", "vip")
    add_client(root, "Northern", "--region", "north")
    add_client(root, "Explicit", "--source", "referral", "--owner", "chloe")
    assert owner_of(root, "referred-co") == "ann"
    assert owner_of(root, "northern-vip") == "ben"
    assert owner_of(root, "northern") is None  # no rule fits: nobody is made up
    assert owner_of(root, "explicit") == "chloe"  # an explicit owner is never overridden
    # a custom field (a key tcrm's model does not know) routes too
    path = root / "clients" / "northern.yaml"
    path.write_text(path.read_text() + "industry: retail\n")
    git(root, "commit", "-q", "-am", "industry by hand")
    result = run("-w", root, "deal", "add", "Shop", "--client", "northern")
    assert result.code == 0, result.err
    assert load(root, "deals/northern-shop.yaml")["owner"] == "chloe"
    assert "(owner chloe by routing rule-3)" in git(root, "log", "-1", "--format=%s")
    # least_open_deals: ben has none, chloe has one
    result = run("-w", root, "deal", "add", "Other", "--client", "referred-co")
    assert result.code == 0, result.err
    assert load(root, "deals/referred-co-other.yaml")["owner"] == "ann"  # rule 1: source
    result = run("-w", root, "deal", "add", "Plain", "--client", "explicit")
    assert result.code == 0, result.err
    assert load(root, "deals/explicit-plain.yaml")["owner"] == "ann"  # its client's source
    add_client(root, "Nobody")
    result = run("-w", root, "deal", "add", "Fresh", "--client", "nobody")
    assert load(root, "deals/nobody-fresh.yaml")["owner"] == "ben"


def test_round_robin_turns_are_committed_with_the_record(workspace) -> None:
    root = workspace.root
    configure(root, "- {id: leads, records: client, round_robin: [ann, ben, chloe]}\n")
    owners = []
    for name in ("One", "Two", "Three", "Four"):
        add_client(root, name)
        assert changed_files(root) == [f"clients/{name.lower()}.yaml", "routing.yaml"]
        owners.append(owner_of(root, name.lower()))
    assert owners == ["ann", "ben", "chloe", "ann"]
    assert counts(root) == {"leads": 4}
    assert git(root, "status", "--porcelain") == ""


def test_round_robin_across_two_clones_merges_to_the_larger_count(team, as_user) -> None:
    """Both clones route two leads before syncing: ann, ben on each side. The merge keeps
    the larger count (2), so both clones agree the next lead is chloe's."""
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    configure(ann, "- {id: leads, records: client, round_robin: [ann, ben, chloe]}\n")
    sync(ann)
    as_user("ben")
    sync(ben)
    as_user("ann")
    assert [owner_of(ann, add_client(ann, n)) for n in ("A1", "A2")] == ["ann", "ben"]
    as_user("ben")
    assert [owner_of(ben, add_client(ben, n)) for n in ("B1", "B2")] == ["ann", "ben"]
    as_user("ann")
    sync(ann)
    as_user("ben")
    assert sync(ben)["action"] == "merged"
    assert counts(ben) == {"leads": 2}
    as_user("ann")
    sync(ann)
    assert counts(ann) == {"leads": 2}
    assert owner_of(ann, add_client(ann, "A3")) == "chloe"
    sync(ann)
    as_user("ben")
    sync(ben)
    assert owner_of(ben, add_client(ben, "B3")) == "ann"
    for root in (ann, ben):
        assert_healthy(root)


def test_uneven_sides_the_rule_that_holds(team, as_user) -> None:
    """ann routes three leads (ann, ben, chloe), ben one (ann). Merged: the larger count, 3,
    so the next lead is ann's: ben's clone sees ann twice in a row (documented)."""
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    configure(ann, "- {id: leads, records: client, round_robin: [ann, ben, chloe]}\n")
    sync(ann)
    as_user("ben")
    sync(ben)
    as_user("ann")
    assert [owner_of(ann, add_client(ann, n)) for n in ("A1", "A2", "A3")] == [
        "ann",
        "ben",
        "chloe",
    ]
    as_user("ben")
    assert owner_of(ben, add_client(ben, "B1")) == "ann"
    as_user("ann")
    sync(ann)
    as_user("ben")
    sync(ben)
    assert counts(ben) == {"leads": 3}
    assert owner_of(ben, add_client(ben, "B2")) == "ann"


def test_the_import_dry_run_shows_who_gets_what_and_the_import_assigns_it(
    workspace, tmp_path
) -> None:
    root = workspace.root
    configure(root, "- {id: leads, records: client, round_robin: [ann, ben]}\n")
    csv = tmp_path / "leads.csv"
    csv.write_text("name,owner\nAlpha,\nBeta,chloe\nGamma,\n")
    dry = run("-w", root, "import", "csv", csv, "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out)["routed"] == [
        {"id": "alpha", "owner": "ann", "rule": "leads"},
        {"id": "gamma", "owner": "ben", "rule": "leads"},
    ]
    shown = run("-w", root, "import", "csv", csv, "--dry-run")
    assert "alpha\tann\tleads" in shown.out
    assert not (root / "routing.yaml").exists()  # a dry run writes nothing
    done = run("-w", root, "import", "csv", csv)
    assert done.code == 0, done.err
    assert [owner_of(root, c) for c in ("alpha", "beta", "gamma")] == ["ann", "chloe", "ben"]
    assert counts(root) == {"leads": 2}
    assert "routing.yaml" in changed_files(root)


def test_bad_rules_are_refused_with_one_line(workspace) -> None:
    root = workspace.root
    configure(root, "- {round_robin: [ann, zoe]}\n", commit=False)
    result = run("-w", root, "client", "add", "Acme")
    assert result.code != 0
    assert "names 'zoe', who is not a team member" in result.err
    configure_text = (
        (root / "tcrm.yaml")
        .read_text()
        .replace("- {round_robin: [ann, zoe]}", "- {owner: ann, round_robin: [ben]}")
    )
    (root / "tcrm.yaml").write_text(configure_text)
    result = run("-w", root, "client", "add", "Acme")
    assert "exactly one of owner, round_robin, least_open_deals" in result.err
    assert not (root / "clients" / "acme.yaml").exists()


def test_a_damaged_routing_file_counts_from_zero(workspace) -> None:
    root = workspace.root
    configure(root, "- {id: leads, round_robin: [ann, ben]}\n")
    (root / "routing.yaml").write_text("round_robin: {leads: -4, other: [1]}\n")
    git(root, "add", "routing.yaml")
    git(root, "commit", "-q", "-m", "hand edit")
    assert owner_of(root, add_client(root, "Acme")) == "ann"
    assert counts(root) == {"leads": 1}


counts_st = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 10**6), max_size=3)


@given(counts_st, counts_st)
def test_merging_counts_is_the_larger_per_rule_whatever_the_order(mine, theirs) -> None:
    a, b = counts_text(mine).encode(), counts_text(theirs).encode()
    merged = parse_counts(merge_counts(a, b))
    assert merged == parse_counts(merge_counts(b, a))
    assert merged == {k: max(mine.get(k, 0), theirs.get(k, 0)) for k in {*mine, *theirs}}
    assert parse_counts(merge_counts(merge_counts(a, b), b)) == merged
