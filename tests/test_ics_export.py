"""``tcrm ics export``: the sample workspace's calendar, read back by two independent parsers.

Real files, a real git repository; the calendar is parsed by icalendar (which wrote it)
and by vobject (which builds its own time zones from the VTIMEZONE components).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
import yaml

from tcrm.services.calendar import LINKED_REVISIONS
from tcrm.services.records import updated
from tcrm.store import git as store_git
from tcrm.store.workspace import Workspace
from tests.clitools import (
    assert_refused,
    commit_count,
    git,
    run,
    snapshot,
    status_clean,
)

DST_TASK = "t3n2drwx"
"""The sample's task due 2026-03-29 09:30 Europe/Berlin (the day clocks go forward); done."""
BERLIN = ZoneInfo("Europe/Berlin")
DOMAIN = "northwind-studio.tcrm"


# --- helpers ---------------------------------------------------------------------------


def export(root: Path, *args: str, name: str = "out.ics") -> bytes:
    target = root.parent / name
    result = run("ics", "export", "-o", str(target), *args)
    assert result.code == 0, result.err
    assert result.out == ""
    assert "Wrote" in result.err
    return target.read_bytes()


def components(data: bytes, name: str = "VEVENT") -> dict[str, icalendar.Component]:
    """UID -> component, as icalendar reads it."""
    cal = icalendar.Calendar.from_ical(data)
    found = {str(c["UID"]): c for c in cal.walk(name)}
    assert len(found) == len(cal.walk(name)), "UIDs must be unique"
    return found


def vobject_events(data: bytes) -> dict[str, object]:
    cal = vobject.readOne(data.decode("utf-8"))
    return {e.uid.value: e for e in getattr(cal, "vevent_list", [])}


def sample_facts(root: Path) -> dict[str, int]:
    """What the sample's files hold, counted independently of tcrm (plain PyYAML)."""
    facts = {"tasks": 0, "alarms": 0, "rrules": 0, "deals": 0, "closed_tasks": 0, "acts": 0}
    for path in (root / "tasks").glob("*.yaml"):
        task = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "due" not in task:
            continue
        if task.get("status", "open") != "open":
            facts["closed_tasks"] += 1
            continue
        facts["tasks"] += 1
        facts["alarms"] += len(task.get("reminders", []))
        facts["rrules"] += "repeat" in task
    for path in (root / "deals").glob("*.yaml"):
        deal = yaml.safe_load(path.read_text(encoding="utf-8"))
        facts["deals"] += deal.get("status", "open") == "open" and "close_date" in deal
    facts["acts"] = len(list((root / "activities").glob("*/*.yaml")))
    return facts


def add_task(*args: str) -> str:
    result = run("task", "add", *args)
    assert result.code == 0, result.err
    return result.out.strip()


# --- the sample calendar, in two parsers ------------------------------------------------


def test_sample_calendar_reads_back_in_icalendar_and_vobject(sample_ws) -> None:
    data = export(sample_ws)
    facts = sample_facts(sample_ws)
    assert facts["tasks"] >= 30 and facts["alarms"] >= 10 and facts["rrules"] >= 5

    cal = icalendar.Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(events) == facts["tasks"] + facts["deals"]
    assert len(cal.walk("VALARM")) == facts["alarms"]
    assert sum("RRULE" in e for e in events) == facts["rrules"]
    assert str(cal["VERSION"]) == "2.0" and str(cal["X-WR-CALNAME"]) == "Northwind Studio"
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} >= {
        "Europe/Berlin",
        "America/New_York",
    }

    other = vobject.readOne(data.decode("utf-8"))
    assert len(other.vevent_list) == len(events)
    assert sum(len(getattr(e, "valarm_list", [])) for e in other.vevent_list) == facts["alarms"]
    assert sum(hasattr(e, "rrule") for e in other.vevent_list) == facts["rrules"]
    for event in other.vevent_list:  # vobject expands each recurrence rule itself
        if hasattr(event, "rrule"):
            assert len(list(itertools.islice(event.getrruleset(), 5))) == 5

    uids = [str(e["UID"]) for e in events]
    assert all(re.fullmatch(rf"(task|deal)-[a-z0-9.-]+@{re.escape(DOMAIN)}", u) for u in uids)
    assert f"task-tee6mj3g@{DOMAIN}" in uids  # the weekly pipeline review


def test_dst_day_reads_as_0930_local_and_0730_utc_in_both_parsers(sample_ws) -> None:
    data = export(sample_ws, "--closed")
    uid = f"task-{DST_TASK}@{DOMAIN}"
    assert b"DTSTART;TZID=Europe/Berlin:20260329T093000" in data

    event = components(data)[uid]
    start = event.start
    assert start.replace(tzinfo=None) == datetime(2026, 3, 29, 9, 30)
    assert start.astimezone(UTC) == datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(event["SUMMARY"]).startswith("✓ ")  # done, shown with --closed

    other = vobject_events(data)[uid]
    assert other.dtstart.value.replace(tzinfo=None) == datetime(2026, 3, 29, 9, 30)
    assert other.dtstart.value.utcoffset() == timedelta(hours=2)
    assert other.dtstart.value.astimezone(UTC) == datetime(2026, 3, 29, 7, 30, tzinfo=UTC)


def test_own_tasks_around_dst_changes_in_two_zones(sample_ws) -> None:
    """Open fixture tasks: the day before and the day of Berlin's change, and New York's."""
    before = add_task("Before the change", "--due", "2026-03-28 09:30", "--tz", "Europe/Berlin")
    on = add_task("On the change", "--due", "2026-03-29 09:30", "--tz", "Europe/Berlin")
    ny = add_task("New York change", "--due", "2026-03-08 09:30", "--tz", "America/New_York")
    data = export(sample_ws)
    expected = {
        before: datetime(2026, 3, 28, 8, 30, tzinfo=UTC),
        on: datetime(2026, 3, 29, 7, 30, tzinfo=UTC),
        ny: datetime(2026, 3, 8, 13, 30, tzinfo=UTC),
    }
    ours, theirs = components(data), vobject_events(data)
    for task_id, utc in expected.items():
        uid = f"task-{task_id}@{DOMAIN}"
        assert ours[uid].start.astimezone(UTC) == utc
        assert ours[uid].start.strftime("%H:%M") == "09:30"
        assert theirs[uid].dtstart.value.astimezone(UTC) == utc
        assert theirs[uid].dtstart.value.strftime("%H:%M") == "09:30"


# --- time forms -----------------------------------------------------------------------


def test_all_day_task_is_value_date_with_next_day_end(sample_ws) -> None:
    task = add_task("Whole-day task", "--due", "2026-12-07", "--remind", "1d")
    data = export(sample_ws)
    event = components(data)[f"task-{task}@{DOMAIN}"]
    assert event["DTSTART"].to_ical() == b"20261207"
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event["DTEND"].dt == date(2026, 12, 8)
    # tcrm reminds at 09:00 of the day minus 1d: 15 hours before the day starts
    assert [a["TRIGGER"].dt for a in event.walk("VALARM")] == [timedelta(hours=-15)]
    assert theirs_date(data, task) == date(2026, 12, 7)


def theirs_date(data: bytes, task_id: str) -> date:
    return vobject_events(data)[f"task-{task_id}@{DOMAIN}"].dtstart.value


def test_offset_only_due_becomes_utc_and_duration_is_kept(sample_ws) -> None:
    task = add_task("Offset task", "--due", "2026-12-01 10:00", "--duration", "90")
    result = run("task", "edit", task, "--set", "due=2026-12-01T10:00+05:30")
    assert result.code == 0, result.err
    data = export(sample_ws)
    event = components(data)[f"task-{task}@{DOMAIN}"]
    assert event["DTSTART"].to_ical() == b"20261201T043000Z"
    assert event["DURATION"].dt == timedelta(minutes=90)
    assert "TZID" not in event["DTSTART"].params


def test_reminders_are_display_alarms_before_the_start(sample_ws) -> None:
    data = export(sample_ws)
    review = components(data)[f"task-tee6mj3g@{DOMAIN}"]  # 09:30, 45 min, remind 15m
    assert review.start == datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)
    assert review["DURATION"].dt == timedelta(minutes=45)
    assert review["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    (alarm,) = review.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15)
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert str(alarm["DESCRIPTION"]) == "Reminder: Weekly pipeline review"
    assert b"TRIGGER:-PT15M" in data


def test_recurrence_until_is_written_in_the_form_rfc_5545_requires(sample_ws) -> None:
    timed = add_task("Until", "--due", "2026-12-01 10:00", "--repeat", "FREQ=WEEKLY;UNTIL=20270101")
    day = add_task("Until day", "--due", "2026-12-01", "--repeat", "FREQ=DAILY;UNTIL=20261205")
    data = export(sample_ws)
    ours = components(data)
    assert ours[f"task-{timed}@{DOMAIN}"]["RRULE"].to_ical() == (
        b"FREQ=WEEKLY;UNTIL=20270101T225959Z"  # the end of that day in Berlin, in UTC
    )
    assert ours[f"task-{day}@{DOMAIN}"]["RRULE"].to_ical() == b"FREQ=DAILY;UNTIL=20261205"
    theirs = vobject_events(data)
    weekly = list(theirs[f"task-{timed}@{DOMAIN}"].getrruleset())
    assert len(weekly) == 5 and weekly[-1].astimezone(UTC) == datetime(
        2026, 12, 29, 9, 0, tzinfo=UTC
    )
    assert len(list(theirs[f"task-{day}@{DOMAIN}"].getrruleset())) == 5


def test_deals_are_all_day_on_their_expected_close_date(sample_ws) -> None:
    data = export(sample_ws)
    deal = components(data)[f"deal-acme-logistics-driver-onboarding-app@{DOMAIN}"]
    assert deal["DTSTART"].dt == date(2026, 12, 23)
    assert deal["DTEND"].dt == date(2026, 12, 24)
    assert str(deal["SUMMARY"]) == "Close: Acme Logistics driver onboarding app"
    assert str(deal["TRANSP"]) == "TRANSPARENT"
    assert [str(c) for c in deal["CATEGORIES"].cats] == ["app", "enterprise"]
    description = str(deal["DESCRIPTION"])
    assert "Client: Acme Logistics <https://www.acme-logistics.de>" in description
    assert "Stage: Sales, Negotiation (75%)" in description
    assert "Amount: 74,000 EUR" in description
    assert description.endswith("tcrm deal show acme-logistics-driver-onboarding-app")


def test_activities_are_past_events_in_utc(sample_ws) -> None:
    facts = sample_facts(sample_ws)
    data = export(sample_ws, "--activities", "--no-tasks", "--no-deals")
    events = components(data)
    assert len(events) == facts["acts"]
    assert all(uid.startswith("activity-") for uid in events)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    for event in events.values():
        assert event["DTSTART"].dt.tzinfo is not None
        assert event["DTSTART"].to_ical().endswith(b"Z")
        assert event["DTSTART"].dt <= now
        assert str(event["TRANSP"]) == "TRANSPARENT"


# --- text: escaping, folding, non-ASCII -------------------------------------------------


def test_text_is_escaped_folded_and_reads_back_exactly(sample_ws) -> None:
    title = "Call Zoë Łukasz, re: «Angebot»; bring 3,5 kg of 🍪 " + "very long title " * 6
    notes = "Line one, with a comma; and a semicolon\nLine two: \\ backslash\nDrei: Größe"
    task = add_task(title.strip(), "--due", "2026-12-02 15:00", "--note", notes)
    data = export(sample_ws)
    assert all(len(line) <= 75 for line in data.split(b"\r\n")), "lines are folded at 75 octets"
    assert data.endswith(b"END:VCALENDAR\r\n")
    raw = data.decode("utf-8")
    assert "Zoë Łukasz\\, re: «Angebot»\\; bring 3\\,5 kg" in raw.replace("\r\n ", "")
    uid = f"task-{task}@{DOMAIN}"
    ours = components(data)[uid]
    theirs = vobject_events(data)[uid]
    assert str(ours["SUMMARY"]) == title.strip() == theirs.summary.value
    assert notes in str(ours["DESCRIPTION"])
    assert notes in theirs.description.value


# --- VTODO and closed tasks --------------------------------------------------------------


def test_todo_mode_writes_vtodos_with_due_and_alarms_relative_to_it(sample_ws) -> None:
    facts = sample_facts(sample_ws)
    data = export(sample_ws, "--todo", "--closed")
    todos = components(data, "VTODO")
    assert len(todos) == facts["tasks"] + facts["closed_tasks"]
    assert len(components(data)) == facts["deals"]
    dst = todos[f"task-{DST_TASK}@{DOMAIN}"]
    assert str(dst["STATUS"]) == "COMPLETED" and int(dst["PERCENT-COMPLETE"]) == 100
    assert dst["COMPLETED"].dt == datetime(2026, 3, 29, 7, 50, tzinfo=UTC)
    assert dst["DUE"].dt.astimezone(UTC) == datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
    assert not dst.walk("VALARM")  # a done task never rings
    review = todos[f"task-tee6mj3g@{DOMAIN}"]
    assert str(review["STATUS"]) == "NEEDS-ACTION"
    assert review["DTSTART"].dt == review["DUE"].dt  # the anchor of its RRULE
    (alarm,) = review.walk("VALARM")
    assert alarm["TRIGGER"].params["RELATED"] == "END"
    statuses = {str(t["STATUS"]) for t in todos.values()}
    assert statuses == {"NEEDS-ACTION", "COMPLETED", "CANCELLED"}
    theirs = vobject.readOne(data.decode("utf-8"))
    assert len(theirs.vtodo_list) == len(todos)


def test_closed_tasks_are_left_out_by_default_and_marked_with_closed(sample_ws) -> None:
    facts = sample_facts(sample_ws)
    plain = components(export(sample_ws, "--no-deals"))
    assert len(plain) == facts["tasks"]
    assert {str(e["STATUS"]) for e in plain.values()} == {"CONFIRMED"}
    closed = components(export(sample_ws, "--no-deals", "--closed", name="closed.ics"))
    assert len(closed) == facts["tasks"] + facts["closed_tasks"]
    cancelled = [e for e in closed.values() if str(e["STATUS"]) == "CANCELLED"]
    done = [e for e in closed.values() if str(e["SUMMARY"]).startswith("✓ ")]
    assert len(cancelled) + len(done) == facts["closed_tasks"]
    assert all("RRULE" not in e and not e.walk("VALARM") for e in cancelled + done)


# --- stability ----------------------------------------------------------------------------


def test_exporting_twice_gives_identical_bytes_on_stdout_and_in_files(sample_ws) -> None:
    first = export(sample_ws, "--activities", "--closed")
    second = export(sample_ws, "--activities", "--closed", name="again.ics")
    assert first == second
    piped = run("ics", "export", "--activities", "--closed")
    assert piped.code == 0 and piped.err == ""
    assert piped.out.encode("utf-8") == first
    process = subprocess.run(  # a real stdout: the bytes as written, CRLF kept
        [sys.executable, "-m", "tcrm", "ics", "export", "--activities", "--closed"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert process.stdout == first and process.stderr == b""


def test_a_clone_exports_the_same_bytes(sample_ws, tmp_path) -> None:
    """UIDs and revisions come from the record ids, the workspace name and git history,
    never from paths or checkout times."""
    original = export(sample_ws)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(sample_ws), str(clone)], check=True)
    os.utime(clone / "tasks" / "tee6mj3g.yaml", (1_000_000_000, 1_000_000_000))
    result = run("-w", str(clone), "ics", "export")
    assert result.code == 0, result.err
    assert result.out.encode("utf-8") == original


def _pairs(before: bytes, after: bytes) -> tuple[dict, dict]:
    return components(before), components(after)


def test_changing_one_task_changes_only_that_event(sample_ws) -> None:
    before = export(sample_ws)
    ws = Workspace(sample_ws)
    task = ws.get("task", "t2ejnwdx")
    when = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    with ws.transaction("task t2ejnwdx: snooze to 2026-12-01", when=when) as tx:
        tx.put(updated(task, {"due": "2026-12-01"}))
    message = git(sample_ws, "log", "-1", "--format=%s").strip()
    assert message == "task t2ejnwdx: snooze to 2026-12-01"
    after = export(sample_ws, name="after.ics")
    old, new = _pairs(before, after)
    assert old.keys() == new.keys()
    changed = [uid for uid in old if old[uid].to_ical() != new[uid].to_ical()]
    assert changed == [f"task-t2ejnwdx@{DOMAIN}"]
    uid = changed[0]
    assert int(old[uid]["SEQUENCE"]) == 0 and int(new[uid]["SEQUENCE"]) == LINKED_REVISIONS
    assert new[uid]["LAST-MODIFIED"].dt == when
    assert new[uid]["DTSTAMP"].dt == when
    assert old[uid]["LAST-MODIFIED"].dt < when
    assert new[uid]["DTSTART"].dt == date(2026, 12, 1)
    assert str(old[uid]["UID"]) == str(new[uid]["UID"])
    zones = [icalendar.Calendar.from_ical(d).walk("VTIMEZONE") for d in (before, after)]
    assert [z.to_ical() for z in zones[0]] == [z.to_ical() for z in zones[1]]


def test_a_cli_change_bumps_sequence_and_an_uncommitted_edit_changes_nothing(sample_ws) -> None:
    """The feed shows committed records: a hand edit shows (and bumps SEQUENCE) once
    committed, so discarding it never takes SEQUENCE back (tests/test_ics_sequence.py)."""
    before = components(export(sample_ws))
    result = run("task", "snooze", "t2ejnwdx", "+1d")
    assert result.code == 0, result.err
    assert status_clean(sample_ws)
    uid = f"task-t2ejnwdx@{DOMAIN}"
    snoozed = components(export(sample_ws, name="b.ics"))
    assert int(snoozed[uid]["SEQUENCE"]) == int(before[uid]["SEQUENCE"]) + LINKED_REVISIONS
    assert snoozed[uid]["LAST-MODIFIED"].dt >= before[uid]["LAST-MODIFIED"].dt

    path = sample_ws / "tasks" / "t2ejnwdx.yaml"  # a hand edit, not committed yet
    path.write_text(path.read_text(encoding="utf-8").replace("priority:", "# note\npriority:"))
    path.write_text(path.read_text(encoding="utf-8") + "# edited by hand\n")
    os.utime(path, (1_900_000_000, 1_900_000_000))
    edited = components(export(sample_ws, name="c.ics"))
    assert edited[uid].to_ical() == snoozed[uid].to_ical()


def test_revisions_come_from_one_walk_with_counts_and_times(sample_ws) -> None:
    run("task", "snooze", "t2ejnwdx", "+1d")
    paths = ["tasks/t2ejnwdx.yaml", "tasks/tee6mj3g.yaml", "tasks/missing.yaml"]
    (sample_ws / "tasks" / "tnew0000.yaml").write_text("title: new\n", encoding="utf-8")
    found = store_git.revisions(sample_ws, [*paths, "tasks/tnew0000.yaml"])
    assert found["tasks/t2ejnwdx.yaml"].changes == 2
    assert found["tasks/tee6mj3g.yaml"].changes == 1
    assert "tasks/missing.yaml" not in found
    new = found["tasks/tnew0000.yaml"]  # uncommitted: no revision yet, its file time
    assert (new.changes, new.committed) == (0, False)
    assert found["tasks/t2ejnwdx.yaml"].committed
    head_time = int(git(sample_ws, "log", "-1", "--format=%ct").strip())
    assert found["tasks/t2ejnwdx.yaml"].changed == datetime.fromtimestamp(head_time, UTC)


# --- the file: atomic, permissions --------------------------------------------------------


def test_the_output_file_is_replaced_by_rename_and_never_seen_half_written(sample_ws) -> None:
    target = sample_ws.parent / "feed.ics"
    export(sample_ws, name="feed.ics")
    first_inode = target.stat().st_ino
    complete = target.read_bytes()
    stop = threading.Event()
    seen: list[bytes] = []

    def reader() -> None:
        for _ in range(20_000):  # bounded
            if stop.is_set():
                return
            seen.append(target.read_bytes())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(4):
            export(sample_ws, "--activities", name="feed.ics")
            export(sample_ws, name="feed.ics")
    finally:
        stop.set()
        thread.join(timeout=30)
    bigger = export(sample_ws, "--activities", name="feed.ics")
    assert target.stat().st_ino != first_inode
    assert seen and all(s in (complete, bigger) for s in seen)
    leftovers = [p.name for p in sample_ws.parent.iterdir() if p.name.startswith(".feed.ics")]
    assert leftovers == []


def test_a_new_file_is_0644_and_an_existing_one_keeps_its_mode(sample_ws) -> None:
    target = sample_ws.parent / "out.ics"
    export(sample_ws)
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o600)
    export(sample_ws)
    assert target.stat().st_mode & 0o777 == 0o600


# --- options --------------------------------------------------------------------------


def test_assignee_feed_has_only_their_tasks_and_deals(sample_ws) -> None:
    data = export(sample_ws, "--assignee", "ben")
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "Northwind Studio (Ben Okafor)"
    events = components(data)
    assert events
    for uid in events:
        kind, record_id = uid.split("@")[0].split("-", 1)
        folder = {"task": "tasks", "deal": "deals"}[kind]
        record = yaml.safe_load((sample_ws / folder / f"{record_id}.yaml").read_text())
        assert record["assignee" if kind == "task" else "owner"] == "ben"
    assert f"task-tzkete4r@{DOMAIN}" in events  # his weekly US call, in New York time
    assert events[f"task-tzkete4r@{DOMAIN}"]["DTSTART"].params["TZID"] == "America/New_York"


def test_since_keeps_later_entries_and_repeating_tasks(sample_ws) -> None:
    events = components(export(sample_ws, "--since", "2026-12-01"))
    assert events
    for uid, event in events.items():
        start = event["DTSTART"].dt
        day = start.date() if isinstance(start, datetime) else start
        assert day >= date(2026, 12, 1) or "RRULE" in event, uid
    assert f"task-tee6mj3g@{DOMAIN}" in events  # weekly, started before
    relative = components(export(sample_ws, "--since", "+8d", name="rel.ics"))
    assert relative.keys() == events.keys()  # 2026-11-23 + 8 days


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--assignee", "nobody"), "--assignee 'nobody' is not a team member"),
        (("--since", "someday"), "--since"),
        (("--since", "2026-12-01 10:00"), "a day is expected"),
        (("--no-tasks", "--no-deals"), "nothing to export"),
        (("-o", "/nonexistent-folder/x.ics"), "does not exist"),
    ],
)
def test_bad_options_are_refused_with_one_line(sample_ws, args, needle) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("ics", "export", *args)
    assert_refused(sample_ws, result, before, commits)
    assert result.code == 2
    assert needle in result.err


def test_a_directory_as_output_is_refused(sample_ws) -> None:
    folder = sample_ws.parent / "somewhere"
    folder.mkdir()
    result = run("ics", "export", "-o", str(folder))
    assert result.code == 2 and result.err.startswith("tcrm: error: -o")
    assert list(folder.iterdir()) == []


def test_a_workspace_without_git_history_exports_with_file_times(sample_ws, tmp_path) -> None:
    copy = tmp_path / "plain"
    shutil.copytree(sample_ws, copy, ignore=shutil.ignore_patterns(".git"))
    result = run("-w", str(copy), "ics", "export")
    assert result.code == 0, result.err
    assert b"BEGIN:VEVENT" in result.out.encode()


def test_a_big_feed_written_on_every_core_is_the_same_calendar(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    """Entries are written chunk by chunk in forked processes when there are many (4,000
    and more): the bytes are those of one process writing the whole calendar."""
    from tcrm.ics import calendar as ics_calendar
    from tcrm.store import parallel

    alone = export(sample_ws, "--activities", "--closed", name="alone.ics")
    assert pools == []
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(ics_calendar, "ENTRIES", 3)
    shared = export(sample_ws, "--activities", "--closed", name="shared.ics")
    assert pools == [1]
    assert shared == alone
    assert len(components(shared)) > 3 * 2  # more than one chunk per core
    # and both are what icalendar writes of the whole calendar in one piece
    assert icalendar.Calendar.from_ical(alone).to_ical() == alone
