"""Workspaces for the other-CRM import tests: the default settings, a team whose names
match the exports' owners, and each tool's default pipeline (a team moving from a CRM
sets up its stages first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "vendors"
TEMPLATE = ROOT / "tcrm" / "services" / "templates" / "tcrm.yaml"
NOW = "2026-12-07T10:00:00+00:00"

TEAM = """team:
- id: jane
  name: Jane Doe
  email: jane@example.com
- id: omar
  name: Omar Haddad
  email: omar@example.com
"""

PIPELINES = {
    "hubspot": (
        "Sales Pipeline",
        [
            "Appointment Scheduled",
            "Qualified To Buy",
            "Presentation Scheduled",
            "Decision Maker Bought-In",
            "Contract Sent",
        ],
    ),
    "pipedrive": (
        "Pipeline",
        ["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"],
    ),
    "salesforce": (
        "Opportunities",
        [
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Proposal/Price Quote",
            "Negotiation/Review",
        ],
    ),
    "zoho": (
        "Standard",
        [
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Identify Decision Makers",
            "Proposal/Price Quote",
            "Negotiation/Review",
        ],
    ),
}


def settings_text(tool: str | None) -> str:
    """The default tcrm.yaml with the team, and ``tool``'s pipeline as the default one."""
    text = TEMPLATE.read_text(encoding="utf-8").replace("team: []\n", TEAM)
    if tool is None:
        return text
    name, stages = PIPELINES[tool]
    lines = [f"- id: {tool}", f"  name: {name}", "  stages:"]
    for i, stage in enumerate(stages):
        slug = stage.lower().replace("/", "-").replace(" ", "-")
        lines += [f"  - id: {slug}", f"    name: {stage}", f"    probability: {10 + 15 * i}"]
    text = text.replace("pipelines:\n", "pipelines:\n" + "\n".join(lines) + "\n", 1)
    return text.replace("currency: EUR\n", f"currency: EUR\ndefault_pipeline: {tool}\n", 1)


def vendor_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tool: str | None) -> Path:
    """A fresh git workspace for ``tool``'s exports, with a fixed clock and identity."""
    for var, value in {
        "TCRM_NOW": NOW,
        "GIT_AUTHOR_NAME": "Ann Tester",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann Tester",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }.items():
        monkeypatch.setenv(var, value)
    template = tmp_path / "template"
    template.mkdir()
    (template / "tcrm.yaml").write_text(settings_text(tool), encoding="utf-8")
    root = init_workspace(tmp_path / "ws", template=template).root
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    return root


def records(root: Path, kind: str) -> dict[str, dict[str, object]]:
    return {r.id: r.to_data() for r in Workspace(root).load_all(kind)}
