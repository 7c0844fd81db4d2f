"""Private fields encrypted with age: written encrypted, readable by their readers only
(across clones with different identities), ``tcrm rekey`` after a member leaves. The
``age`` CLI is the independent reader of every ciphertext."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tcrm.model.privacy import PRIVATE, UNREADABLE, is_ciphertext
from tcrm.store.yamlio import load_fast
from tests.clitools import assert_refused, commit_count, git, run, snapshot

pytestmark = pytest.mark.skipif(
    shutil.which("age") is None or shutil.which("age-keygen") is None,
    reason="needs the age CLI (Debian package age)",
)

SECRET = "Pays late; CFO is difficult. Margin floor 18%."


def keygen(path: Path) -> str:
    """A new age identity file at ``path``; its public key."""
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    done = subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True)
    return done.stdout.decode().strip()


def age_decrypt(armored: str, identity: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["age", "--decrypt", "--identity", str(identity)],
        input=armored.encode(),
        capture_output=True,
        check=False,
    )


def declare(root: Path, keys: dict[str, str], readers: str) -> None:
    """Members' public keys, an admin role, and private client and deal notes."""
    settings = root / "tcrm.yaml"
    text = settings.read_text(encoding="utf-8")
    for member, key in keys.items():
        text = text.replace(f"- id: {member}\n", f"- id: {member}\n  age_recipient: {key}\n", 1)
    text += (
        f"\naccess:\n  roles:\n    admin: [ann]\n"
        f"private_fields:\n  client.notes: {readers}\n  deal.notes: [admin]\n"
    )
    settings.write_text(text, encoding="utf-8")
    git(root, "commit", "-q", "-am", "settings: private notes")


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "keys"  # outside the workspace, as a member's config would be
    folder.mkdir()
    return {m: folder / f"{m}.txt" for m in ("ann", "ben", "chloe")}


@pytest.fixture
def private_ws(sample_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    public = {m: keygen(p) for m, p in keys.items()}
    declare(sample_ws, public, "[admin, ben]")
    monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys["ann"]))
    return sample_ws


def notes_on_disk(root: Path, client: str = "acme-logistics") -> str:
    return load_fast((root / "clients" / f"{client}.yaml").read_text(encoding="utf-8"))["notes"]


def show_notes(monkeypatch: pytest.MonkeyPatch, identity: Path | None) -> str:
    if identity is None:
        monkeypatch.delenv("TCRM_AGE_IDENTITY", raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    else:
        monkeypatch.setenv("TCRM_AGE_IDENTITY", str(identity))
    result = run("client", "show", "acme-logistics", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["client"]["notes"]


def test_a_write_stores_ciphertext_that_age_decrypts_for_readers_only(
    private_ws: Path, keys: dict[str, Path]
) -> None:
    result = run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}")
    assert result.code == 0, result.err
    raw = (private_ws / "clients" / "acme-logistics.yaml").read_text()
    assert SECRET not in raw and SECRET not in git(private_ws, "log", "-p", "-1")
    stored = notes_on_disk(private_ws)
    assert is_ciphertext(stored)
    for reader in ("ann", "ben"):
        plain = age_decrypt(stored, keys[reader])
        assert plain.returncode == 0, plain.stderr
        assert plain.stdout.decode() == SECRET
    assert age_decrypt(stored, keys["chloe"]).returncode != 0
    assert run("check").code == 0


def test_readers_see_the_value_others_see_private(
    private_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    assert show_notes(monkeypatch, keys["ann"]) == SECRET
    assert show_notes(monkeypatch, keys["ben"]) == SECRET
    assert show_notes(monkeypatch, keys["chloe"]) == PRIVATE
    assert show_notes(monkeypatch, None) == PRIVATE
    monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys["chloe"]))
    text = run("client", "show", "acme-logistics")
    assert text.code == 0 and PRIVATE in text.out and "BEGIN AGE" not in text.out
    listed = run("client", "list", "--json")
    acme = next(c for c in json.loads(listed.out) if c["id"] == "acme-logistics")
    assert acme["notes"] == PRIVATE


def test_deal_notes_readable_by_the_admin_role_only(
    private_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = "acme-logistics-website-relaunch"
    assert run("deal", "edit", deal, "--set", "notes=floor 20k").code == 0
    stored = load_fast((private_ws / "deals" / f"{deal}.yaml").read_text())["notes"]
    assert age_decrypt(stored, keys["ann"]).stdout.decode() == "floor 20k"
    assert age_decrypt(stored, keys["ben"]).returncode != 0  # deal.notes: [admin] = ann
    for member, expected in (("ann", "floor 20k"), ("ben", PRIVATE)):
        monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys[member]))
        shown = json.loads(run("deal", "show", deal, "--json").out)
        assert shown["notes"] == expected
        listed = json.loads(run("deal", "list", "--all", "--json").out)
        assert next(d for d in listed if d["id"] == deal)["notes"] == expected


def test_editing_another_field_keeps_the_ciphertext(private_ws: Path) -> None:
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    before = notes_on_disk(private_ws)
    assert (
        run("client", "edit", "acme-logistics", "--set", "website=https://acme.example").code == 0
    )
    assert notes_on_disk(private_ws) == before


def test_a_member_without_a_key_cannot_be_a_reader(
    sample_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(sample_ws, {"ann": keygen(keys["ann"])}, "[ann, ben]")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}")
    assert "'ben'" in result.err and "age_recipient" in result.err
    assert_refused(sample_ws, result, before, commits)


def test_corrupted_ciphertext_is_an_error_on_that_field_only(
    private_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    path = private_ws / "clients" / "acme-logistics.yaml"
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    # The last armored line is the payload's end (its authentication tag): corrupting it
    # breaks the message for every reader alike. A line of the header would break only one
    # recipient's stanza, which reads as "not for this identity" when it is the reader's.
    last = next(i for i, line in enumerate(lines) if "END AGE" in line) - 1
    k = len(lines[last]) - len(lines[last].lstrip())
    lines[last] = lines[last][:k] + ("A" if lines[last][k] != "A" else "B") + lines[last][k + 1 :]
    path.write_text("".join(lines))
    result = run("client", "show", "acme-logistics", "--json")
    assert result.code == 0, result.err
    card = json.loads(result.out)
    assert card["client"]["notes"] == UNREADABLE
    assert card["client"]["name"] == "Acme Logistics"
    assert card["contacts"][0]["name"] == "Jana Krüger"
    warnings = [line for line in result.err.splitlines() if line.startswith("tcrm: warning:")]
    assert any("clients/acme-logistics.yaml: notes: cannot decrypt" in w for w in warnings)


def test_rekey_after_a_member_leaves(
    private_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    assert (
        run("deal", "edit", "acme-logistics-website-relaunch", "--set", "notes=floor 20k").code == 0
    )
    old = notes_on_disk(private_ws)
    assert age_decrypt(old, keys["ben"]).returncode == 0
    settings = private_ws / "tcrm.yaml"
    settings.write_text(
        settings.read_text().replace("client.notes: [admin, ben]", "client.notes: [admin]")
    )
    git(private_ws, "commit", "-q", "-am", "settings: ben no longer reads client notes")
    commits = commit_count(private_ws)
    result = run("rekey", "--json")
    assert result.code == 0, result.err
    assert commit_count(private_ws) == commits + 1
    counts = json.loads(result.out)
    # acme's notes, the deal's, and every other client's notes (in clear until now)
    assert counts["records"] >= 2 and counts["recipients"]["client.notes"] == 1
    new = notes_on_disk(private_ws)
    assert new != old
    assert age_decrypt(new, keys["ben"]).returncode != 0
    assert age_decrypt(new, keys["ann"]).stdout.decode() == SECRET
    # notes that were in clear before the field was private are encrypted now
    other = notes_on_disk(private_ws, "dr-sophie-lindner")
    assert is_ciphertext(other)
    assert "calm, accessible site" in age_decrypt(other, keys["ann"]).stdout.decode()
    assert run("check").code == 0


def test_rekey_refuses_when_it_cannot_read_a_value(
    private_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys["chloe"]))
    before, commits = snapshot(private_ws), commit_count(private_ws)
    result = run("rekey")
    assert "clients/acme-logistics.yaml: notes: cannot decrypt" in result.err
    assert_refused(private_ws, result, before, commits)


def test_private_notes_across_clones_and_an_opaque_merge(
    private_ws: Path, keys: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(private_ws), str(bare))
    assert run("remote", "add", "origin", str(bare)).code == 0
    clones = {}
    for member in ("ben", "chloe"):
        clones[member] = tmp_path / member
        assert run("clone", str(bare), str(clones[member])).code == 0
    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    assert run("sync").code == 0
    for member, expected in (("ben", SECRET), ("chloe", PRIVATE)):
        monkeypatch.setenv("TCRM_WORKSPACE", str(clones[member]))
        assert run("sync").code == 0
        assert show_notes(monkeypatch, keys[member]) == expected
    # ann and ben both change the private notes: a conflict, not a mixed ciphertext
    monkeypatch.setenv("TCRM_WORKSPACE", str(clones["ben"]))
    monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys["ben"]))
    assert run("client", "edit", "acme-logistics", "--set", "notes=ben's version").code == 0
    assert run("sync").code == 0
    monkeypatch.setenv("TCRM_WORKSPACE", str(private_ws))
    monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys["ann"]))
    assert run("client", "edit", "acme-logistics", "--set", "notes=ann's version").code == 0
    synced = run("sync", "--json")
    assert synced.code == 3, synced.err  # conflicts open
    (reported,) = json.loads(synced.out)["conflicts"]
    assert (reported["mine"], reported["theirs"]) == (PRIVATE, PRIVATE)  # never ciphertext
    data = load_fast((private_ws / "clients" / "acme-logistics.yaml").read_text())
    (conflict,) = data["conflicts"]
    assert conflict["field"] == "notes"
    assert is_ciphertext(conflict["mine"]) and is_ciphertext(conflict["theirs"])
    assert age_decrypt(conflict["theirs"], keys["ann"]).stdout.decode() == "ben's version"
    assert is_ciphertext(data["notes"])


def test_the_json_schemas_accept_the_encrypted_form(private_ws: Path) -> None:
    import jsonschema

    from tests.clitools import ROOT

    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    from tests.test_schema import YAML, _editor_view  # read as an editor reads them

    yaml = YAML(typ="safe", pure=True)
    client = _editor_view(yaml.load((private_ws / "clients" / "acme-logistics.yaml").read_text()))
    settings = _editor_view(yaml.load((private_ws / "tcrm.yaml").read_text()))
    for data, name in ((client, "client"), (settings, "settings")):
        schema = json.loads((ROOT / "schema" / f"{name}.schema.json").read_text())
        jsonschema.validate(data, schema)
    assert is_ciphertext(client["notes"])


def test_the_tui_client_card_shows_private_to_others(
    private_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI's card is built from ``clients.client_card``, as the CLI's is."""
    from datetime import datetime

    from tcrm.services.clients import client_card
    from tcrm.store.workspace import Workspace
    from tcrm.tui.screens.client_card import details

    assert run("client", "edit", "acme-logistics", "--set", f"notes={SECRET}").code == 0
    now = datetime.fromisoformat("2026-11-23T09:00:00+01:00")
    for member, expected in (("ann", SECRET), ("chloe", PRIVATE)):
        monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys[member]))
        card = client_card(Workspace(private_ws), ref="acme-logistics", now=now)
        assert f"notes: {expected}" in details(card.client)


def test_a_custom_field_declared_private_on_its_definition(
    private_ws: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Custom fields are top-level keys of the record; ``private:`` on the definition."""
    settings = private_ws / "tcrm.yaml"
    settings.write_text(
        settings.read_text() + "fields:\n  client:\n    salary_band:\n"
        "      type: text\n      private: [admin]\n"
    )
    client = private_ws / "clients" / "acme-logistics.yaml"
    client.write_text(client.read_text() + "salary_band: B7\n")
    git(private_ws, "commit", "-q", "-am", "salary band, in clear for now")
    assert run("rekey").code == 0
    stored = load_fast(client.read_text())["salary_band"]
    assert is_ciphertext(stored)
    assert age_decrypt(stored, keys["ann"]).stdout.decode() == "B7"
    assert age_decrypt(stored, keys["ben"]).returncode != 0
    for member, expected in (("ann", "B7"), ("ben", PRIVATE)):
        monkeypatch.setenv("TCRM_AGE_IDENTITY", str(keys[member]))
        shown = json.loads(run("client", "show", "acme-logistics", "--json").out)
        assert shown["client"]["salary_band"] == expected
