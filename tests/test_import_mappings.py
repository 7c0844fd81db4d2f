"""Saved import mappings (imports/NAME.yaml): saved in the import's commit, reused with
--mapping (the command line wins), listed by `tcrm import mappings`, refused in one
line naming file:line when broken. Real files, a real workspace, the real git CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import (
    assert_refused,
    commit_count,
    git,
    load,
    run,
    snapshot,
    status_clean,
)
from tests.vendortools import FIXTURES, vendor_workspace

COMPANIES = FIXTURES / "hubspot-companies.csv"
SAVE = (
    "--map-value",
    "source:Organic search=website",
    "--map-value",
    "source:Offline sources=event",
    "--map",
    "City=region",
    "--map",
    "Industry=",
    "--new-values",
    "add",
)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return vendor_workspace(tmp_path, monkeypatch, "hubspot")


def test_save_mapping_is_written_in_the_imports_own_commit(ws: Path) -> None:
    commits = commit_count(ws)
    result = run("import", "csv", COMPANIES, *SAVE, "--save-mapping", "hubspot-weekly")
    assert result.code == 0, result.err
    assert commit_count(ws) == commits + 1
    assert git(ws, "log", "-1", "--format=%s").strip() == (
        "import: 2 clients from hubspot-companies.csv; tcrm.yaml lists: +2 regions; "
        "mapping saved to imports/hubspot-weekly.yaml"
    )
    assert sorted(git(ws, "show", "--name-only", "--format=", "HEAD").split()) == [
        "clients/kestrel-analytics.yaml",
        "clients/marlow-finch.yaml",
        "imports/hubspot-weekly.yaml",
        "tcrm.yaml",
    ]
    assert status_clean(ws)
    assert load(ws, "imports/hubspot-weekly.yaml") == {
        "type": "clients",
        "format": "csv",
        "columns": {"City": "region", "Industry": ""},
        "values": {"sources": {"Organic search": "website", "Offline sources": "event"}},
        "new_values": "add",
        "last_used": "2026-12-07",
    }


def test_mapping_reads_the_next_file_the_same_way(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same options by name: reading with --mapping a week later gives the records
    the options spelled out gave, and the file notes when it was last used."""
    assert run("import", "csv", COMPANIES, *SAVE, "--save-mapping", "weekly").code == 0
    first = {p.name: p.read_text() for p in (ws / "clients").iterdir()}
    for path in (ws / "clients").iterdir():
        path.unlink()
    git(ws, "commit", "-qam", "start over")
    monkeypatch.setenv("TCRM_NOW", "2026-12-14T10:00:00+00:00")
    result = run("import", "csv", COMPANIES, "--mapping", "weekly")
    assert result.code == 0, result.err
    assert {p.name: p.read_text() for p in (ws / "clients").iterdir()} == first
    assert load(ws, "clients/kestrel-analytics.yaml")["source"] == "website"
    assert load(ws, "clients/kestrel-analytics.yaml")["region"] == "Boston"
    assert "industry" not in load(ws, "clients/kestrel-analytics.yaml")
    assert "imports/weekly.yaml" in git(ws, "show", "--name-only", "--format=", "HEAD")
    assert load(ws, "imports/weekly.yaml")["last_used"] == "2026-12-14"


def test_command_line_options_win_over_the_saved_ones(ws: Path) -> None:
    assert run("import", "csv", COMPANIES, *SAVE, "--save-mapping", "weekly").code == 0
    for path in (ws / "clients").iterdir():
        path.unlink()
    git(ws, "commit", "-qam", "start over")
    result = run(
        "import",
        "csv",
        COMPANIES,
        "--mapping",
        "weekly",
        "--map-value",
        "source:Organic search=referral",  # replaces the saved map of this value
        "--map",
        "City=",  # and of this column
        "--json",
    )
    assert result.code == 0, result.err
    kestrel = load(ws, "clients/kestrel-analytics.yaml")
    assert kestrel["source"] == "referral" and "region" not in kestrel
    assert load(ws, "clients/marlow-finch.yaml")["source"] == "event"  # saved map kept
    assert json.loads(result.out)["written"] == ["imports/weekly.yaml"]


def test_import_mappings_lists_each_with_type_columns_and_last_use(ws: Path) -> None:
    assert run("import", "csv", COMPANIES, *SAVE, "--save-mapping", "weekly").code == 0
    (ws / "imports" / "broken.yaml").write_text("type: deals\ncolumns: [\n", encoding="utf-8")
    result = run("import", "mappings", "--json")
    assert result.code == 0, result.err
    listed = json.loads(result.out)
    assert listed[1] == {
        "name": "weekly",
        "path": "imports/weekly.yaml",
        "type": "clients",
        "format": "csv",
        "columns": 2,
        "values": 2,
        "last_used": "2026-12-07",
        "problem": None,
    }
    assert listed[0]["name"] == "broken" and listed[0]["problem"].startswith("imports/broken.yaml:")
    plain = run("import", "mappings")
    assert "weekly\tclients\tcsv\t2\t2\t2026-12-07" in plain.out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("type: clients\ncolumns:\n  City: regoin\n", "imports/bad.yaml:3: columns: "),
        ("type: clients\nnew_values: maybe\n", "imports/bad.yaml:2: new_values: "),
        ("type: clients\nvalues:\n  colours:\n    Red: blue\n", "imports/bad.yaml:4: values: "),
        ("type: clients\ncolumns: [\n", "imports/bad.yaml:3"),
        ("type: clients\nsurprise: 1\n", "imports/bad.yaml:2: surprise: "),
        ("columns: {}\n", "imports/bad.yaml:1: type: "),
    ],
)
def test_a_broken_mapping_is_refused_in_one_line_naming_file_and_line(
    ws: Path, text: str, expected: str
) -> None:
    (ws / "imports").mkdir()
    (ws / "imports" / "bad.yaml").write_text(text, encoding="utf-8")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "a mapping by hand")
    before, commits = snapshot(ws), commit_count(ws)
    result = run("import", "csv", COMPANIES, "--mapping", "bad")
    assert_refused(ws, result, before, commits)
    assert expected in result.err, result.err


def test_an_unknown_or_unsafe_mapping_name_is_refused(ws: Path) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run("import", "csv", COMPANIES, "--mapping", "nope")
    assert_refused(ws, result, before, commits)
    assert "no import mapping 'nope' (imports/nope.yaml)" in result.err
    for name in ("../tcrm", "Weekly", ".hidden"):
        result = run("import", "csv", COMPANIES, "--save-mapping", name, "--new-values", "add")
        assert_refused(ws, result, before, commits)
        assert "mapping name" in result.err


def test_a_dry_run_saves_nothing(ws: Path) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run("import", "csv", COMPANIES, *SAVE, "--save-mapping", "weekly", "--dry-run")
    assert result.code == 0, result.err
    assert snapshot(ws) == before and commit_count(ws) == commits


def test_a_refused_import_saves_nothing(ws: Path) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run("import", "csv", COMPANIES, "--save-mapping", "weekly")  # new sources
    assert result.code == 1
    assert snapshot(ws) == before and commit_count(ws) == commits


def test_a_mapping_through_a_symbolic_link_is_refused(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "weekly.yaml").write_text("type: clients\n", encoding="utf-8")
    (ws / "imports").symlink_to(outside)
    before, commits = snapshot(ws), commit_count(ws)
    result = run("import", "csv", COMPANIES, "--mapping", "weekly", "--new-values", "add")
    assert_refused(ws, result, before, commits)
    assert "imports" in result.err and "link" in result.err
    assert run("import", "mappings", "--json").out.strip() == "[]"
