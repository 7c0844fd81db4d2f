"""``tcrm report kpi --period day``: today's KPIs (the TUI dashboard's day column)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clitools import run


def test_kpi_for_the_day(sample_ws: Path) -> None:
    logged = run("log", "acme-logistics", "call: phase 2", "--author", "ben")
    assert logged.code == 0, logged.err
    result = run("report", "kpi", "--period", "day", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["period"]["start"] == data["period"]["end"] == "2026-11-23"
    calls = {m["id"]: m["activities"]["call"] for m in data["members"]}
    assert calls["ben"] == 1 and sum(calls.values()) == 1, calls  # logged today, by ben
    week = json.loads(run("report", "kpi", "--period", "week", "--json").out)
    assert week["period"]["start"] == "2026-11-23" and week["period"]["end"] == "2026-11-29"


def test_day_is_for_kpi_only(sample_ws: Path) -> None:
    result = run("report", "funnel", "--period", "day")
    assert result.code != 0
    assert "--period 'day'" in result.err and "Traceback" not in result.err
