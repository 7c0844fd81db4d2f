"""``tcrm team`` (the members in tcrm.yaml), ``tcrm kb`` (the knowledge base) and the next
steps ``tcrm init`` prints: each change one commit, each refusal one line and no change."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from tests.clitools import assert_refused, commit_count, git, run, snapshot


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    result = run("init", tmp_path / "crm", "--name", "Fresh Co")
    assert result.code == 0, result.err
    return tmp_path / "crm"


def test_team_add_list_and_rm_each_commit_once(fresh: Path) -> None:
    commits = commit_count(fresh)
    added = run(
        "-w", fresh, "team", "add", "ann", "--name", "Ann Becker", "--email", "ann@example.com"
    )
    assert added.code == 0, added.err
    assert "Added ann (Ann Becker) to the team" in added.err
    added = run(
        "-w", fresh, "team", "add", "ben", "--name", "Ben Okafor", "--timezone", "America/New_York"
    )
    assert added.code == 0, added.err
    assert commit_count(fresh) == commits + 2
    assert git(fresh, "log", "-1", "--format=%s").strip() == "team: add ben (Ben Okafor)"
    listed = json.loads(run("-w", fresh, "team", "list", "--json").out)
    assert listed == [
        {"id": "ann", "name": "Ann Becker", "email": "ann@example.com"},
        {"id": "ben", "name": "Ben Okafor", "timezone": "America/New_York"},
    ]
    assert run("-w", fresh, "check").code == 0
    # the settings file keeps its comments
    assert "# Team members own deals" in (fresh / "tcrm.yaml").read_text()

    removed = run("-w", fresh, "team", "rm", "ben")
    assert removed.code == 0, removed.err
    assert [m["id"] for m in json.loads(run("-w", fresh, "team", "list", "--json").out)] == ["ann"]
    assert git(fresh, "log", "-1", "--format=%s").strip() == "team: remove ben (Ben Okafor)"
    assert git(fresh, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ann", "--name", "Ann Again"], "'ann' is a team member already"),
        (["zed", "--name", "Zed", "--email", "ANN@northwind.studio"], "--email"),
        (["zed", "--name", "Zed", "--timezone", "Mars/Olympus"], "--timezone"),
        (["../x", "--name", "Zed"], "ID"),
    ],
)
def test_team_add_refusals_change_nothing(sample_ws: Path, args: list[str], says: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("-w", sample_ws, "team", "add", *args)
    assert_refused(sample_ws, result, before, commits)
    assert says in result.err


def test_team_rm_is_refused_while_records_name_the_member(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("-w", sample_ws, "team", "rm", "ben")
    assert_refused(sample_ws, result, before, commits)
    assert "'ben' is named by" in result.err
    assert " in deals" in result.err and " in tasks" in result.err and "(owner)" in result.err
    unknown = run("-w", sample_ws, "team", "rm", "nobody")
    assert_refused(sample_ws, unknown, before, commits)
    assert "no team member 'nobody'" in unknown.err


def test_owners_on_an_empty_team_are_named_when_the_first_member_is_added(fresh: Path) -> None:
    """Members are checked once the team has some: the first `team add` says who records
    name that the team does not hold, and check lists those records."""
    added = run("-w", fresh, "client", "add", "Acme", "--owner", "alex")
    assert added.code == 0, added.err
    assert run("-w", fresh, "check").code == 0
    result = run("-w", fresh, "team", "add", "ann", "--name", "Ann Becker")
    assert result.code == 0, result.err
    assert "records name 1 people not in the team: alex" in result.err
    checked = run("-w", fresh, "check")
    assert checked.code == 1
    assert "'alex' is not a team member (ann)" in checked.out + checked.err
    refused = run("-w", fresh, "client", "add", "Beta", "--owner", "alex")
    assert refused.code != 0 and "not a team member" in refused.err


def test_init_prints_the_next_three_commands(tmp_path: Path) -> None:
    result = run("init", tmp_path / "crm")
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("Next, in ")))
    steps = [line.strip() for line in lines[at + 1 :]]
    assert len(steps) == 3
    assert steps[0].startswith("tcrm team add ")
    assert steps[1].startswith("tcrm client add ")
    assert steps[2].startswith("tcrm deal add ")


# --- the knowledge base ------------------------------------------------------------------


def test_kb_list_show_and_search(sample_ws: Path) -> None:
    listed = json.loads(run("-w", sample_ws, "kb", "list", "--json").out)
    assert {"name": "objection-handling.md", "title": "Objection handling FAQ"} in listed
    shown = run("-w", sample_ws, "kb", "show", "objection-handling")
    assert shown.code == 0, shown.err
    assert shown.out.startswith("# Objection handling FAQ")
    page = json.loads(run("-w", sample_ws, "kb", "show", "objection-handling.md", "--json").out)
    assert page["text"] == (sample_ws / "kb" / "objection-handling.md").read_text()
    found = json.loads(run("-w", sample_ws, "kb", "search", "OBJECTION", "--json").out)
    assert found[0]["name"] == "objection-handling.md" and found[0]["count"] >= 1
    missing = run("-w", sample_ws, "kb", "show", "nope")
    assert missing.code != 0 and "no knowledge base page 'nope.md'" in missing.err


def test_search_finds_kb_pages_ranked_with_records(sample_ws: Path) -> None:
    result = json.loads(run("-w", sample_ws, "search", "objection", "--json").out)
    kb = [h for h in result["hits"] if h["kind"] == "kb"]
    assert kb and kb[0]["id"] == "objection-handling.md"
    assert kb[0]["label"] == "Objection handling FAQ"
    only = json.loads(run("-w", sample_ws, "search", "discovery", "--kind", "kb", "--json").out)
    assert {h["kind"] for h in only["hits"]} == {"kb"}
    assert only["hits"][0]["id"] == "discovery-call-script.md"
    none = json.loads(run("-w", sample_ws, "search", "objection", "--kind", "deal", "--json").out)
    assert all(h["kind"] == "deal" for h in none["hits"])


def _editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that appends ``body`` to the file it is given, as a person would type."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        f"body = {body!r}\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as f:\n"
        "    f.write(body)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return f"{sys.executable} {script}"


def test_kb_new_writes_the_page_in_one_commit(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "Say what the price buys.\n"))
    monkeypatch.delenv("VISUAL", raising=False)
    commits = commit_count(sample_ws)
    result = run("-w", sample_ws, "kb", "new", "Pricing questions")
    assert result.code == 0, result.err
    page = sample_ws / "kb" / "pricing-questions.md"
    assert page.read_text() == "# Pricing questions\n\nSay what the price buys.\n"
    assert commit_count(sample_ws) == commits + 1
    assert git(sample_ws, "log", "-1", "--format=%s").strip() == (
        "kb pricing-questions.md: add (Pricing questions)"
    )
    assert git(sample_ws, "status", "--porcelain") == ""
    found = json.loads(run("-w", sample_ws, "search", "price buys", "--json").out)
    assert found["hits"][0]["id"] == "pricing-questions.md"

    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    again = run("-w", sample_ws, "kb", "new", "Pricing questions")
    assert_refused(sample_ws, again, before, commits)
    assert "exists already" in again.err


def test_kb_new_left_unchanged_writes_nothing(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, ""))
    monkeypatch.delenv("VISUAL", raising=False)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("-w", sample_ws, "kb", "new", "Nothing to say")
    assert_refused(sample_ws, result, before, commits)
    assert "nothing was written" in result.err
    assert not os.path.exists(sample_ws / "kb" / "nothing-to-say.md")


@pytest.mark.parametrize("member", ["ann", "ben", "chloe"])
def test_team_rm_keeps_every_comment_of_tcrm_yaml(tmp_path: Path, member: str) -> None:
    """Removing the first, a middle or the last member (the one before the pipelines'
    heading comment) changes only that member's lines."""
    result = run("init", tmp_path / "crm")
    assert result.code == 0, result.err
    root = tmp_path / "crm"
    for who in ("ann", "ben", "chloe"):
        assert run("-w", root, "team", "add", who, "--name", who.title()).code == 0
    text = (root / "tcrm.yaml").read_text()
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert run("-w", root, "team", "rm", member).code == 0
    after = (root / "tcrm.yaml").read_text()
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == comments
    assert f"id: {member}\n" not in after
    assert run("-w", root, "check").code == 0


def test_removing_the_last_member_leaves_an_empty_team_and_the_comments(fresh: Path) -> None:
    assert run("-w", fresh, "team", "add", "ann", "--name", "Ann").code == 0
    comments = [ln for ln in (fresh / "tcrm.yaml").read_text().splitlines() if ln.startswith("#")]
    assert run("-w", fresh, "team", "rm", "ann").code == 0
    after = (fresh / "tcrm.yaml").read_text()
    assert "team: []\n" in after
    assert [ln for ln in after.splitlines() if ln.startswith("#")] == comments
    assert run("-w", fresh, "check").code == 0
