"""Surveys and satisfaction: `tcrm survey log`, the score in client list/show, and
`tcrm report nps` with figures worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import assert_refused, commit_count, git, last_message, load, run, snapshot

SETTINGS_TEAM = """team:
- {id: ann, name: Ann Becker}
- {id: ben, name: Ben Okafor}
"""


@pytest.fixture
def ws(workspace, monkeypatch) -> Path:
    """Four clients: a (ann, north), b (ann, south), c (ben, north), d (nobody's)."""
    root = workspace.root
    settings = root / "tcrm.yaml"
    text = settings.read_text().replace("team: []\n", SETTINGS_TEAM)
    settings.write_text(text.replace("  regions: []\n", "  regions: [north, south]\n"))
    git(root, "commit", "-q", "-am", "team and regions")
    monkeypatch.setenv("TCRM_NOW", "2026-09-15T10:00:00+00:00")
    for name, owner, region in (
        ("Alpha", "ann", "north"),
        ("Bravo", "ann", "south"),
        ("Charlie", "ben", "north"),
    ):
        assert (
            run("-w", root, "client", "add", name, "--owner", owner, "--region", region).code == 0
        )
    assert run("-w", root, "client", "add", "Delta").code == 0
    return root


def survey(root: Path, ref: str, score: int, when: str, monkeypatch, *args: str) -> str:
    monkeypatch.setenv("TCRM_NOW", when)
    result = run("-w", root, "survey", "log", ref, "--score", str(score), *args)
    assert result.code == 0, result.err
    return result.out.strip()


def test_survey_log_writes_a_survey_activity_with_its_score(ws, monkeypatch) -> None:
    activity_id = survey(
        ws,
        "alpha",
        9,
        "2026-11-20T10:00:00+00:00",
        monkeypatch,
        "--answer",
        "Quick support",
        "--question",
        "Would you recommend us?",
    )
    [path] = list((ws / "activities").glob(f"*/{activity_id}.yaml"))
    data = load(ws, path.relative_to(ws).as_posix())
    assert data["kind"] == "survey"
    assert "\nscore: 9\n" in path.read_text()  # a number in the file, not text
    assert data["summary"] == "Would you recommend us?"
    assert data["notes"] == "Quick support"
    assert data["clients"] == ["alpha"]
    assert last_message(ws) == f"activity {activity_id}: survey alpha 9/10"
    assert run("-w", ws, "check").code == 0  # 'survey' needs no place in activity_kinds


@pytest.mark.parametrize("score", ["11", "-1", "ten"])
def test_a_score_outside_0_to_10_is_refused_with_nothing_written(ws, score) -> None:
    before, commits = snapshot(ws), commit_count(ws)
    result = run("-w", ws, "survey", "log", "alpha", "--score", score)
    if score == "ten":  # not a number: the command line refuses it (click's own message)
        assert result.code == 2 and snapshot(ws) == before
        return
    assert_refused(ws, result, before, commits)
    assert "score" in result.err


def test_a_hand_written_score_out_of_range_or_on_a_call_is_a_check_problem(ws, monkeypatch) -> None:
    activity_id = survey(ws, "alpha", 9, "2026-11-20T10:00:00+00:00", monkeypatch)
    [path] = list((ws / "activities").glob(f"*/{activity_id}.yaml"))
    path.write_text(path.read_text().replace("score: 9", "score: 12"))
    result = run("-w", ws, "check")
    assert result.code != 0
    assert "score" in result.out + result.err
    path.write_text(path.read_text().replace("kind: survey", "kind: call").replace("12", "5"))
    result = run("-w", ws, "check")
    assert "only a 'survey' activity has a score" in result.out + result.err


def test_client_list_and_show_carry_the_latest_score_and_trend(ws, monkeypatch) -> None:
    survey(ws, "alpha", 6, "2026-10-01T10:00:00+00:00", monkeypatch)
    survey(ws, "alpha", 9, "2026-11-20T10:00:00+00:00", monkeypatch)
    survey(ws, "charlie", 4, "2026-11-21T10:00:00+00:00", monkeypatch)
    listed = {c["id"]: c for c in json.loads(run("-w", ws, "client", "list", "--json").out)}
    assert listed["alpha"]["satisfaction"] == {
        "score": 9,
        "previous": 6,
        "trend": "up",
        "at": "2026-11-20T10:00+00:00",
    }
    assert listed["charlie"]["satisfaction"]["trend"] == "new"
    assert listed["delta"]["satisfaction"] is None
    low = json.loads(run("-w", ws, "client", "list", "nps:<7", "--json").out)
    assert [c["id"] for c in low] == ["charlie"]  # never surveyed is not "below 7"
    high = json.loads(run("-w", ws, "client", "list", "nps:>=9", "--json").out)
    assert [c["id"] for c in high] == ["alpha"]
    table = run("-w", ws, "client", "list").out
    assert "9 ↑" in table and "nps" in table.splitlines()[0].lower()
    shown = run("-w", ws, "client", "show", "alpha").out
    assert "Satisfaction: 9/10 (up from 6, 2026-11-20)" in shown
    bad = run("-w", ws, "client", "list", "nps:<11")
    assert bad.code == 2 and "score from 0 to 10" in bad.err


def test_report_nps_by_hand(ws, monkeypatch) -> None:
    """Q4 2026 answers: alpha 10 and 9, bravo 7, charlie 3, delta 9; a Q3 answer (alpha 0)
    is outside the quarter.

    All: 5 answers, promoters 3 (60.0%), passives 1 (20.0%), detractors 1 (20.0%),
    NPS (3 - 1) / 5 = 40.0.
    ann (alpha, bravo): 10, 9, 7 -> 2 promoters, 1 passive: 66.7 / 33.3 / 0.0, NPS 66.7.
    ben (charlie): 3 -> NPS -100.0. nobody (delta): 9 -> NPS 100.0.
    north (alpha, charlie): 10, 9, 3 -> (2 - 1) / 3 = 33.3; south (bravo): 7 -> 0.0;
    (none) (delta): 100.0.
    """
    survey(ws, "alpha", 0, "2026-09-20T10:00:00+00:00", monkeypatch)
    survey(ws, "alpha", 10, "2026-10-05T10:00:00+00:00", monkeypatch)
    survey(ws, "alpha", 9, "2026-11-02T10:00:00+00:00", monkeypatch)
    survey(ws, "bravo", 7, "2026-11-03T10:00:00+00:00", monkeypatch)
    survey(ws, "charlie", 3, "2026-11-04T10:00:00+00:00", monkeypatch)
    survey(ws, "delta", 9, "2026-11-05T10:00:00+00:00", monkeypatch)
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:00:00+00:00")
    result = run("-w", ws, "report", "nps", "--period", "quarter", "--by", "region", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["period"]["start"] == "2026-10-01" and data["period"]["end"] == "2026-12-31"
    assert {k: data[k] for k in ("responses", "promoters", "passives", "detractors")} == {
        "responses": 5,
        "promoters": 3,
        "passives": 1,
        "detractors": 1,
    }
    assert (data["promoters_percent"], data["passives_percent"], data["detractors_percent"]) == (
        60.0,
        20.0,
        20.0,
    )
    assert data["nps"] == 40.0
    owners = {g["owner"]: g for g in data["by_owner"]}
    assert (owners["ann"]["responses"], owners["ann"]["nps"]) == (3, 66.7)
    assert owners["ann"]["promoters_percent"] == 66.7
    assert owners["ann"]["passives_percent"] == 33.3
    assert (owners["ben"]["responses"], owners["ben"]["nps"]) == (1, -100.0)
    assert (owners["(none)"]["responses"], owners["(none)"]["nps"]) == (1, 100.0)
    regions = {g["value"]: g["nps"] for g in data["by_field"]}
    assert regions == {"north": 33.3, "south": 0.0, "(none)": 100.0}
    only_ann = json.loads(run("-w", ws, "report", "nps", "--owner", "ann", "--json").out)
    assert (only_ann["responses"], only_ann["nps"]) == (3, 66.7)
    q3 = run("-w", ws, "report", "nps", "--since", "2026-07-01", "--until", "2026-09-30", "--json")
    assert (json.loads(q3.out)["responses"], json.loads(q3.out)["nps"]) == (1, -100.0)
    shown = run("-w", ws, "report", "nps", "--by", "region")
    assert shown.code == 0 and "north" in shown.out


def test_by_is_refused_for_other_reports(ws) -> None:
    result = run("-w", ws, "report", "lost", "--by", "region")
    assert result.code == 2
    assert "--by groups only the funnel, forecast, winrate, sources, nps reports" in result.err
