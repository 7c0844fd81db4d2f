"""Re-importing next week's export updates the records the last import made, found by
the tool's id (``external_ids``), in one commit that changes only what changed."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from tcrm.model.records import Client, Deal
from tests.clitools import commit_count, git, load, run, snapshot, status_clean
from tests.vendortools import FIXTURES, vendor_workspace

WEEK_2 = "2026-12-14T10:00:00+00:00"


def _week_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = vendor_workspace(tmp_path, monkeypatch, "hubspot")
    for kind, name in (("clients", "hubspot-companies.csv"), ("deals", "hubspot-deals.csv")):
        result = run("import", "csv", FIXTURES / name, "--type", kind, "--new-values", "add")
        assert result.code == 0, result.err
    monkeypatch.setenv("TCRM_NOW", WEEK_2)
    return root


def test_next_weeks_export_updates_by_external_id_in_one_minimal_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _week_one(tmp_path, monkeypatch)
    commits = commit_count(root)
    result = run(
        "import",
        "csv",
        FIXTURES / "hubspot-deals-next-week.csv",
        "--type",
        "deals",
        "--on-duplicate",
        "update",
    )
    assert result.code == 0, result.err
    assert commit_count(root) == commits + 1
    assert status_clean(root) and git(root, "fsck", "--strict") == ""
    assert git(root, "log", "-1", "--format=%s").strip() == (
        "import: 1 deal from hubspot-deals-next-week.csv, 1 updated"
    )
    # the two unchanged deals' files are untouched; the changed one and the new one only
    assert git(root, "show", "--format=", "--numstat", "HEAD").splitlines() == [
        "4\t2\tdeals/kestrel-data-platform.yaml",
        "14\t0\tdeals/marlow-finch-gift-cards.yaml",
    ]
    diff = git(root, "show", "--format=", "-U0", "HEAD", "--", "deals/kestrel-data-platform.yaml")
    changed = [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-stage: presentation-scheduled",
        "+stage: contract-sent",
        "-amount: 48000",
        "+amount: 52000",
        "+- at: 2026-12-14T10:00+00:00",
        "+  stage: contract-sent",
    ]
    deal = load(root, "deals/kestrel-data-platform.yaml")
    assert deal["external_ids"] == {"hubspot": "5501"}
    assert load(root, "deals/marlow-finch-gift-cards.yaml")["external_ids"] == {"hubspot": "5504"}


def test_the_same_export_again_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _week_one(tmp_path, monkeypatch)
    before, commits = snapshot(root), commit_count(root)
    result = run(
        "import",
        "csv",
        FIXTURES / "hubspot-deals.csv",
        "--type",
        "deals",
        "--on-duplicate",
        "update",
        "--json",
    )
    assert result.code == 0, result.err
    assert '"reason": "same hubspot id 5501"' in result.out
    assert snapshot(root) == before and commit_count(root) == commits


def test_an_id_match_wins_over_a_changed_name_and_keeps_hand_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renamed deal is still found by its id (the name key alone would create a second
    deal); a comment and a key added by hand survive the update."""
    root = _week_one(tmp_path, monkeypatch)
    path = root / "deals" / "kestrel-data-platform.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "owner: jane\n", "owner: jane  # Jane's since October\nrenewal_owner: omar\n"
        ),
        encoding="utf-8",
    )
    git(root, "commit", "-qam", "hand edit")
    export = tmp_path / "renamed.csv"
    export.write_text(
        (FIXTURES / "hubspot-deals.csv")
        .read_text(encoding="utf-8")
        .replace("Kestrel data platform", "Kestrel data platform v2"),
        encoding="utf-8",
    )
    result = run("import", "csv", export, "--type", "deals", "--on-duplicate", "update")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (root / "deals").iterdir()) == [
        "kestrel-data-platform.yaml",
        "kestrel-support-plan.yaml",
        "marlow-finch-loyalty-app.yaml",
    ]
    text = path.read_text(encoding="utf-8")
    assert "title: Kestrel data platform v2\n" in text
    assert "owner: jane  # Jane's since October\nrenewal_owner: omar\n" in text


def test_skip_leaves_a_record_found_by_id_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _week_one(tmp_path, monkeypatch)
    result = run(
        "import", "csv", FIXTURES / "hubspot-deals-next-week.csv", "--type", "deals", "--json"
    )
    assert result.code == 0, result.err
    assert load(root, "deals/kestrel-data-platform.yaml")["amount"] == "48000"
    assert '"reason": "same hubspot id 5501"' in result.out


@pytest.mark.parametrize(
    "value",
    [
        {"HubSpot": "1"},  # tool names are lower-case
        {"hubspot": ""},
        {"hubspot": "x" * 201},
        {"hubspot": "10\x1b[2J"},
        {"hubspot": ["1"]},
        ["hubspot"],
        {f"tool{i}": "1" for i in range(21)},
    ],
)
def test_external_ids_out_of_range_are_refused_by_the_model(value: object) -> None:
    with pytest.raises(pydantic.ValidationError, match="external_ids"):
        Client.model_validate({"name": "Acme", "external_ids": value})


def test_an_id_written_as_a_number_by_hand_reads_as_text() -> None:
    deal = Deal.model_validate(
        {
            "title": "X",
            "client": "acme",
            "pipeline": "sales",
            "stage": "lead",
            "external_ids": {"hubspot": 10021},
        }
    )
    assert deal.external_ids == {"hubspot": "10021"}


def test_map_names_the_id_column_of_a_tool_without_a_description(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = vendor_workspace(tmp_path, monkeypatch, None)
    export = tmp_path / "copper.csv"
    export.write_text(
        "Copper ID,Company,Website\r\n88,Tallow & Wick,tallow.example.com\r\n", encoding="utf-8"
    )
    result = run("import", "csv", export, "--map", "Copper ID=external_ids.copper")
    assert result.code == 0, result.err
    assert load(root, "clients/tallow-wick.yaml")["external_ids"] == {"copper": "88"}
    export.write_text(
        "Copper ID,Company,Website\r\n88,Tallow and Wick Ltd,tallow-wick.example.com\r\n",
        encoding="utf-8",
    )
    result = run(
        "import",
        "csv",
        export,
        "--map",
        "Copper ID=external_ids.copper",
        "--on-duplicate",
        "update",
    )
    assert result.code == 0, result.err
    client = load(root, "clients/tallow-wick.yaml")
    assert client["name"] == "Tallow and Wick Ltd"
    assert client["website"] == "tallow-wick.example.com"
    assert sorted(p.name for p in (root / "clients").iterdir()) == ["tallow-wick.yaml"]
    bad = run("import", "csv", export, "--map", "Copper ID=external_ids.Copper!")
    assert bad.code == 2 and "has no field 'external_ids.Copper!'" in bad.err


def test_files_with_external_ids_validate_against_the_schema_as_an_editor_sees_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``hubspot: 5501`` is a number to a YAML 1.2 editor: the schema takes it."""
    import json

    import jsonschema
    from ruamel.yaml import YAML

    from tests.test_schema import SCHEMA_DIR, _editor_view

    root = _week_one(tmp_path, monkeypatch)
    yaml = YAML(typ="safe", pure=True)
    for kind, folder in (("client", "clients"), ("deal", "deals")):
        schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
        for path in sorted((root / folder).glob("*.yaml")):
            data = _editor_view(yaml.load(path.read_text(encoding="utf-8")))
            assert isinstance(data["external_ids"]["hubspot"], int)
            jsonschema.validate(data, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"external_ids": {"HubSpot": "1"}}, schema)
