"""``tcrm task ...`` on a copy of the sample workspace: real files, real git commits."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tcrm.services.setup import init_workspace
from tests.clitools import (
    SAMPLE,
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)


def read(root: Path, task_id: str) -> str:
    return (root / "tasks" / f"{task_id}.yaml").read_text(encoding="utf-8")


def task_data(task_id: str) -> dict:
    result = run("task", "show", task_id, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def changed(root: Path, task_id: str, message: str, commits: int) -> None:
    """One commit with ``message`` touching the task's file; the tree is clean."""
    assert commit_count(root) == commits + 1
    assert git(root, "log", "-1", "--format=%s").strip() == message
    assert f"tasks/{task_id}.yaml" in git(root, "show", "--name-only", "--format=", "HEAD")
    assert status_clean(root)


def add(*args: str) -> str:
    result = run("task", "add", *args)
    assert result.code == 0, result.err
    return result.out.strip()


def ids(result_out: str) -> list[str]:
    return [t["id"] for t in json.loads(result_out)]


# --- task add ---------------------------------------------------------------------------


def test_add_prints_the_id_and_commits_once(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run("task", "add", "Write the newsletter")
    assert result.code == 0, result.err
    task_id = result.out.strip()
    assert task_id.startswith("t") and len(task_id) == 8
    changed(sample_ws, task_id, f"task {task_id}: add", commits)
    assert read(sample_ws, task_id) == (
        "title: Write the newsletter\nstatus: open\ncreated: 2026-11-23T09:00+01:00\n"
    )
    assert "Added task" in result.err


def test_add_with_every_option(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    task_id = add(
        "Call Jana about the footer",
        "--due",
        "tomorrow 10:00",
        "--deal",
        "acme-logistics-website-relaunch",
        "--contact",
        "jana krüger",
        "--remind",
        "30m",
        "--remind",
        "1D",
        "--priority",
        "High",
        "--assignee",
        "ann",
        "--duration",
        "20",
        "--note",
        "Ask about the new logo.",
    )
    changed(sample_ws, task_id, f"task {task_id}: add", commits)
    assert read(sample_ws, task_id) == (
        "title: Call Jana about the footer\n"
        "status: open\n"
        "due: 2026-11-24T10:00\n"
        "duration: 20\n"
        "reminders:\n- 30m\n- 1d\n"
        "priority: high\n"
        "assignee: ann\n"
        "clients:\n- acme-logistics\n"  # the deal's client is linked too
        "deals:\n- acme-logistics-website-relaunch\n"
        "contacts:\n- Jana Krüger\n"
        "created: 2026-11-23T09:00+01:00\n"
        "notes: Ask about the new logo.\n"
    )


def test_add_a_day_stays_a_day_and_a_reference_may_be_a_name(sample_ws: Path) -> None:
    task_id = add("Send the invoice", "--due", "2026-12-01", "--client", "Acme Logistics")
    data = task_data(task_id)
    assert data["due"] == "2026-12-01"
    assert data["clients"] == ["acme-logistics"]
    assert "timezone" not in data


def test_add_a_time_for_a_member_elsewhere_keeps_their_zone(sample_ws: Path) -> None:
    # 09:00 in Berlin is 03:00 in New York: "today 10:00" is Ben's 10:00.
    task_id = add("Call Lumen", "--due", "today 10:00", "--assignee", "ben")
    text = read(sample_ws, task_id)
    assert "due: 2026-11-23T10:00\ntimezone: America/New_York\n" in text
    data = task_data(task_id)
    assert data["due_at"] == "2026-11-23T10:00-05:00"
    assert data["due_state"] == "today"


def test_add_with_the_workspace_zone_stores_no_zone(sample_ws: Path) -> None:
    task_id = add(
        "Call Lumen", "--due", "today 16:00", "--assignee", "ben", "--tz", "Europe/Berlin"
    )
    assert "timezone" not in read(sample_ws, task_id)
    assert task_data(task_id)["due_at"] == "2026-11-23T16:00+01:00"


def test_add_a_relative_time(sample_ws: Path) -> None:
    task_id = add("Call back", "--due", "+2h")
    assert task_data(task_id)["due"] == "2026-11-23T11:00"


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ("weekly", "FREQ=WEEKLY"),
        ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("monthly", "FREQ=MONTHLY"),
        ("RRULE:FREQ=monthly;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
    ],
)
def test_add_recurring_starts_its_own_series(sample_ws: Path, given: str, rule: str) -> None:
    task_id = add("Review the pipeline", "--due", "fri", "--repeat", given)
    data = task_data(task_id)
    assert data["repeat"] == rule
    assert data["series"] == task_id
    assert data["due"] == "2026-11-27"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--client", "no-such-client"], "no client matches 'no-such-client'"),
        (["--deal", "no-such-deal"], "no deal matches 'no-such-deal'"),
        (["--due", "next blursday"], "--due: 'next blursday' is not a date"),
        (["--due", "tomorrow 25:00"], "--due:"),
        (["--due", "fri", "--remind", "soon"], "--remind: 'soon' is not an offset"),
        (["--remind", "30m"], "--remind needs --due"),
        (["--due", "fri", "--repeat", "fortnightly"], "--repeat:"),
        (["--due", "fri", "--repeat", "FREQ=HOURLY"], "at most daily"),
        (["--repeat", "weekly"], "--repeat needs --due"),
        (["--priority", "urgent"], "--priority 'urgent' is not one of high, medium, low"),
        (["--assignee", "zoe"], "--assignee 'zoe' is not a team member (ann, ben, chloe)"),
        (["--due", "fri", "--tz", "Mars/Olympus"], "--tz:"),
        (["--contact", "Nobody Atall"], "--contact 'Nobody Atall'"),
        (["--duration", "0"], "--duration"),
    ],
)
def test_add_refuses_bad_input(sample_ws: Path, args: list[str], needle: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("task", "add", "Something", *args)
    assert_refused(sample_ws, result, before, commits)
    assert needle in result.err


# --- task list --------------------------------------------------------------------------


def test_list_default_is_open_tasks_overdue_first_undated_last(sample_ws: Path) -> None:
    result = run("task", "list", "--json")
    assert result.code == 0, result.err
    tasks = json.loads(result.out)
    assert all(t["status"] == "open" for t in tasks)
    states = [t["due_state"] for t in tasks]
    first_other = next(i for i, s in enumerate(states) if s != "overdue")
    assert set(states[:first_other]) == {"overdue"}
    assert "overdue" not in states[first_other:]
    assert states[-1] is None and "due" not in tasks[-1]
    assert tasks[0]["id"] == "tchj4hab"  # due 2026-10-25, the oldest
    dated = [t for t in tasks if t["due_at"] and t["due_state"] != "overdue"]

    def day_then_all_day_then_time(t: dict[str, str]) -> tuple[object, ...]:
        moment = datetime.fromisoformat(t["due_at"])
        return (moment.date(), "T" in t["due"], moment)

    assert dated == sorted(dated, key=day_then_all_day_then_time)


def test_list_table_when_piped(sample_ws: Path) -> None:
    result = run("task", "list", "--overdue")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "id\tdue\ttitle\tassignee\tclients\tpriority\tstatus"
    assert lines[1].startswith("tchj4hab\t2026-10-25\tSchedule a discovery call\tben\t")
    assert "tnyv2x4u\t2026-11-20 16:00 America/New_York" in result.out


def test_list_today_overdue_week(sample_ws: Path) -> None:
    today = json.loads(run("task", "list", "--today", "--json").out)
    # Due today, in each assignee's zone; a time earlier today would be listed too.
    assert {t["id"] for t in today} == {
        "ttht2sqj",
        "tzq3pvam",
        "t58ebrhp",
        "tee6mj3g",
        "tqqx7cud",
        "twrb9gug",
    }
    overdue = json.loads(run("task", "list", "--overdue", "--json").out)
    assert {t["due_state"] for t in overdue} == {"overdue"}
    assert "t3mg2uzc" in ids(json.dumps(overdue))
    week = ids(run("task", "list", "--week", "--json").out)
    assert "tchj4hab" in week  # overdue tasks belong to this week's work
    assert "t2ejnwdx" in week  # 2026-11-30: +7d, the last day of the week ahead
    assert "tytp7ejh" not in week  # 2026-12-01
    assert "t5wsmbv6" not in week  # undated
    both = ids(run("task", "list", "--today", "--overdue", "--json").out)
    assert set(both) == {t["id"] for t in today} | {t["id"] for t in overdue}


def test_list_all_assignee_client_and_filters(sample_ws: Path) -> None:
    everything = json.loads(run("task", "list", "--all", "--json").out)
    assert {"done", "open"} <= {t["status"] for t in everything}
    assert everything[-1]["status"] != "open"  # closed tasks after the open ones
    bens = json.loads(run("task", "list", "--assignee", "ben", "--json").out)
    assert bens and {t["assignee"] for t in bens} == {"ben"}
    acme = json.loads(run("task", "list", "--client", "acme", "--json").out)
    assert acme and all("acme-logistics" in t.get("clients", []) for t in acme)
    high = json.loads(run("task", "list", "priority:high", "assignee:ann", "--json").out)
    assert high and all(t["priority"] == "high" and t["assignee"] == "ann" for t in high)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--assignee", "zoe"], "not a team member"),
        (["--client", "nobody-at-all"], "no client matches"),
        (["colour:red"], "task has no field 'colour'"),
    ],
)
def test_list_refuses_bad_input(sample_ws: Path, args: list[str], needle: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("task", "list", *args)
    assert_refused(sample_ws, result, before, commits)
    assert needle in result.err


def test_show(sample_ws: Path) -> None:
    result = run("task", "show", "tee6mj3g")
    assert result.code == 0, result.err
    assert "Weekly pipeline review  [tee6mj3g]" in result.out
    assert "status:      open (today)" in result.out
    data = task_data("tee6mj3g")
    assert data["due_at"] == "2026-11-23T09:30+01:00"
    assert data["repeat"] == "FREQ=WEEKLY;BYDAY=MO"


# --- the time-zone rules ------------------------------------------------------------------


def state_of(task_id: str) -> str | None:
    return task_data(task_id)["due_state"]


def test_a_time_past_in_berlin_but_not_in_new_york_is_not_overdue_for_ben(
    sample_ws: Path,
) -> None:
    # 09:00 in Berlin, 03:00 in New York: 08:00 has passed in Berlin, not in New York.
    bens = add("Call Lumen", "--due", "today 08:00", "--assignee", "ben")
    anns = add("Call Acme", "--due", "today 08:00", "--assignee", "ann")
    assert state_of(bens) == "today"
    assert state_of(anns) == "overdue"
    overdue = ids(run("task", "list", "--overdue", "--json").out)
    assert anns in overdue and bens not in overdue
    # --today lists the whole day, including Ann's 08:00 that is already overdue.
    assert {bens, anns} <= set(ids(run("task", "list", "--today", "--json").out))


def test_a_day_is_overdue_only_when_it_has_ended_for_the_assignee(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yesterday = add("Old", "--due", "2026-11-22", "--assignee", "ben")
    today = add("Now", "--due", "2026-11-23", "--assignee", "ben")
    assert state_of(yesterday) == "overdue"
    assert state_of(today) == "today"
    # 03:00 in Berlin is still Sunday evening (21:00) in New York: not overdue for Ben.
    annes = add("Old too", "--due", "2026-11-22", "--assignee", "ann")
    monkeypatch.setenv("TCRM_NOW", "2026-11-23T03:00:00+01:00")
    assert state_of(yesterday) == "today"
    assert state_of(annes) == "overdue"
    assert state_of(today) == "upcoming"


# --- task done ------------------------------------------------------------------------


def test_done(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run("task", "done", "t3mg2uzc")
    assert result.code == 0, result.err
    changed(sample_ws, "t3mg2uzc", "task t3mg2uzc: done", commits)
    text = read(sample_ws, "t3mg2uzc")
    assert "status: done\n" in text
    assert "completed: 2026-11-23T09:00+01:00\n" in text
    assert "t3mg2uzc" not in ids(run("task", "list", "--json").out)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["done", "t3n2drwx"], "task t3n2drwx is already done"),
        (["done", "tzzzzzzz"], "no task matches 'tzzzzzzz'"),
        (["cancel", "t3n2drwx"], "already done"),
        (["snooze", "t3n2drwx", "+2d"], "already done"),
        (["reopen", "t3mg2uzc"], "task t3mg2uzc is already open"),
        (["snooze", "t3mg2uzc", "next blursday"], "'next blursday' is not a date"),
        (["snooze", "nope-nope", "+2d"], "no task matches"),
        (["edit", "t3mg2uzc", "--set", "status=done"], "use `tcrm task done REF`"),
        (["edit", "t3mg2uzc", "--set", "completed=2026-11-23T10:00"], "tcrm task done"),
        (["edit", "t3mg2uzc", "--set", "priority=urgent"], "priority"),
        (["edit", "t3mg2uzc", "--set", "clients+=nobody"], "unknown client 'nobody'"),
    ],
)
def test_changes_refuse_bad_input(sample_ws: Path, args: list[str], needle: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("task", *args)
    assert_refused(sample_ws, result, before, commits)
    assert needle in result.err


def complete_in(root: Path, monkeypatch: pytest.MonkeyPatch, now: str, ref: str) -> None:
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    monkeypatch.setenv("TCRM_NOW", now)
    commits = commit_count(root)
    result = run("task", "done", ref)
    assert result.code == 0, result.err
    assert commit_count(root) == commits + 1
    assert status_clean(root)


def test_done_recurring_creates_the_next_occurrence_in_the_same_commit(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run("task", "done", "t34pbyu3")
    assert result.code == 0, result.err
    nxt = "t34pbyu3-20261225"  # FREQ=MONTHLY;BYDAY=-1FR after 2026-11-27
    assert git(sample_ws, "log", "-1", "--format=%s").strip() == f"task t34pbyu3: done; next {nxt}"
    assert commit_count(sample_ws) == commits + 1
    assert sorted(git(sample_ws, "show", "--name-only", "--format=", "HEAD").split()) == [
        "tasks/t34pbyu3-20261225.yaml",
        "tasks/t34pbyu3.yaml",
    ]
    assert status_clean(sample_ws)
    assert read(sample_ws, nxt) == (
        "title: Publish a case study on the blog\n"
        "status: open\n"
        "due: 2026-12-25\n"
        "repeat: FREQ=MONTHLY;BYDAY=-1FR\n"
        "priority: low\n"
        "assignee: chloe\n"
        "series: t34pbyu3\n"
        "created: 2026-11-27T00:00+01:00\n"
    )
    assert "next: t34pbyu3-20261225 due 2026-12-25" in result.err


def test_two_clones_completing_the_same_occurrence_write_identical_files(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    init_workspace(other, template=SAMPLE)
    # Different people, different moments: the next occurrence must not depend on either.
    complete_in(sample_ws, monkeypatch, "2026-11-23T09:31:00+01:00", "tee6mj3g")
    complete_in(other, monkeypatch, "2026-11-23T17:45:12+01:00", "tee6mj3g")
    name = "tasks/tee6mj3g-20261130.yaml"
    mine, theirs = (sample_ws / name).read_bytes(), (other / name).read_bytes()
    assert mine == theirs
    text = mine.decode()
    assert "due: 2026-11-30T09:30\n" in text
    assert "status: open\n" in text and "completed" not in text
    assert "created: 2026-11-23T09:30+01:00\n" in text
    assert "notes: |-\n  Every open deal" in text  # everything carried over


def test_done_when_the_next_occurrence_already_exists_only_completes(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    init_workspace(other, template=SAMPLE)
    complete_in(other, monkeypatch, "2026-11-23T10:00:00+01:00", "tee6mj3g")
    # As if a sync had brought the other clone's next occurrence in.
    name = "tasks/tee6mj3g-20261130.yaml"
    (sample_ws / name).write_bytes((other / name).read_bytes())
    git(sample_ws, "add", name)
    git(sample_ws, "commit", "-q", "-m", "sync")
    complete_in(sample_ws, monkeypatch, "2026-11-23T11:00:00+01:00", "tee6mj3g")
    assert git(sample_ws, "log", "-1", "--format=%s").strip() == "task tee6mj3g: done"
    assert git(sample_ws, "show", "--name-only", "--format=", "HEAD").split() == [
        "tasks/tee6mj3g.yaml"
    ]
    assert (sample_ws / name).read_bytes() == (other / name).read_bytes()


def test_done_on_the_last_occurrence_creates_none(sample_ws: Path) -> None:
    task_id = add("Twice", "--due", "2026-11-24", "--repeat", "FREQ=DAILY;COUNT=1")
    commits = commit_count(sample_ws)
    assert run("task", "done", task_id).code == 0
    changed(sample_ws, task_id, f"task {task_id}: done", commits)
    assert len(list((sample_ws / "tasks").glob(f"{task_id}*"))) == 1


# --- snooze, cancel, reopen, edit --------------------------------------------------------


def test_snooze_an_overdue_day_counts_from_today(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run("task", "snooze", "t3mg2uzc", "+2d")  # due 2026-11-20, today 2026-11-23
    assert result.code == 0, result.err
    changed(sample_ws, "t3mg2uzc", "task t3mg2uzc: snooze to 2026-11-25", commits)
    assert "due: 2026-11-25\n" in read(sample_ws, "t3mg2uzc")
    assert "reminders:\n- 1d\n" in read(sample_ws, "t3mg2uzc")


def test_snooze_keeps_the_time_of_day(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    assert run("task", "snooze", "txe8kj5h", "+1w").code == 0  # 2026-11-27T11:00 New York
    changed(sample_ws, "txe8kj5h", "task txe8kj5h: snooze to 2026-12-04T11:00", commits)
    text = read(sample_ws, "txe8kj5h")
    assert "due: 2026-12-04T11:00\ntimezone: America/New_York\n" in text
    assert run("task", "snooze", "txe8kj5h", "2026-12-10").code == 0
    assert "due: 2026-12-10T11:00\n" in read(sample_ws, "txe8kj5h")
    assert run("task", "snooze", "txe8kj5h", "2026-12-11 15:00").code == 0
    assert "due: 2026-12-11T15:00\ntimezone: America/New_York\n" in read(sample_ws, "txe8kj5h")


def test_snooze_a_day_to_a_time_is_the_assignees_time(sample_ws: Path) -> None:
    # tdjng6jf: Ben's, due 2026-11-25 (a day); 09:00 in Berlin is 03:00 in New York.
    assert run("task", "snooze", "tdjng6jf", "tomorrow 10:00").code == 0
    assert "due: 2026-11-24T10:00\ntimezone: America/New_York\n" in read(sample_ws, "tdjng6jf")
    assert run("task", "snooze", "t2ejnwdx", "+2h").code == 0  # Chloé's: the workspace zone
    text = read(sample_ws, "t2ejnwdx")
    assert "due: 2026-11-23T11:00\n" in text and "timezone" not in text


def test_snooze_to_the_same_due_makes_no_commit(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    assert run("task", "snooze", "t2ejnwdx", "2026-11-30").code == 0
    assert commit_count(sample_ws) == commits


def test_cancel_and_reopen(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    assert run("task", "cancel", "t3mg2uzc").code == 0
    changed(sample_ws, "t3mg2uzc", "task t3mg2uzc: cancel", commits)
    assert "status: cancelled\n" in read(sample_ws, "t3mg2uzc")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    assert_refused(sample_ws, run("task", "cancel", "t3mg2uzc"), before, commits)
    assert run("task", "reopen", "t3mg2uzc").code == 0
    changed(sample_ws, "t3mg2uzc", "task t3mg2uzc: reopen", commits)
    assert "status: open\n" in read(sample_ws, "t3mg2uzc")
    commits = commit_count(sample_ws)
    assert run("task", "reopen", "t3n2drwx").code == 0  # a done task: completed is cleared
    changed(sample_ws, "t3n2drwx", "task t3n2drwx: reopen", commits)
    text = read(sample_ws, "t3n2drwx")
    assert "status: open\n" in text and "completed" not in text
    assert "notes: Sunday morning launch" in text


def test_edit_set_keeps_comments(sample_ws: Path) -> None:
    path = sample_ws / "tasks" / "t3mg2uzc.yaml"
    path.write_text("# renew before the 20th\n" + path.read_text(encoding="utf-8"), "utf-8")
    git(sample_ws, "commit", "-qam", "comment")
    commits = commit_count(sample_ws)
    result = run(
        "task", "edit", "t3mg2uzc", "--set", "priority=low", "--set", "clients+=acme-logistics"
    )
    assert result.code == 0, result.err
    changed(sample_ws, "t3mg2uzc", "task t3mg2uzc: set clients, priority", commits)
    text = read(sample_ws, "t3mg2uzc")
    assert text.startswith("# renew before the 20th\n")
    assert "priority: low\n" in text
    assert "clients:\n- cafe-lumiere\n- acme-logistics\n" in text


def test_edit_set_takes_values_as_task_add_does(sample_ws: Path) -> None:
    commits = commit_count(sample_ws)
    result = run(
        "task", "edit", "t42vrgh2", "--set", "due=tomorrow 11:00", "--set", "repeat=weekly",
        "--set", "contacts=bram.peeters@quantumledger.eu",
    )  # fmt: skip
    assert result.code == 0, result.err
    changed(sample_ws, "t42vrgh2", "task t42vrgh2: set contacts, due, repeat", commits)
    text = read(sample_ws, "t42vrgh2")
    assert "due: 2026-11-24T11:00\n" in text
    assert "repeat: FREQ=WEEKLY\n" in text
    assert "contacts:\n- Bram Peeters\n" in text
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    refused = run("task", "edit", "t42vrgh2", "--set", "due=next blursday")
    assert_refused(sample_ws, refused, before, commits)
    assert "'next blursday' is not a date" in refused.err


def test_edit_in_the_editor(sample_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = sample_ws.parent / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('priority: high', 'priority: medium'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    commits = commit_count(sample_ws)
    result = run("task", "edit", "t3mg2uzc")
    assert result.code == 0, result.err
    changed(sample_ws, "t3mg2uzc", "task t3mg2uzc: edit", commits)
    assert "priority: medium\n" in read(sample_ws, "t3mg2uzc")
