"""``tcrm export csv|json|vcard``: round trips into a fresh workspace, safe CSV, atomic files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tcrm.io.csvio import escape, unescape
from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tests.clitools import (
    SAMPLE,
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)

KINDS = ("clients", "deals", "tasks", "activities")
SINGULAR = {"clients": "client", "deals": "deal", "tasks": "task", "activities": "activity"}


def fresh_workspace(tmp_path: Path) -> Path:
    """An empty workspace with the sample's settings (pipelines, lists, team)."""
    template = tmp_path / "template"
    template.mkdir()
    shutil.copy(SAMPLE / "tcrm.yaml", template / "tcrm.yaml")
    return init_workspace(tmp_path / "fresh", template=template).root


def records(root: Path, kind: str) -> dict[str, dict[str, object]]:
    ws = Workspace(root)
    return {r.id: r.to_data() for r in ws.load_all(kind)}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_must_show_export_then_import_round_trips_all_four_record_types(
    sample_ws: Path, tmp_path: Path, fmt: str
) -> None:
    files = {}
    for kind in KINDS:
        path = tmp_path / f"{kind}.{fmt}"
        result = run("export", fmt, "--type", kind, "-o", path)
        assert result.code == 0, result.err
        files[kind] = path
    fresh = fresh_workspace(tmp_path)
    for kind in KINDS:  # clients first: deals, tasks and activities point at them
        result = run("-w", fresh, "import", fmt, files[kind], "--type", kind, "--json")
        assert result.code == 0, result.err
        report = json.loads(result.out)
        count = len(report["created"])
        assert git(fresh, "log", "-1", "--format=%s").strip() == (
            f"import: {count} {kind if count != 1 else SINGULAR[kind]} from {files[kind].name}"
        )
        assert status_clean(fresh)
    for kind in KINDS:
        original, copy = records(sample_ws, SINGULAR[kind]), records(fresh, SINGULAR[kind])
        assert copy.keys() == original.keys(), kind  # ids are free in a fresh workspace: kept
        assert copy == original, kind
    # Byte for byte, even: the same stable YAML form.
    for path in sorted((sample_ws / "deals").iterdir()):
        assert (fresh / "deals" / path.name).read_bytes() == path.read_bytes()


def test_must_show_a_formula_name_is_exported_as_inert_text(
    sample_ws: Path, tmp_path: Path
) -> None:
    name = '=HYPERLINK("http://x","y")'
    added = run("client", "add", name, "--force")
    assert added.code == 0, added.err
    new_id = added.out.strip()
    result = run("export", "csv", "--where", f"id={new_id}")
    assert result.code == 0, result.err
    table = list(csv.reader(io.StringIO(result.out)))
    header, row = table[0], table[1]
    assert row[header.index("name")] == "'" + name  # shown as text by Excel and LibreOffice
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    # ...and read back as the name it was.
    path = tmp_path / "c.csv"
    path.write_text(result.out, encoding="utf-8", newline="")
    fresh = fresh_workspace(tmp_path)
    imported = run("-w", fresh, "import", "csv", path, "--json")
    assert imported.code == 0, imported.err
    assert json.loads(imported.out)["created"][0]["name"] == name


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=already", "''=already"),
        ("plain", "plain"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_formula_escaping_and_its_inverse(value: str, safe: str) -> None:
    assert escape(value) == safe
    assert unescape(safe) == value


def test_bom_delimiter_and_atomic_output_file_change_nothing_in_the_workspace(
    sample_ws: Path, tmp_path: Path
) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    out = tmp_path / "excel.csv"
    result = run("export", "csv", "--type", "deals", "--bom", "--delimiter", ";", "-o", out)
    assert result.code == 0, result.err
    assert result.out == ""
    assert result.err.strip() == f"Exported 40 deals to {out}."
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["id", "title", "client", "pipeline", "stage"]
    assert len(rows) == 41
    assert not list(tmp_path.glob(".excel.csv.*"))  # no temp file left behind
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_where_filters_and_list_cells(sample_ws: Path) -> None:
    result = run("export", "csv", "--where", "source=referral", "--where", "tag:enterprise")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows and all(r["source"] == "referral" for r in rows)
    assert all("enterprise" in r["tags"].split("; ") for r in rows)
    contacts = json.loads(rows[0]["contacts"])
    assert isinstance(contacts, list) and "name" in contacts[0]


def test_export_json_is_the_records_with_their_ids(sample_ws: Path) -> None:
    result = run("export", "json", "--type", "tasks", "--where", "status=open")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data and all(t["status"] == "open" for t in data)
    first = data[0]
    assert set(first) >= {"id", "title", "status"}
    assert (Path(str(Workspace.open().root)) / "tasks" / f"{first['id']}.yaml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["vcard", "--type", "deals"], "vCards hold clients and their contact people, not deals"),
        (["csv", "--type", "notes"], "unknown record type 'notes'"),
        (["csv", "--where", "colour=red"], "client has no field 'colour'"),
        (["vcard", "--vcard-version", "2.1"], "--vcard-version '2.1': one of 3.0, 4.0"),
        (["csv", "--delimiter", "xy"], "--delimiter 'xy'"),
    ],
)
def test_bad_export_options_are_refused(sample_ws: Path, args: list[str], message: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("export", *args)
    assert_refused(sample_ws, result, before, commits)
    assert message in result.err
