"""Values outside tcrm.yaml's lists on import: ``--new-values reject|add|drop|map`` and
``--map-value``. Real files, a real workspace, the real git CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcrm.store import yamlio
from tests.clitools import (
    assert_refused,
    changed_files,
    commit_count,
    git,
    load,
    run,
    snapshot,
    status_clean,
)

HUBSPOT_COMPANIES = (
    "Record ID,Company name,Company Domain Name,Original Source,Lifecycle Stage,Industry,"
    "Create Date\r\n"
    "10021,Kestrel Analytics,kestrel.example.com,Organic search,Lead,Software,2026-03-02\r\n"
    "10022,Marlow & Finch,marlowfinch.example.com,Offline sources,Customer,Retail,2026-04-11\r\n"
    "10023,Quillon Labs,quillon.example.org,Organic search,Opportunity,Biotech,2026-05-20\r\n"
    "10024,Brightwater Co,brightwater.example.net,Referrals,Customer,Logistics,2026-06-01\r\n"
)
"""A HubSpot companies export (made-up data): ``Original Source`` in HubSpot's words."""

APPLE_VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//macOS 14.5//EN\r\n"
    "N:Lindqvist;Maja;;;\r\nFN:Maja Lindqvist\r\nORG:Fjordline Design;\r\n"
    "EMAIL;type=INTERNET;type=WORK;type=pref:maja@fjordline.example.com\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+46 70 555 01 23\r\n"
    "CATEGORIES:Clients,Design Week 2026\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//macOS 14.5//EN\r\n"
    "N:Berg;Ola;;;\r\nFN:Ola Berg\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:ola.berg@mail.example.net\r\n"
    "CATEGORIES:VIP,Design Week 2026\r\nEND:VCARD\r\n"
)
"""Apple Contacts cards (made-up people) whose CATEGORIES are mostly not in lists.tags."""

CLIENT_FILES = [
    "clients/brightwater-co.yaml",
    "clients/kestrel-analytics.yaml",
    "clients/marlow-finch.yaml",
    "clients/quillon-labs.yaml",
]


def _hubspot(tmp_path: Path) -> Path:
    path = tmp_path / "hubspot-companies.csv"
    path.write_text(HUBSPOT_COMPANIES, encoding="utf-8", newline="")
    return path


def _apple(tmp_path: Path) -> Path:
    path = tmp_path / "Apple Contacts.vcf"
    path.write_text(APPLE_VCARDS, encoding="utf-8", newline="")
    return path


def _lists(root: Path) -> dict[str, list[str]]:
    return yamlio.load_fast((root / "tcrm.yaml").read_text(encoding="utf-8"))["lists"]


def _comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


# --- reject (the default) ---------------------------------------------------------------


def test_hubspot_export_is_refused_listing_each_new_value_with_its_count(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = _hubspot(tmp_path)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path)
    assert result.code == 1, result
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits
    assert "sources: 'Organic search' (2 rows), 'Offline sources' (1 row), 'Referrals' (1 row)" in (
        result.err
    )
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("tcrm: error: 4 invalid rows in hubspot-companies.csv")
    for option in ("--new-values add", "--new-values drop", "--map-value"):
        assert option in last
    # one line per list, not one per row
    assert "row 2" not in result.err


def test_apple_vcard_is_refused_listing_the_new_categories(sample_ws: Path, tmp_path: Path) -> None:
    path = _apple(tmp_path)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "vcard", path)
    assert result.code == 1, result
    assert "tags: 'Clients' (1 card), 'Design Week 2026' (2 cards)" in result.err
    assert "--new-values add" in result.err
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_other_problems_are_still_listed_by_row_beside_the_new_values(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "Company,Source,Created\nOne Ltd,Podcast,2026-01-01\nTwo Ltd,website,not a date\n",
        encoding="utf-8",
    )
    result = run("import", "csv", path)
    assert result.code == 1
    assert "row 3, column Created: 'not a date' is not a date" in result.err
    assert "sources: 'Podcast' (1 row)" in result.err
    assert "2 invalid rows" in result.err


# --- add ---------------------------------------------------------------------------------


def test_add_extends_the_lists_in_the_same_single_commit_comments_kept(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = _hubspot(tmp_path)
    original = (sample_ws / "tcrm.yaml").read_text(encoding="utf-8")
    commits = commit_count(sample_ws)
    result = run("import", "csv", path, "--new-values", "add")
    assert result.code == 0, result
    assert commit_count(sample_ws) == commits + 1
    assert changed_files(sample_ws) == sorted([*CLIENT_FILES, "tcrm.yaml"])
    stat = git(sample_ws, "show", "--stat", "--format=%s", "HEAD")
    assert "tcrm.yaml" in stat and "clients/kestrel-analytics.yaml" in stat
    sources = _lists(sample_ws)["sources"]
    assert sources[-3:] == ["Organic search", "Offline sources", "Referrals"]
    assert sources[:-3] == yamlio.load_fast(original)["lists"]["sources"]
    new_text = (sample_ws / "tcrm.yaml").read_text(encoding="utf-8")
    assert _comment_lines(new_text) == _comment_lines(original)
    # only the list grew: the rest of the file is byte for byte as it was
    added = [line for line in new_text.splitlines() if line not in original.splitlines()]
    assert added == ["  - Organic search", "  - Offline sources", "  - Referrals"]
    assert load(sample_ws, "clients/kestrel-analytics.yaml")["source"] == "Organic search"
    assert "sources: Organic search, Offline sources, Referrals" in result.err
    assert status_clean(sample_ws)
    assert run("check").code == 0


def test_add_for_apple_categories_in_the_order_first_seen(sample_ws: Path, tmp_path: Path) -> None:
    path = _apple(tmp_path)
    commits = commit_count(sample_ws)
    result = run("import", "vcard", path, "--new-values", "add")
    assert result.code == 0, result
    assert commit_count(sample_ws) == commits + 1
    assert "tcrm.yaml" in changed_files(sample_ws)
    assert _lists(sample_ws)["tags"][-2:] == ["Clients", "Design Week 2026"]
    assert load(sample_ws, "clients/ola-berg.yaml")["tags"] == ["vip", "Design Week 2026"]
    assert "tags: Clients, Design Week 2026" in result.err
    assert run("check").code == 0


def test_add_creates_the_lists_a_fresh_workspace_lacks(sample_ws: Path, tmp_path: Path) -> None:
    settings = sample_ws / "tcrm.yaml"
    doc = yamlio.load_fast(settings.read_text(encoding="utf-8"))
    settings.write_text(
        "# a first-day workspace\nversion: 1\nname: Fresh\n"
        f"timezone: Europe/Berlin\npipelines: {json.dumps(doc['pipelines'])}\n"
        "default_pipeline: sales\n",
        encoding="utf-8",
    )
    git(sample_ws, "commit", "-qam", "settings: a fresh one")
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{"name": "Nova Kft", "region": "CEE"}]), encoding="utf-8")
    result = run("import", "json", path, "--new-values", "add")
    assert result.code == 0, result
    assert _lists(sample_ws)["regions"] == ["CEE"]
    assert settings.read_text(encoding="utf-8").startswith("# a first-day workspace\n")
    assert sorted(changed_files(sample_ws)) == ["clients/nova-kft.yaml", "tcrm.yaml"]


def test_add_keeps_a_comment_that_follows_the_list(tmp_path: Path) -> None:
    text = "lists:\n  sources:\n  - website\n  # regions we sell in\n  regions:\n  - DACH\n"
    doc = yamlio.load_rt(text, "tcrm.yaml")
    yamlio.extend_lists(doc, {"sources": ["Organic search"], "tags": ["vip"]})
    assert yamlio.dump_rt(doc) == (
        "lists:\n  sources:\n  - website\n  - Organic search\n  # regions we sell in\n"
        "  regions:\n  - DACH\n  tags:\n  - vip\n"
    )


def test_a_skipped_duplicate_adds_nothing_to_the_lists(sample_ws: Path, tmp_path: Path) -> None:
    path = _hubspot(tmp_path)
    assert run("import", "csv", path, "--new-values", "drop").code == 0
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path, "--new-values", "add")
    assert result.code == 0, result
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


# --- drop --------------------------------------------------------------------------------


def test_drop_leaves_the_values_out_and_counts_them(sample_ws: Path, tmp_path: Path) -> None:
    path = _hubspot(tmp_path)
    settings_before = (sample_ws / "tcrm.yaml").read_bytes()
    result = run("import", "csv", path, "--new-values", "drop")
    assert result.code == 0, result
    assert changed_files(sample_ws) == CLIENT_FILES
    assert (sample_ws / "tcrm.yaml").read_bytes() == settings_before
    assert "source" not in load(sample_ws, "clients/kestrel-analytics.yaml")
    assert "Left out 4 values not in the lists (sources: 4)." in result.err
    assert run("check").code == 0


def test_drop_removes_only_the_unlisted_tags(sample_ws: Path, tmp_path: Path) -> None:
    result = run("import", "vcard", _apple(tmp_path), "--new-values", "drop")
    assert result.code == 0, result
    assert load(sample_ws, "clients/ola-berg.yaml")["tags"] == ["vip"]
    assert "tags" not in load(sample_ws, "clients/fjordline-design.yaml")
    assert "Left out 3 values not in the lists (tags: 3)." in result.err


# --- map ---------------------------------------------------------------------------------


def test_map_value_maps_before_validation(sample_ws: Path, tmp_path: Path) -> None:
    path = _hubspot(tmp_path)
    result = run(
        "import",
        "csv",
        path,
        "--map-value",
        "source:Organic search=website",
        "--map-value",
        "source:offline SOURCES=event",
        "--map-value",
        "sources:Referrals=referral",
    )
    assert result.code == 0, result
    assert load(sample_ws, "clients/kestrel-analytics.yaml")["source"] == "website"
    assert load(sample_ws, "clients/marlow-finch.yaml")["source"] == "event"
    assert load(sample_ws, "clients/brightwater-co.yaml")["source"] == "referral"
    assert "tcrm.yaml" not in changed_files(sample_ws)
    assert "Mapped 4 values to listed ones (sources: 4)." in result.err


def test_values_not_mapped_are_still_refused(sample_ws: Path, tmp_path: Path) -> None:
    result = run("import", "csv", _hubspot(tmp_path), "--map-value", "source:Organic search=web")
    assert result.code == 1
    assert "sources: 'web' (2 rows), 'Offline sources' (1 row), 'Referrals' (1 row)" in result.err


def test_new_values_map_applies_only_the_near_matches(sample_ws: Path, tmp_path: Path) -> None:
    path = _hubspot(tmp_path)
    refused = run("import", "csv", path, "--new-values", "map")
    assert refused.code == 1
    assert "sources: 'Organic search' (2 rows), 'Offline sources' (1 row)" in refused.err
    assert "Referrals" not in refused.err.split("sources:")[1].splitlines()[0]
    result = run(
        "import", "csv", path, "--new-values", "map", "--map-value", "source:Organic search="
    )
    assert result.code == 1  # Offline sources has no near match: still refused
    ok = run(
        "import",
        "csv",
        path,
        "--new-values",
        "map",
        "--map-value",
        "source:Organic search=website",
        "--map-value",
        "source:Offline sources=event",
    )
    assert ok.code == 0, ok
    assert load(sample_ws, "clients/brightwater-co.yaml")["source"] == "referral"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Organic search=website", "write LIST:VALUE=LISTED"),
        ("colour:red=blue", "no list 'colour'"),
        ("source:=website", "write LIST:VALUE=LISTED"),
        ("kind:Lunch=meeting", "a client has no kind (its lists: source, tag, region, status)"),
    ],
)
def test_a_bad_map_value_is_refused(
    sample_ws: Path, tmp_path: Path, option: str, message: str
) -> None:
    path = _hubspot(tmp_path)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path, "--map-value", option)
    assert_refused(sample_ws, result, before, commits)
    assert message in result.err


def test_an_unknown_new_values_mode_is_refused(sample_ws: Path, tmp_path: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", _hubspot(tmp_path), "--new-values", "guess")
    assert_refused(sample_ws, result, before, commits)
    assert "reject, add, drop, map" in result.err


# --- dry run -----------------------------------------------------------------------------


def test_dry_run_shows_columns_new_values_and_suggested_maps_though_rows_are_invalid(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = _hubspot(tmp_path)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path, "--dry-run")
    assert result.code == 1, result
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits
    assert "Original Source" in result.out and "Record ID" in result.out
    assert "Record ID\texternal_ids.hubspot" in result.out  # HubSpot's id, for updates
    assert "Organic search" in result.out and "Offline sources" in result.out
    assert '--map-value "source:Referrals=referral"' in result.out
    assert "--map-value" not in result.out.split("Organic search")[1].splitlines()[0]


def test_dry_run_json_carries_the_new_values(sample_ws: Path, tmp_path: Path) -> None:
    result = run("import", "csv", _hubspot(tmp_path), "--dry-run", "--json", "--new-values", "add")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["new_values"][0] == {
        "list": "sources",
        "value": "Organic search",
        "rows": 2,
        "action": "add",
        "suggestion": None,
    }
    assert data["new_values"][2]["suggestion"] == "referral"
    assert data["added"] == {"sources": ["Organic search", "Offline sources", "Referrals"]}
    assert len(data["created"]) == 4


# --- every list, every import ------------------------------------------------------------


def test_deals_from_json_add_lost_reasons_and_tags_in_one_commit(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "deals.json"
    path.write_text(
        json.dumps(
            [
                {
                    "title": "Old app",
                    "client": "acme-logistics",
                    "status": "lost",
                    "lost_reason": "Went dark",
                    "tags": ["retainer", "Q3 push"],
                }
            ]
        ),
        encoding="utf-8",
    )
    refused = run("import", "json", path, "--type", "deals")
    assert refused.code == 1
    assert "tags: 'Q3 push' (1 object)" in refused.err
    assert "lost_reasons: 'Went dark' (1 object)" in refused.err
    commits = commit_count(sample_ws)
    result = run("import", "json", path, "--type", "deals", "--new-values", "add")
    assert result.code == 0, result
    assert commit_count(sample_ws) == commits + 1
    lists = _lists(sample_ws)
    assert lists["tags"][-1] == "Q3 push" and lists["lost_reasons"][-1] == "Went dark"
    assert git(sample_ws, "log", "-1", "--format=%s").strip() == (
        "import: 1 deal from deals.json; tcrm.yaml lists: +1 tags, +1 lost reasons"
    )
    assert run("check").code == 0


def test_client_statuses_mapped_and_case_folded(sample_ws: Path, tmp_path: Path) -> None:
    path = _hubspot(tmp_path)
    result = run(
        "import",
        "csv",
        path,
        "--map",
        "Lifecycle Stage=status",
        "--map-value",
        "status:Customer=active",
        "--map-value",
        "status:Opportunity=prospect",
        "--new-values",
        "drop",
    )
    assert result.code == 0, result
    assert load(sample_ws, "clients/kestrel-analytics.yaml")["status"] == "lead"
    assert load(sample_ws, "clients/marlow-finch.yaml")["status"] == "active"
    assert load(sample_ws, "clients/quillon-labs.yaml")["status"] == "prospect"


def test_activity_kinds_map_to_near_matches_and_a_dropped_kind_is_invalid(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "Type,Date,Subject,Organization\n"
        "Calls,2026-11-20 14:30,Intro call,Café Lumière\n"
        "Lunch,2026-11-21 12:00,Lunch,Café Lumière\n",
        encoding="utf-8",
    )
    dropped = run("import", "csv", path, "--type", "activities", "--new-values", "drop")
    assert dropped.code == 1
    assert "row 2, column Type: is required" in dropped.err  # "Calls" too: drop never maps
    assert "row 3, column Type: is required" in dropped.err
    mapped = run(
        "import",
        "csv",
        path,
        "--type",
        "activities",
        "--new-values",
        "map",
        "--map-value",
        "kind:Lunch=meeting",
        "--json",
    )
    assert mapped.code == 0, mapped
    data = json.loads(mapped.out)
    assert [a["kind"] for a in data["created"]] == ["call", "meeting"]
    assert data["mapped"] == {"activity_kinds": 2}


def test_skip_invalid_writes_the_refused_values_rows_to_the_rejected_file(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = _hubspot(tmp_path)
    result = run("import", "csv", path, "--skip-invalid", "--map-value", "source:Referrals=")
    assert result.code == 0, result
    assert changed_files(sample_ws) == ["clients/brightwater-co.yaml"]
    rejected = (tmp_path / "hubspot-companies.rejected.csv").read_text(encoding="utf-8")
    assert "'Organic search' is not in tcrm.yaml's sources" in rejected
    assert rejected.count("\n") == 4  # the header and three rows


def test_dry_run_json_when_rows_are_refused(sample_ws: Path, tmp_path: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "vcard", _apple(tmp_path), "--dry-run", "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert [(v["value"], v["cards"], v["action"]) for v in data["new_values"]] == [
        ("Clients", 1, "reject"),
        ("Design Week 2026", 2, "reject"),
    ]
    assert data["created"] == [] and len(data["rejected"]) == 2
    assert result.err.strip().startswith("tcrm: error: 2 invalid cards")
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_add_is_refused_while_tcrm_yaml_holds_an_uncommitted_hand_edit(
    sample_ws: Path, tmp_path: Path
) -> None:
    settings = sample_ws / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", _hubspot(tmp_path), "--new-values", "add")
    assert_refused(sample_ws, result, before, commits)
    assert "tcrm.yaml has changes not committed" in result.err


def test_an_added_value_is_written_as_the_record_holds_it_and_shown_safely(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps([{"name": "Nova Kft", "tags": ["Design\u0007Week", "\u202eevil"]}]),
        encoding="utf-8",
    )
    dry = run("import", "json", path, "--new-values", "add", "--dry-run")
    assert "\u202e" not in dry.out + dry.err and "\\u202eevil" in dry.out
    result = run("import", "json", path, "--new-values", "add")
    assert result.code == 0, result
    assert "\u202e" not in result.err
    assert _lists(sample_ws)["tags"][-2:] == ["DesignWeek", "\u202eevil"]
    assert load(sample_ws, "clients/nova-kft.yaml")["tags"] == ["DesignWeek", "\u202eevil"]
    assert run("check").code == 0
