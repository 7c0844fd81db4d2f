"""Numeric dates with slashes, dots or dashes follow the workspace's ``date_order``:
never guessed value by value (``12/31/2026`` month first, ``01/02/2027`` day first)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from tcrm.model.when import WhenError, parse_day, parse_when
from tests.clitools import assert_refused, commit_count, load, run, snapshot

NOW = datetime(2026, 11, 23, 9, 0)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("01/02/2027", "DMY", date(2027, 2, 1)),
        ("01/02/2027", "MDY", date(2027, 1, 2)),
        ("2027/01/02", "DMY", date(2027, 1, 2)),  # a four-digit year first is never ambiguous
        ("2027/01/02", "MDY", date(2027, 1, 2)),
        ("27/01/02", "YMD", date(2027, 1, 2)),
        ("31.12.2026", "DMY", date(2026, 12, 31)),
        ("12-31-2026", "MDY", date(2026, 12, 31)),
        ("31/12/26", "DMY", date(2026, 12, 31)),
        ("24/12", "DMY", date(2026, 12, 24)),
        ("12/24", "MDY", date(2026, 12, 24)),
        ("31/12/2026 14:30", "DMY", datetime(2026, 12, 31, 14, 30)),
        ("12/31/2026 2pm", "MDY", datetime(2026, 12, 31, 14, 0)),
    ],
)
def test_numeric_dates_follow_the_order(text: str, order: str, expected: date) -> None:
    assert parse_when(text, NOW, order=order) == expected


@pytest.mark.parametrize(
    ("text", "order", "fits"),
    [
        ("12/31/2026", "DMY", "MDY"),
        ("31/12/2026", "MDY", "DMY"),
        ("31/12/2026", "YMD", "DMY"),
        ("13/13/2026", "DMY", None),
        ("2026/31/12", "DMY", None),
    ],
)
def test_a_date_that_does_not_fit_the_order_is_refused_naming_the_setting(
    text: str, order: str, fits: str | None
) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, order=order)
    message = str(caught.value)
    assert f"date_order {order}" in message and "tcrm.yaml" in message
    if fits:
        assert f"date_order: {fits}" in message


def test_the_default_order_is_day_first_and_never_guesses() -> None:
    assert parse_when("01/02/2027", NOW) == date(2027, 2, 1)
    with pytest.raises(WhenError, match="date_order DMY"):
        parse_when("12/31/2026", NOW)
    assert parse_day("05.01.2027", NOW) == date(2027, 1, 5)


def _set_order(root: Path, order: str) -> None:
    settings = root / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"date_order: {order}\n")
    assert run("-w", root, "check").code == 0


def test_task_add_refuses_a_month_first_date_in_a_day_first_workspace(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("-w", sample_ws, "task", "add", "Call back", "--due", "12/31/2026")
    assert_refused(sample_ws, result, before, commits)
    assert "date_order DMY" in result.err and "date_order: MDY" in result.err


def test_task_add_reads_the_workspace_order(sample_ws: Path) -> None:
    _set_order(sample_ws, "MDY")
    import subprocess

    subprocess.run(["git", "-C", str(sample_ws), "commit", "-qam", "settings: MDY"], check=True)
    result = run("-w", sample_ws, "task", "add", "Call back", "--due", "01/02/2027")
    assert result.code == 0, result.err
    added = [p for p in (sample_ws / "tasks").iterdir() if "Call back" in p.read_text()]
    assert len(added) == 1
    assert str(load(sample_ws, f"tasks/{added[0].name}")["due"]) == "2027-01-02"


def test_an_unknown_order_is_a_settings_problem(sample_ws: Path) -> None:
    settings = sample_ws / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "date_order: DDMM\n")
    result = run("-w", sample_ws, "check")
    assert result.code != 0
    assert "date_order" in result.out + result.err


def test_help_dates_lists_the_slash_forms(sample_ws: Path) -> None:
    result = run("-w", sample_ws, "help", "dates")
    assert result.code == 0, result.err
    assert "date_order" in result.out
    assert "31/12/2026" in result.out


def test_an_import_reads_slash_dates_in_the_workspace_order(
    sample_ws: Path, tmp_path: Path
) -> None:
    settings = sample_ws / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "date_order: MDY\n")
    import subprocess

    subprocess.run(["git", "-C", str(sample_ws), "commit", "-qam", "settings: MDY"], check=True)
    rows = tmp_path / "deals.csv"
    rows.write_text(
        "Title,Client,Close Date\n"
        "Big one,acme-logistics,12/31/2026\n"
        "Small one,acme-logistics,01/02/2027\n"
    )
    result = run("-w", sample_ws, "import", "csv", rows, "--type", "deals")
    assert result.code == 0, result.err
    closes = {
        load(sample_ws, f"deals/{p.name}")["title"]: str(
            load(sample_ws, f"deals/{p.name}").get("close_date")
        )
        for p in (sample_ws / "deals").iterdir()
    }
    assert closes["Big one"] == "2026-12-31"
    assert closes["Small one"] == "2027-01-02"
