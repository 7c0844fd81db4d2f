"""Standard times and escalation: one escalation task per stay past ``max_days``, the same
in every clone, and ``report aging`` showing stays against the standard time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import commit_count, git, run
from tests.teamtools import assert_healthy, sync

TEAM = """team:
- {id: ann, name: Ann Becker}
- {id: ben, name: Ben Okafor}
- {id: chloe, name: Chloe Martin}
"""


def configure(root: Path, lead: str = "", qualified_task: str = "") -> None:
    """Team members, and standard times on the lead stage and the qualified stage's task."""
    path = root / "tcrm.yaml"
    text = path.read_text().replace("team: []\n", TEAM)
    marker = "  - id: lead\n    name: Lead\n    probability: 10\n    rotting_days: 14\n"
    assert marker in text
    text = text.replace(marker, marker + lead)
    template = "    - title: Schedule a discovery call\n      due_in_days: 2\n"
    assert template in text
    text = text.replace(template, template + qualified_task)
    path.write_text(text)
    git(root, "commit", "-q", "-am", "standard times")


def escalations(root: Path) -> list[dict]:
    tasks = json.loads(run("-w", root, "task", "list", "--all", "--json").out)
    return [t for t in tasks if t["id"].startswith("esc-")]


def test_two_clones_running_remind_then_syncing_have_exactly_one_escalation(
    team, as_user, monkeypatch
) -> None:
    ann, ben = team["ann"], team["ben"]
    as_user("ann")
    configure(ann, lead="    max_days: 7\n    escalate_to: ben\n")
    sync(ann)
    as_user("ben")
    sync(ben)
    # acme-website entered lead on 2026-11-02 10:00 +01:00: 7 days end on 11-09 10:00
    monkeypatch.setenv("TCRM_NOW", "2026-11-09T08:59:00+00:00")
    assert run("-w", ann, "remind").code == 0
    assert escalations(ann) == []
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T09:00:00+00:00")
    for user, root in (("ann", ann), ("ben", ben)):
        as_user(user)
        result = run("-w", root, "remind")
        assert result.code == 0, result.err
        assert "escalated: task esc-" in result.err
        [task] = escalations(root)
        assert task["assignee"] == "ben"
        assert task["deals"] == ["acme-website"]
    as_user("ann")
    sync(ann)
    as_user("ben")
    report = sync(ben)
    assert report["action"] == "merged"
    as_user("ann")
    sync(ann)
    for root in (ann, ben):
        found = escalations(root)
        assert len(found) == 1, found
        assert len(list((root / "tasks").glob("esc-*.yaml"))) == 1
        assert_healthy(root)
    # running again (remind or today) escalates nothing more: no new commit
    commits = commit_count(ann)
    assert run("-w", ann, "remind").code == 0
    assert run("-w", ann, "today").code == 0
    assert commit_count(ann) == commits


def test_one_escalation_per_stay_cancelled_when_the_deal_moves_on(
    team, as_user, monkeypatch
) -> None:
    ann = team["ann"]
    as_user("ann")
    configure(ann, lead="    max_days: 7\n    escalate_to: ben\n")
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T09:00:00+00:00")
    assert run("-w", ann, "today").code == 0
    [first] = escalations(ann)
    assert first["status"] == "open"
    assert run("-w", ann, "deal", "move", "acme-website", "qualified").code == 0
    [first] = escalations(ann)
    assert first["status"] == "cancelled"  # the stay it was about is over
    monkeypatch.setenv("TCRM_NOW", "2026-11-21T09:00:00+00:00")
    assert run("-w", ann, "deal", "move", "acme-website", "lead").code == 0
    monkeypatch.setenv("TCRM_NOW", "2026-11-28T08:00:00+00:00")
    assert run("-w", ann, "remind").code == 0
    assert len(escalations(ann)) == 1  # a new stay: 7 days not over yet
    monkeypatch.setenv("TCRM_NOW", "2026-11-28T10:00:00+00:00")
    assert run("-w", ann, "remind").code == 0
    found = escalations(ann)
    assert len(found) == 2
    assert [t["status"] for t in found if t["id"] != first["id"]] == ["open"]


def test_a_stage_task_left_open_past_its_template_max_days_escalates(
    team, as_user, monkeypatch
) -> None:
    ann = team["ann"]
    as_user("ann")
    configure(ann, qualified_task="      max_days: 3\n      escalate_to: chloe\n")
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T09:00:00+00:00")
    assert run("-w", ann, "deal", "move", "acme-website", "qualified").code == 0
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:00:00+00:00")
    assert run("-w", ann, "remind").code == 0
    assert escalations(ann) == []  # exactly 3 days: not over
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:01:00+00:00")
    assert run("-w", ann, "remind").code == 0
    [task] = escalations(ann)
    assert task["assignee"] == "chloe"
    assert "Schedule a discovery call" in task["title"]


def test_report_aging_shows_stays_against_the_standard_time(team, as_user, monkeypatch) -> None:
    ann = team["ann"]
    as_user("ann")
    configure(ann, lead="    max_days: 7\n    escalate_to: ben\n")
    monkeypatch.setenv("TCRM_NOW", "2026-11-20T09:00:00+00:00")
    data = json.loads(run("-w", ann, "report", "aging", "--json").out)
    deals = {d["id"]: d for d in data["deals"]}
    # entered 2026-11-02 09:00 UTC: 18 whole days by 11-20 09:00, 11 over the 7
    assert deals["acme-website"]["days_in_stage"] == 18
    assert deals["acme-website"]["max_days"] == 7
    assert deals["acme-website"]["over_standard_days"] == 11
    shown = run("-w", ann, "report", "aging")
    assert "days in stage\tstandard\tover by\t" in shown.out


@pytest.mark.parametrize(
    ("lead", "message"),
    [
        ("    max_days: 7\n    escalate_to: zoe\n", "names 'zoe', who is not a team member"),
        ("    max_days: 0\n", "max_days"),
    ],
)
def test_bad_standard_times_are_refused_by_check(team, as_user, lead, message) -> None:
    ann = team["ann"]
    as_user("ann")
    configure(ann, lead=lead)
    result = run("-w", ann, "check")
    assert result.code != 0
    assert message in result.out + result.err
    assert "Traceback" not in result.err
