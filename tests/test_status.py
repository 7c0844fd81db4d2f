"""``tcrm status``: the prompt's one line, on a copy of the sample workspace, clock fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import commit_count, run, snapshot

OVERDUE_TASK = "tasks/t2ejnwdx.yaml"
"""Open, due 2026-11-30: a week after the sample's today, until a hand edit moves it."""

CONFLICT = """conflicts:
- field: stage
  mine: proposal
  theirs: won
  base: qualified
"""


def status(*args: str) -> tuple[int, str, str]:
    result = run("status", *args)
    return result.code, result.out, result.err


def counts(*args: str) -> dict[str, int]:
    code, out, err = status("--json", *args)
    assert code == 0 and err == "", err
    assert out.count("\n") == 1  # one line, for a status bar
    return json.loads(out)


def test_the_line_counts_what_today_lists(sample_ws: Path) -> None:
    today = json.loads(run("today", "--json").out)
    assert (len(today["overdue"]), len(today["today"]), today["conflicts"]) == (10, 6, [])
    assert status() == (0, "10 overdue · 6 today\n", "")
    assert counts() == {
        "overdue": 10,
        "today": 6,
        "conflicts": 0,
        "reminders": len(today["reminders"]),
    }


def test_a_hand_edit_and_a_new_file_are_seen_at_once(sample_ws: Path) -> None:
    assert counts()["overdue"] == 10  # the index is built and up to date now
    task = sample_ws / OVERDUE_TASK
    task.write_text(task.read_text().replace("due: 2026-11-30", "due: 2026-11-20"))
    (sample_ws / "tasks" / "tnewhand.yaml").write_text(
        "title: Call back\nstatus: open\ndue: 2026-11-23T17:00+01:00\n"
        "created: 2026-11-20T09:00+01:00\n"
    )
    assert status() == (0, "11 overdue · 7 today\n", "")


def test_conflicts_are_counted_and_the_zero_parts_left_out(
    sample_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = next((sample_ws / "deals").glob("*.yaml"))
    deal.write_text(deal.read_text() + CONFLICT)
    assert status()[1] == "10 overdue · 6 today · 1 conflict\n"
    monkeypatch.setenv("TCRM_NOW", "2020-01-01T09:00:00+01:00")  # before every due day
    assert status() == (0, "1 conflict\n", "")
    assert counts()["conflicts"] == 1


def test_nothing_to_do_prints_nothing(sample_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TCRM_NOW", "2020-01-01T09:00:00+01:00")
    assert status() == (0, "", "")
    assert counts() == {"overdue": 0, "today": 0, "conflicts": 0, "reminders": 0}
    assert status("--format", "[{overdue}]") == (0, "[0]\n", "")  # a template is printed


def test_format_fills_the_placeholders(sample_ws: Path) -> None:
    reminders = counts()["reminders"]
    code, out, err = status("--format", "{overdue}! {today:>3} {conflicts}c {reminders}r")
    assert (code, out, err) == (0, f"10!   6 0c {reminders}r\n", "")
    assert status("--format", "{{literal}} {today}")[1] == "{literal} 6\n"


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{overdue} {done}", "unknown placeholder {done}"),
        ("{today.real}", "unknown placeholder {today.real}"),
        ("{overdue", "--format '{overdue'"),
        ("{today:q}", "--format '{today:q}'"),
    ],
)
def test_a_wrong_format_is_one_line_and_exit_2(sample_ws: Path, template: str, says: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    code, out, err = status("--format", template)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("tcrm: error: --format") and says in err
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_outside_a_workspace_it_is_silent_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TCRM_WORKSPACE", raising=False)
    nowhere = tmp_path / "not-a-workspace"
    nowhere.mkdir()
    monkeypatch.chdir(nowhere)
    assert status() == (1, "", "")
    assert status("--json") == (1, "", "")
    assert run("-w", str(nowhere), "status").code == 1
    assert list(nowhere.iterdir()) == []  # nothing written


def test_a_broken_record_keeps_the_prompt_clean(sample_ws: Path) -> None:
    """`tcrm check` reports bad files; the prompt shows the counts of the readable ones."""
    (sample_ws / "tasks" / "tbroken1.yaml").write_text("title: [unclosed\nstatus: open\n")
    (sample_ws / "tasks" / "tbadtype.yaml").write_text("title: x\nstatus: open\ndue: 12\n")
    assert status() == (0, "10 overdue · 6 today\n", "")
    assert "tbroken1" in run("check").out + run("check").err


def test_an_unreadable_workspace_is_silent_and_exits_1(sample_ws: Path) -> None:
    settings = sample_ws / "tcrm.yaml"
    settings.write_text(settings.read_text() + "pipelines: [\n")
    assert run("today").err.startswith("tcrm: error: tcrm.yaml:")  # what `today` says
    assert status() == (1, "", "")
    assert status("--format", "{today}") == (1, "", "")
