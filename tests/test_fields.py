"""Custom fields (issue 19): typed keys declared in tcrm.yaml ``fields:``, stored as
top-level keys of the record file, usable wherever a built-in field is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcrm.store.workspace import Workspace
from tests.clitools import load
from tests.conftest import cli, commit_count, git

NOW = "2026-11-23T09:00:00+01:00"

FIELDS = """\
fields:
  client:
    industry: {type: choice, choices: [logistics, retail, health], label: Industry}
    employees: {type: number, label: Employees}
    revenue: {type: money}
    since: {type: date, label: Customer since}
    partner: {type: bool}
    channels: {type: multi, choices: [web, phone, shop]}
    manager: {type: member}
    parent: {type: ref}
    vat: {type: text, label: VAT number}
  deal:
    competitor: {type: text, required_in_stages: [negotiation]}
"""


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace whose tcrm.yaml declares one custom field of each type."""
    root = workspace.root
    settings = root / "tcrm.yaml"
    settings.write_text(settings.read_text() + FIELDS)
    git(root, "commit", "-qam", "declare custom fields")
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    monkeypatch.setenv("TCRM_NOW", NOW)
    for name in ("Acme", "Bolt", "Corner Shop"):
        assert cli("client", "add", name).code == 0
    return root


def test_edit_set_writes_a_declared_field_as_a_top_level_key(ws: Path) -> None:
    """Before custom fields, ``--set industry=retail`` said "client has no field"."""
    before = commit_count(ws)
    result = cli("client", "edit", "acme", "--set", "industry=retail")
    assert result.code == 0, result.err
    assert load(ws, "clients/acme.yaml")["industry"] == "retail"
    assert commit_count(ws) == before + 1
    assert "industry" in git(ws, "show", "--stat", "--format=%s", "HEAD")
