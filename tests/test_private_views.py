"""Private fields in every front end besides ``show``/``list``: exports (csv, json, xlsx,
``export person``) and their re-import, ``tcrm search``, ``tcrm conflicts``, ``tcrm
check``'s warning for a value in clear, and the TUI's edit forms. Readers see the
plaintext, others ``«private»``, nobody the ciphertext (docs/access.md)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tcrm.model.privacy import PRIVATE, is_ciphertext
from tcrm.store.yamlio import dump_fast, load_fast
from tests.clitools import assert_refused, commit_count, git, run, snapshot
from tests.test_private_fields import (  # noqa: F401 (fixtures)
    SECRET,
    age_decrypt,
    keys,
    notes_on_disk,
    private_ws,
    pytestmark,
)

ACME = "clients/acme-logistics.yaml"
DEAL = "acme-logistics-website-relaunch"


def as_member(monkeypatch: pytest.MonkeyPatch, identity: Path) -> None:
    monkeypatch.setenv("TCRM_AGE_IDENTITY", str(identity))


@pytest.fixture
def secret(private_ws: Path) -> Path:  # noqa: F811
    """Acme's notes hold SECRET, encrypted to ann and ben (chloe may not read them)."""
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    assert run("deal", "edit", DEAL, "--set", "notes=floor 20k").code == 0
    return private_ws


# --- exports ---------------------------------------------------------------------------


def csv_notes(text: str, record_id: str) -> str:
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    return rows[record_id]["notes"]


@pytest.mark.parametrize(("member", "expected"), [("ann", SECRET), ("chloe", PRIVATE)])
def test_export_csv_and_json_show_plaintext_to_readers_private_to_others(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    member: str,
    expected: str,
) -> None:
    as_member(monkeypatch, keys[member])
    out = run("export", "csv", "--type", "clients")
    assert out.code == 0, out.err
    assert "BEGIN AGE" not in out.out
    assert csv_notes(out.out, "acme-logistics") == expected
    out = run("export", "json", "--type", "clients")
    assert out.code == 0, out.err
    assert "BEGIN AGE" not in out.out
    acme = next(c for c in json.loads(out.out) if c["id"] == "acme-logistics")
    assert acme["notes"] == expected
    deals = json.loads(run("export", "json", "--type", "deals").out)
    shown = next(d for d in deals if d["id"] == DEAL)["notes"]
    assert shown == ("floor 20k" if member == "ann" else PRIVATE)  # deal.notes: [admin]


def test_export_xlsx_shows_plaintext_to_readers_private_to_others(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import openpyxl

    for member, expected in (("ann", SECRET), ("chloe", PRIVATE)):
        as_member(monkeypatch, keys[member])
        path = tmp_path / f"{member}.xlsx"
        assert run("export", "xlsx", "--type", "clients", "-o", str(path)).code == 0
        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        header = rows[0]
        acme = next(r for r in rows if r[header.index("id")] == "acme-logistics")
        assert acme[header.index("notes")] == expected
        assert not any("BEGIN AGE" in str(v) for r in rows for v in r)


def test_export_person_shows_plaintext_to_readers_private_to_others(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for member, expected in (("ann", SECRET), ("chloe", PRIVATE)):
        as_member(monkeypatch, keys[member])
        out = tmp_path / member
        result = run("export", "person", "acme-logistics", "-o", str(out))
        assert result.code == 0, result.err
        data = json.loads(out.with_name(f"{member}.json").read_text())
        client = next(r for r in data["records"] if r["id"] == "acme-logistics")
        assert client["data"]["notes"] == expected
        markdown = out.with_name(f"{member}.md").read_text()
        assert f"- **notes**: {expected}" in markdown
        for text in (json.dumps(data), markdown):
            assert "BEGIN AGE" not in text


@pytest.mark.parametrize("member", ["ann", "chloe"])
def test_reimporting_an_export_keeps_the_stored_ciphertext(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    member: str,
) -> None:
    """A reader's export holds the plaintext, another member's ``«private»``: importing it
    again (every row matched by its id, fields overwritten) leaves the ciphertext alone."""
    (secret / ACME).write_text((secret / ACME).read_text() + "external_ids:\n  sheet: A1\n")
    git(secret, "commit", "-q", "-am", "acme has an id in another tool")
    as_member(monkeypatch, keys[member])
    before = notes_on_disk(secret)
    path = tmp_path / "clients.json"
    assert run("export", "json", "--type", "clients", "-o", str(path)).code == 0
    rows = json.loads(path.read_text())
    acme = next(r for r in rows if r["id"] == "acme-logistics")
    assert acme["notes"] == (SECRET if member == "ann" else PRIVATE)
    acme["website"] = "https://acme.example"  # a real change, so the row is written
    path.write_text(json.dumps([acme]))
    result = run("import", "json", str(path), "--type", "client", "--on-duplicate", "update")
    assert result.code == 0, result.err
    data = load_fast((secret / ACME).read_text())
    assert data["notes"] == before
    assert data.get("website") == "https://acme.example"
    assert age_decrypt(data["notes"], keys["ann"]).stdout.decode() == SECRET


def test_the_placeholder_with_no_value_to_keep_is_refused(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    as_member(monkeypatch, keys["chloe"])
    path = tmp_path / "new.csv"
    path.write_text(f"name,notes\nNew Client GmbH,{PRIVATE}\n")
    before, commits = snapshot(secret), commit_count(secret)
    result = run("import", "csv", str(path), "--type", "client")
    assert "notes" in result.err and "placeholder" in result.err
    assert_refused(secret, result, before, commits)


def test_a_non_reader_saving_the_placeholder_keeps_the_value(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = notes_on_disk(secret)
    as_member(monkeypatch, keys["chloe"])
    result = run("client", "edit", "acme-logistics", "--set", f"notes={PRIVATE}")
    assert result.code == 0, result.err
    assert notes_on_disk(secret) == before


def test_a_reader_saving_the_same_plaintext_keeps_the_ciphertext(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """age encrypts to a new random key each time: re-encrypting an unchanged value would
    make a diff (and a merge conflict) out of nothing."""
    before = notes_on_disk(secret)
    as_member(monkeypatch, keys["ben"])
    result = run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}")
    assert result.code == 0, result.err
    assert notes_on_disk(secret) == before
    result = run("client", "edit", "acme-logistics", "--set", "notes=changed")
    assert result.code == 0, result.err
    assert age_decrypt(notes_on_disk(secret), keys["ann"]).stdout.decode() == "changed"


# --- search ----------------------------------------------------------------------------


def test_search_never_matches_or_shows_ciphertext(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = notes_on_disk(secret)
    body = stored.splitlines()[1][:12]  # a piece of the armored ciphertext
    for member in ("ann", "chloe"):
        as_member(monkeypatch, keys[member])
        for text in ("BEGIN AGE ENCRYPTED", body):
            result = run("search", text, "--json")
            assert result.code in (0, 1), result.err
            hits = json.loads(result.out)["hits"]
            assert not [h for h in hits if "BEGIN AGE" in h["value"] or h["field"] == "notes"]
    # the notes of a client not private (deal notes of a public kind) are still found
    assert "acme-logistics" in run("search", "Acme").out


# --- conflicts -------------------------------------------------------------------------


def write_conflict(root: Path, keys: dict[str, Path]) -> None:  # noqa: F811
    """acme's notes in conflict: mine = SECRET, theirs = another ciphertext (what a sync
    records when two readers changed the notes)."""
    data = load_fast((root / ACME).read_text())
    theirs = run("client", "edit", "acme-logistics", "--set", "notes=their version")
    assert theirs.code == 0
    their_text = notes_on_disk(root)
    data["conflicts"] = [
        {"field": "notes", "mine": data["notes"], "theirs": their_text, "theirs_by": "Ben"}
    ]
    (root / ACME).write_text(dump_fast(data))
    git(root, "commit", "-q", "-am", "a conflict on the private notes")


def test_conflicts_show_plaintext_to_readers_private_to_others(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_conflict(secret, keys)
    for member, mine, theirs in (
        ("ann", SECRET, "their version"),
        ("chloe", PRIVATE, PRIVATE),
    ):
        as_member(monkeypatch, keys[member])
        listed = run("conflicts", "--json")
        assert listed.code == 0, listed.err
        (entry,) = [c for c in json.loads(listed.out) if c["field"] == "notes"]
        assert (entry["mine"], entry["theirs"]) == (mine, theirs)
        text = run("conflicts")
        assert "BEGIN AGE" not in text.out + text.err
        assert theirs[:20] in text.out
        shown = run("client", "show", "acme-logistics")
        assert "BEGIN AGE" not in shown.out + shown.err
        checked = run("check")
        assert "BEGIN AGE" not in checked.out + checked.err
        assert "conflict in notes" in checked.out
    assert is_ciphertext(load_fast((secret / ACME).read_text())["conflicts"][0]["theirs"])


# --- check -----------------------------------------------------------------------------


def test_check_warns_where_a_private_field_holds_plaintext(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = secret / ACME
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("notes:"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), None)
    lines[start:end] = ["notes: written by hand, in clear\n"]
    path.write_text("".join(lines))
    git(secret, "commit", "-q", "-am", "notes in clear, by hand")
    result = run("check")
    assert result.code == 0, result.out + result.err
    warning = f"tcrm: warning: {ACME}:{start + 1}: notes: "
    found = [w for w in result.err.splitlines() if w.startswith(warning)]
    assert found, result.err
    assert "private" in found[0] and "tcrm rekey" in found[0]
    as_json = json.loads(run("check", "--json").out)
    assert {"path": ACME, "line": start + 1} in [
        {"path": w["path"], "line": w["line"]} for w in as_json["warnings"]
    ]
    assert run("rekey").code == 0
    after = run("check")
    assert not [w for w in after.err.splitlines() if w.startswith(f"tcrm: warning: {ACME}")]


def test_check_is_quiet_about_encrypted_values(secret: Path) -> None:
    result = run("check", "--json")
    warned = {w["path"] for w in json.loads(result.out)["warnings"]}
    assert ACME not in warned and f"deals/{DEAL}.yaml" not in warned


# --- the TUI's edit forms --------------------------------------------------------------


def test_tui_deal_form_reader_edits_plaintext_and_it_is_saved_encrypted(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.pilot import Pilot
    from textual.widgets import Input

    from tcrm.tui.screens.forms import DealEditForm
    from tests.test_tui_pilot import drive, make_app, settle, type_into

    as_member(monkeypatch, keys["ann"])  # deal.notes: [admin] = ann
    app = make_app(secret)
    commits = commit_count(secret)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.push_screen(DealEditForm(app.ws.get("deal", DEAL)))
        await settle(pilot)
        notes = app.screen.query_one("#field-notes", Input)
        assert notes.value == "floor 20k" and not notes.disabled
        await type_into(pilot, "#field-notes", "floor 25k")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, DealEditForm)

    drive(app, scenario)
    stored = load_fast((secret / "deals" / f"{DEAL}.yaml").read_text())["notes"]
    assert is_ciphertext(stored)
    assert age_decrypt(stored, keys["ann"]).stdout.decode() == "floor 25k"
    assert commit_count(secret) == commits + 1
    assert "floor 25k" not in git(secret, "log", "-p", "-1")


def test_tui_deal_form_shows_private_read_only_to_others(
    secret: Path,
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.pilot import Pilot
    from textual.widgets import Input

    from tcrm.tui.screens.forms import DealEditForm
    from tests.test_tui_pilot import drive, make_app, settle, type_into

    as_member(monkeypatch, keys["ben"])  # not an admin: may not read deal notes
    before = load_fast((secret / "deals" / f"{DEAL}.yaml").read_text())["notes"]
    app = make_app(secret)

    async def scenario(pilot: Pilot[Any]) -> None:
        app.push_screen(DealEditForm(app.ws.get("deal", DEAL)))
        await settle(pilot)
        notes = app.screen.query_one("#field-notes", Input)
        assert notes.value == PRIVATE and notes.disabled
        assert "BEGIN AGE" not in notes.value
        await type_into(pilot, "#field-title", "Website relaunch, phase 2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, DealEditForm)

    drive(app, scenario)
    data = load_fast((secret / "deals" / f"{DEAL}.yaml").read_text())
    assert data["title"] == "Website relaunch, phase 2"
    assert data["notes"] == before


def test_check_reports_a_malformed_private_fields_declaration(secret: Path) -> None:
    settings = secret / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("deal.notes: [admin]", "deal.notes: admin"))
    git(secret, "commit", "-q", "-am", "readers not a list")
    result = run("check")
    assert result.code == 1
    assert "tcrm.yaml: private_fields: deal.notes: a list of member ids or role names" in (
        result.out
    )
    assert "Traceback" not in result.err
