"""``tcrm today`` and ``tcrm remind`` on a copy of the sample workspace, clock fixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tcrm.model.due import due_moment, due_state, is_overdue, reminders_of
from tcrm.model.records import Task
from tcrm.model.settings import Settings
from tests.clitools import (
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)


def today_json(*args: str) -> dict:
    result = run("today", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def remind(monkeypatch: pytest.MonkeyPatch, now: str, *args: str) -> str:
    monkeypatch.setenv("TCRM_NOW", now)
    result = run("remind", *args)
    assert result.code == 0, result.err
    return result.out


# --- tcrm today -------------------------------------------------------------------------


def test_today_sections(sample_ws: Path) -> None:
    plan = today_json()
    assert list(plan) == [
        "overdue",
        "today",
        "reminders",
        "rotting_deals",
        "clients_to_contact",
        "conflicts",
    ]
    assert plan["conflicts"] == []
    overdue = [t["id"] for t in plan["overdue"]]
    assert overdue[0] == "tchj4hab"  # the oldest first
    assert {"t3mg2uzc", "tnyv2x4u", "t9r272cw"} <= set(overdue)
    assert {t["due_state"] for t in plan["overdue"]} == {"overdue"}
    # Due later today, in due order (date-only ones stand for 09:00), then by priority.
    assert [t["id"] for t in plan["today"]] == [
        "ttht2sqj",
        "tzq3pvam",
        "t58ebrhp",
        "tee6mj3g",
        "tqqx7cud",
        "twrb9gug",
    ]
    assert plan["today"][-1]["due_at"] == "2026-11-23T14:30+00:00"  # Europe/London
    assert plan["reminders"] == []  # 09:00: the first one fires at 09:15
    rotting = {d["id"]: d for d in plan["rotting_deals"]}
    assert rotting["lumen-robotics-fleet-dashboard"]["idle_days"] == 17
    assert rotting["lumen-robotics-fleet-dashboard"]["threshold"] == 10
    assert rotting["lumen-robotics-fleet-dashboard"]["owner"] == "ben"
    assert plan["rotting_deals"][0]["id"] == "quantum-ledger-integration-partnership"
    contact = {c["id"]: c for c in plan["clients_to_contact"]}
    assert set(contact) == {"cafe-lumiere", "maison-delacroix"}
    assert contact["cafe-lumiere"]["cadence_days"] == 90
    assert contact["cafe-lumiere"]["days_since"] == 170
    assert contact["cafe-lumiere"]["last_contact"].startswith("2026-06-05T")


def test_today_reminders_that_are_due(sample_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:40:00+01:00")
    plan = today_json()
    reminders = {r["task"]: r for r in plan["reminders"]}
    assert set(reminders) == {"tqqx7cud"}  # 10:00 - 30m; tee6mj3g (09:30) is overdue now
    assert reminders["tqqx7cud"] == {
        "task": "tqqx7cud",
        "title": "Call Jana about the onboarding app scope",
        "offset": "30m",
        "at": "2026-11-23T09:30+01:00",
        "due": "2026-11-23T10:00",
        "due_at": "2026-11-23T10:00+01:00",
        "assignee": "ann",
        "clients": ["acme-logistics"],
        "deals": ["acme-logistics-driver-onboarding-app"],
    }
    assert "tee6mj3g" in [t["id"] for t in plan["overdue"]]


def test_today_table_output(sample_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("today")
    assert result.code == 0, result.err
    text = result.out
    assert "Overdue (10)\nid\tdue\ttitle" in text
    assert "Today (6)\n" in text
    assert "Reminders: none due\n" in text  # an empty section says so briefly
    assert "Rotting deals (5)\nid\ttitle\tclient\tstage\towner\tidle days\n" in text
    assert "lumen-robotics-fleet-dashboard\tLumen Robotics fleet dashboard" in text
    assert "Clients to contact (2)\n" in text
    assert "cafe-lumiere\tCafé Lumière\tchloe\t2026-06-05\t170\t90 days" in text
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:20:00+01:00")
    text = run("today").out
    assert "Reminders (1)\nremind at\tbefore\tid" in text
    assert "2026-11-23 09:15\t15m\ttee6mj3g\t2026-11-23 09:30\tWeekly pipeline review" in text


def test_today_for_one_member(sample_ws: Path) -> None:
    plan = today_json("--assignee", "ben")
    tasks = plan["overdue"] + plan["today"]
    assert tasks and {t["assignee"] for t in tasks} == {"ben"}
    assert [t["id"] for t in plan["today"]] == ["twrb9gug"]
    assert plan["rotting_deals"] and {d["owner"] for d in plan["rotting_deals"]} == {"ben"}
    assert plan["clients_to_contact"] == []  # both belong to chloe


def test_today_with_nothing_to_show(sample_ws: Path) -> None:
    for task in (sample_ws / "tasks").glob("*.yaml"):
        task.unlink()
    git(sample_ws, "commit", "-qam", "no tasks")
    result = run("today", "--assignee", "ann")
    assert result.code == 0, result.err
    assert "Overdue: none\n" in result.out
    assert "Today: nothing due\n" in result.out
    assert "Reminders: none due\n" in result.out


def test_today_refuses_an_unknown_member(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("today", "--assignee", "zoe")
    assert_refused(sample_ws, result, before, commits)
    assert "--assignee 'zoe' is not a team member" in result.err


# --- tcrm remind ------------------------------------------------------------------------


def test_remind_prints_a_reminder_once_and_never_again(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = commit_count(sample_ws)
    out = remind(monkeypatch, "2026-11-23T09:20:00+01:00")
    lines = out.splitlines()
    assert lines[0] == "remind at\tbefore\tid\tdue\ttitle\tassignee\tclients"
    assert lines[1:] == [
        "2026-11-23 09:15\t15m\ttee6mj3g\t2026-11-23 09:30\tWeekly pipeline review\tann\t"
    ]
    assert remind(monkeypatch, "2026-11-23T09:20:00+01:00") == ""
    assert remind(monkeypatch, "2026-11-23T09:25:00+01:00") == ""
    out = remind(monkeypatch, "2026-11-23T09:45:00+01:00")
    assert [line.split("\t")[2] for line in out.splitlines()[1:]] == ["tqqx7cud"]
    assert remind(monkeypatch, "2026-11-23T09:50:00+01:00") == ""
    # The clock going back does not repeat anything either.
    assert remind(monkeypatch, "2026-11-23T09:21:00+01:00") == ""
    assert remind(monkeypatch, "2026-11-23T09:46:00+01:00") == ""
    # Later: Ben's London call at 14:30 London (15:30 Berlin) minus 1h.
    data = json.loads(remind(monkeypatch, "2026-11-23T15:00:00+01:00", "--json"))
    assert [(r["task"], r["offset"], r["at"]) for r in data] == [
        ("twrb9gug", "1h", "2026-11-23T13:30+00:00")
    ]
    assert json.loads(remind(monkeypatch, "2026-11-23T15:00:00+01:00", "--json")) == []
    # Local state only: no commit, nothing for git to see.
    assert commit_count(sample_ws) == commits
    assert status_clean(sample_ws)
    state = json.loads((sample_ws / ".tcrm" / "remind.json").read_text())
    assert state["last_run"] == "2026-11-23T15:00:00+01:00"
    assert "twrb9gug 1h 2026-11-23T13:30:00+00:00" in state["sent"]


def test_remind_prints_nothing_when_nothing_is_due(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First run: the last 24 hours, in which no reminder fell due.
    assert remind(monkeypatch, "2026-11-23T09:00:00+01:00") == ""
    assert (sample_ws / ".tcrm" / "remind.json").is_file()


def test_remind_first_run_looks_back_24_hours(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A date-only due reminds at 09:00 of its day, minus the offset: t64xpfht is due
    # 2026-12-03 with 1d, tytp7ejh 2026-12-01 with 1d (more than 24 hours ago).
    data = json.loads(remind(monkeypatch, "2026-12-02T09:05:00+01:00", "--json"))
    assert [(r["task"], r["at"]) for r in data] == [("t64xpfht", "2026-12-02T09:00+01:00")]


def test_remind_skips_closed_tasks_and_moments_before_creation(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("task", "done", "tee6mj3g").code == 0
    # Created at 09:00 and due at 09:30 with 1h: the reminder (08:30) predates the task.
    assert run("task", "add", "Late", "--due", "today 09:30", "--remind", "1h").code == 0
    out = remind(monkeypatch, "2026-11-23T09:20:00+01:00", "--json")
    assert json.loads(out) == []


def test_remind_survives_a_damaged_state_file(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (sample_ws / ".tcrm").mkdir(exist_ok=True)
    (sample_ws / ".tcrm" / "remind.json").write_text("{not json")
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T09:20:00+01:00")
    result = run("remind")
    assert result.code == 0
    assert "tee6mj3g" in result.out
    assert "remind.json is damaged" in result.err
    assert json.loads((sample_ws / ".tcrm" / "remind.json").read_text())["sent"]


def test_concurrent_remind_runs_print_each_reminder_once(sample_ws: Path) -> None:
    env = {**os.environ, "TCRM_NOW": "2026-11-23T09:45:00+01:00", "TCRM_WORKSPACE": str(sample_ws)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tcrm", "remind"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60) for p in runs]
    assert [p.returncode for p in runs] == [0, 0, 0, 0]
    printed = "".join(out for out, _ in outputs)
    assert printed.count("\ttee6mj3g\t") == 1
    assert printed.count("\ttqqx7cud\t") == 1


# --- the pure due-state helpers -------------------------------------------------------


def settings() -> Settings:
    return Settings.model_validate(
        {
            "name": "x",
            "timezone": "Europe/Berlin",
            "team": [{"id": "ben", "name": "Ben", "timezone": "America/New_York"}],
            "pipelines": [
                {"id": "p", "name": "P", "stages": [{"id": "s", "name": "S", "probability": 1}]}
            ],
        }
    )


def test_due_helpers() -> None:
    conf = settings()
    now = datetime.fromisoformat("2026-11-23T09:00:00+01:00")
    day = Task(id="t1", title="x", due="2026-11-22", assignee="ben")
    assert due_moment(day, conf) == datetime.fromisoformat("2026-11-22T09:00:00-05:00")
    assert is_overdue(day, conf, now)
    late_evening = datetime.fromisoformat("2026-11-23T05:59:00+01:00")  # 23:59 in New York
    assert due_state(day, conf, late_evening) == "today"
    timed = Task(id="t2", title="x", due="2026-11-23T08:00", timezone="America/New_York")
    assert due_state(timed, conf, now) == "today"  # unassigned: Berlin's today
    aware = Task(id="t3", title="x", due="2026-11-23T08:00+01:00")
    assert due_state(aware, conf, now) == "overdue"
    done = Task(id="t4", title="x", due="2026-11-01", status="done")
    assert due_state(done, conf, now) is None and not is_overdue(done, conf, now)
    reminded = Task(id="t5", title="x", due="2026-11-24", reminders=["1d", "2h"])
    assert [r.at.isoformat() for r in reminders_of(reminded, conf)] == [
        "2026-11-23T09:00:00+01:00",
        "2026-11-24T07:00:00+01:00",
    ]
