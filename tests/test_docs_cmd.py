"""``tcrm docs``: the workspace's configuration as Markdown, with a changelog from git."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from tcrm.store.workspace import Workspace
from tests.clitools import commit_count, run, snapshot, status_clean

STAGES = """\
| # | Stage | Id | Win probability | Rots after | Required | Tasks on entry |
|---|---|---|---|---|---|---|
| 1 | Lead | `lead` | 10% | 14 days | - | - |
| 2 | Qualified | `qualified` | 25% | 14 days | - | \
Schedule a discovery call (within 2 days, high) |
| 3 | Proposal | `proposal` | 50% | 10 days | amount | Send the proposal (within 2 days, high); \
Follow up on the proposal (within 7 days, medium) |
| 4 | Negotiation | `negotiation` | 75% | 7 days | amount, close_date | - |
"""

MATRIX = """\
| from \\ to | lead | qualified | proposal | negotiation |
|---|---|---|---|---|
| **lead** | — | ✓ | ✓ |  |
| **qualified** | ✓ | — | ✓ | ✓ |
| **proposal** |  | ✓ | — | ✓ |
| **negotiation** |  |  | ✓ | — |
"""


def test_docs_on_the_sample_workspace_has_the_stage_table_and_transition_matrix(sample_ws) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("docs")
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("# Northwind Studio: workspace documentation\n")
    assert "## Sales (`sales`) (the default)\n" in text
    assert STAGES in text
    assert MATRIX in text
    assert "## Partnerships (`partnerships`)\n" in text
    assert "No transition matrix: a deal may move from any stage to any other." in text
    assert "| 2 | Pilot | `pilot` | 40% | 45 days | - | - |" in text
    assert "**lost** (it needs a reason: price, timing, competitor" in text
    assert "## Regions (`regions`)\n\n- DACH\n- France\n" in text
    assert "| `ben` | Ben Okafor | ben@northwind.studio | America/New_York |" in text
    assert "| activities (call) | 20 | per week | every member |" in text
    assert "# Configuration changelog" in text
    assert "init: tcrm workspace from sample_workspace" in text
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_docs_writes_one_page_per_file(sample_ws, tmp_path) -> None:
    out = tmp_path / "site"
    result = run("docs", "-o", out)
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == [
        "changelog.md",
        "index.md",
        "lists.md",
        "pipelines.md",
        "team.md",
    ]
    index = (out / "index.md").read_text(encoding="utf-8")
    assert "- [Pipelines](pipelines.md)\n" in index
    assert "| Default pipeline | Sales |" in index
    assert MATRIX in (out / "pipelines.md").read_text(encoding="utf-8")
    assert "Wrote 5 page(s)" in result.err
    assert status_clean(sample_ws)


def test_docs_json_lists_the_pages(sample_ws) -> None:
    result = run("docs", "--json")
    assert result.code == 0
    pages = json.loads(result.out)["pages"]
    assert [(p["name"], p["title"]) for p in pages] == [
        ("index.md", "Northwind Studio"),
        ("pipelines.md", "Pipelines"),
        ("lists.md", "Reference lists"),
        ("team.md", "Team and goals"),
        ("changelog.md", "Configuration changelog"),
    ]
    assert STAGES in pages[1]["markdown"]


def test_the_changelog_explains_each_settings_change(sample_ws) -> None:
    ws = Workspace(sample_ws)
    text = (sample_ws / "tcrm.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "  - id: proposal\n    name: Proposal\n    probability: 50\n",
        "  - id: proposal\n    name: Proposal\n    probability: 55\n",
    ).replace("  - retainer\n", "  - retainer\n  - partner-led\n")
    assert changed != text
    when = datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    with ws.transaction("settings: proposals win more often", when) as tx:
        tx.write_text("tcrm.yaml", changed)
    page = json.loads(run("docs", "--json").out)["pages"][-1]["markdown"]
    entry = page.split("## 2026-11-20 15:30: settings: proposals win more often\n", 1)[1]
    entry = entry.split("\n## ", 1)[0]
    assert "By Ann Tester, commit `" in entry
    assert "- `pipelines[sales].stages[proposal].probability`: `50` → `55`" in entry
    assert "- `lists.tags`: added `partner-led`\n" in entry
    assert "| 3 | Proposal | `proposal` | 55% |" in run("docs").out
