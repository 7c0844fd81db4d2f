"""Reports against figures computed by hand on a small fixture workspace.

The fixture (built below through the store, with explicit stage history dates) is small
enough to count on paper. Every expected number is written out as a literal, with a
comment saying which records make it. "Now" is Monday 2026-11-23 09:00 in Berlin, so the
default period (the current month) is November 2026.

Time zone facts the fixture relies on: Berlin is UTC+2 until 2026-10-25 and UTC+1 after;
2026-10-31T23:30Z is 2026-11-01 00:30 in Berlin (November there, October in UTC), and
2026-11-30T23:30Z is 2026-12-01 00:30 in Berlin (December there).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tcrm.model.records import Deal
from tcrm.reports.base import NONE, Inputs, source_of
from tcrm.reports.money import Converter, cents, percent
from tcrm.reports.periods import Period, local_day, period_of, span, window
from tcrm.services.records import build
from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tests.clitools import (
    NOW,
    assert_refused,
    commit_count,
    run,
    snapshot,
    status_clean,
)

SETTINGS = """\
version: 1
name: Fixture Ltd
timezone: Europe/Berlin
currency: EUR
team:
- id: ann
  name: Ann
- id: ben
  name: Ben
pipelines:
- id: sales
  name: Sales
  stages:
  - {id: lead, name: Lead, probability: 10, rotting_days: 14}
  - {id: qualified, name: Qualified, probability: 25, rotting_days: 14}
  - {id: proposal, name: Proposal, probability: 50, rotting_days: 10}
  - {id: negotiation, name: Negotiation, probability: 75, rotting_days: 7}
- id: partners
  name: Partners
  stages:
  - {id: intro, name: Intro, probability: 20}
  - {id: contract, name: Contract, probability: 60}
lists:
  sources: [web, referral]
  lost_reasons: [price, timing]
  activity_kinds: [call, email, meeting, note]
goals:
- {metric: activities, kind: call, target: 4, period: week}
- {metric: won_amount, target: 10000, period: month, member: ann}
- {metric: deals_won, target: 2, period: quarter}
rates:
  USD: 0.9
"""


def h(at: str, stage: str, status: str | None = None) -> dict[str, str]:
    entry = {"at": at, "stage": stage}
    if status:
        entry["status"] = status
    return entry


CLIENTS: dict[str, dict[str, Any]] = {
    "c-alpha": {"name": "Alpha GmbH", "owner": "ann", "source": "web",
                "created": "2026-09-01T10:00+02:00"},
    "c-beta": {"name": "Beta AG", "owner": "ben", "source": "referral",
               "created": "2026-10-01T10:00+02:00"},
    "c-gamma": {"name": "Gamma Ltd", "owner": "ben", "source": "referral",
                "created": "2026-11-10T10:00+01:00"},
    # created 2026-11-01 00:30 in Berlin: a November lead, though October in UTC
    "c-delta": {"name": "Delta SARL", "owner": "ann", "source": "web",
                "created": "2026-10-31T23:30+00:00"},
}  # fmt: skip

DEALS: dict[str, dict[str, Any]] = {
    # won in November after moving lead -> qualified -> proposal -> negotiation
    "alpha": {
        "client": "c-alpha", "pipeline": "sales", "stage": "negotiation", "status": "won",
        "amount": "10000", "owner": "ann", "source": "web", "closed": "2026-11-12",
        "close_date": "2026-11-12", "created": "2026-10-05T10:00+02:00",
        "stage_history": [
            h("2026-10-05T10:00+02:00", "lead"),
            h("2026-10-20T10:00+02:00", "qualified"),
            h("2026-11-03T10:00+01:00", "proposal"),
            h("2026-11-10T10:00+01:00", "negotiation"),
            h("2026-11-12T15:00+01:00", "negotiation", "won"),
        ],
    },
    # open, NO amount, no source of its own (its client's: referral), skipped qualified
    "beta": {
        "client": "c-beta", "pipeline": "sales", "stage": "proposal", "owner": "ben",
        "created": "2026-11-02T09:00+01:00",
        "stage_history": [
            h("2026-11-02T09:00+01:00", "lead"),
            h("2026-11-05T09:00+01:00", "proposal"),
        ],
    },
    # lost in November at qualified, in USD
    "gamma": {
        "client": "c-alpha", "pipeline": "sales", "stage": "qualified", "status": "lost",
        "lost_reason": "price", "amount": "5000", "currency": "USD", "owner": "ann",
        "source": "referral", "closed": "2026-11-16", "created": "2026-11-04T10:00+01:00",
        "stage_history": [
            h("2026-11-04T10:00+01:00", "lead"),
            h("2026-11-06T10:00+01:00", "qualified"),
            h("2026-11-16T10:00+01:00", "qualified", "lost"),
        ],
    },
    # moved BACKWARDS (proposal -> qualified) and forwards again, in November
    "delta": {
        "client": "c-gamma", "pipeline": "sales", "stage": "proposal", "amount": "8000",
        "owner": "ann", "source": "web", "close_date": "2026-11-28",
        "created": "2026-10-01T10:00+02:00",
        "stage_history": [
            h("2026-10-01T10:00+02:00", "lead"),
            h("2026-10-10T10:00+02:00", "qualified"),
            h("2026-11-09T10:00+01:00", "proposal"),
            h("2026-11-11T10:00+01:00", "qualified"),
            h("2026-11-13T10:00+01:00", "proposal"),
        ],
    },
    # REOPENED: lost on Oct 1, reopened Nov 2, won Nov 20 (the last closing counts)
    "epsilon": {
        "client": "c-beta", "pipeline": "sales", "stage": "qualified", "status": "won",
        "amount": "4000", "owner": "ann", "source": "referral", "closed": "2026-11-20",
        "created": "2026-09-01T10:00+02:00",
        "stage_history": [
            h("2026-09-01T10:00+02:00", "lead"),
            h("2026-09-15T10:00+02:00", "qualified"),
            h("2026-10-01T10:00+02:00", "qualified", "lost"),
            h("2026-11-02T10:00+01:00", "qualified", "open"),
            h("2026-11-20T10:00+01:00", "qualified", "won"),
        ],
    },
    # open in GBP (no rate for GBP in tcrm.yaml), own probability 60, skipped two stages
    "zeta": {
        "client": "c-gamma", "pipeline": "sales", "stage": "negotiation", "amount": "3000",
        "currency": "GBP", "probability": 60, "owner": "ben", "source": "web",
        "close_date": "2027-01-10", "created": "2026-11-16T10:00+01:00",
        "stage_history": [
            h("2026-11-16T10:00+01:00", "lead"),
            h("2026-11-18T10:00+01:00", "negotiation"),
        ],
    },
    # entered lead at 2026-11-01 00:30 Berlin (written in UTC); close date already passed
    "eta": {
        "client": "c-beta", "pipeline": "sales", "stage": "lead", "amount": "2000",
        "owner": "ann", "close_date": "2026-10-25", "created": "2026-10-31T23:30+00:00",
        "stage_history": [h("2026-10-31T23:30+00:00", "lead")],
    },
    # the other pipeline, open
    "theta": {
        "client": "c-alpha", "pipeline": "partners", "stage": "intro", "amount": "6000",
        "owner": "ben", "close_date": "2026-12-20", "created": "2026-11-05T10:00+01:00",
        "stage_history": [h("2026-11-05T10:00+01:00", "intro")],
    },
    # won in October
    "iota": {
        "client": "c-beta", "pipeline": "sales", "stage": "proposal", "status": "won",
        "amount": "12000", "owner": "ben", "source": "referral", "closed": "2026-10-15",
        "created": "2026-09-01T10:00+02:00",
        "stage_history": [
            h("2026-09-01T10:00+02:00", "lead"),
            h("2026-09-20T10:00+02:00", "proposal"),
            h("2026-10-15T10:00+02:00", "proposal", "won"),
        ],
    },
    # lost in November WITHOUT an amount, in the partners pipeline
    "kappa": {
        "client": "c-gamma", "pipeline": "partners", "stage": "intro", "status": "lost",
        "lost_reason": "timing", "owner": "ben", "source": "web", "closed": "2026-11-19",
        "created": "2026-11-18T10:00+01:00",
        "stage_history": [
            h("2026-11-18T10:00+01:00", "intro"),
            h("2026-11-19T10:00+01:00", "intro", "lost"),
        ],
    },
    # won in June in USD (rate 0.9)
    "lambda": {
        "client": "c-gamma", "pipeline": "sales", "stage": "lead", "status": "won",
        "amount": "2000", "currency": "USD", "owner": "ben", "source": "referral",
        "closed": "2026-06-10", "created": "2026-06-01T10:00+02:00",
        "stage_history": [
            h("2026-06-01T10:00+02:00", "lead"),
            h("2026-06-10T10:00+02:00", "lead", "won"),
        ],
    },
    # won in July in GBP (no rate)
    "mu": {
        "client": "c-delta", "pipeline": "sales", "stage": "lead", "status": "won",
        "amount": "1000", "currency": "GBP", "owner": "ann", "source": "web",
        "closed": "2026-07-01", "created": "2026-06-20T10:00+02:00",
        "stage_history": [
            h("2026-06-20T10:00+02:00", "lead"),
            h("2026-07-01T10:00+02:00", "lead", "won"),
        ],
    },
}  # fmt: skip

ACTIVITIES: dict[str, dict[str, Any]] = {
    "a1": {"kind": "call", "author": "ann", "at": "2026-11-23T08:00+01:00", "deals": ["zeta"]},
    "a2": {"kind": "call", "author": "ann", "at": "2026-11-20T10:00+01:00", "deals": ["eta"]},
    "a3": {"kind": "email", "author": "ben", "at": "2026-11-10T10:00+01:00", "deals": ["beta"]},
    "a4": {"kind": "meeting", "author": "ben", "at": "2026-10-20T10:00+02:00",
           "deals": ["delta"]},
    # 2026-12-01 00:30 in Berlin: December, though November 30 in UTC
    "a5": {"kind": "call", "author": "ben", "at": "2026-11-30T23:30+00:00"},
    "a6": {"kind": "note", "author": "ann", "at": "2026-11-02T09:00+01:00"},
}  # fmt: skip

TASKS: dict[str, dict[str, Any]] = {
    "t1": {"status": "done", "assignee": "ann", "completed": "2026-11-10T12:00+01:00"},
    "t2": {"status": "done", "assignee": "ann", "completed": "2026-10-30T12:00+01:00"},
    "t3": {"assignee": "ann", "due": "2026-11-20"},  # overdue: its day has ended
    "t4": {"assignee": "ben", "due": "2026-11-23"},  # due today: not overdue
    "t5": {"assignee": "ben", "due": "2026-11-23T08:00"},  # 08:00 has passed: overdue
    "t6": {"status": "cancelled", "assignee": "ben", "due": "2026-11-01"},
    # completed 2026-12-01 00:30 in Berlin: December
    "t7": {"status": "done", "assignee": "ben", "completed": "2026-11-30T23:30+00:00"},
}  # fmt: skip


@pytest.fixture
def fixture_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand-counted workspace, with the clock at ``NOW``."""
    for var, value in {
        "TCRM_NOW": NOW,
        "GIT_AUTHOR_NAME": "Ann Tester",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann Tester",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }.items():
        monkeypatch.setenv(var, value)
    template = tmp_path / "template"
    template.mkdir()
    (template / "tcrm.yaml").write_text(SETTINGS, encoding="utf-8")
    root = tmp_path / "ws"
    ws = init_workspace(root, template=template)
    with ws.transaction("fixture: records") as tx:
        for kind, table in (
            ("client", CLIENTS),
            ("deal", DEALS),
            ("activity", ACTIVITIES),
            ("task", TASKS),
        ):
            for record_id, fields in table.items():
                data = dict(fields)
                if kind == "deal":
                    data["title"] = record_id.capitalize()
                elif kind == "task":
                    data["title"] = f"Task {record_id}"
                elif kind == "activity":
                    data["summary"] = f"Activity {record_id}"
                tx.put(build(kind, {**data, "id": record_id}), create=True)
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    return root


def add_gbp_rate(root: Path) -> None:
    """Give GBP a rate (1 GBP = 1.2 EUR), for the conversions that need one."""
    path = root / "tcrm.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  USD: 0.9\n", "  USD: 0.9\n  GBP: 1.2\n"),
        encoding="utf-8",
    )


def report(*args: str) -> Any:
    result = run("report", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def by(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


# --- the fixture itself ------------------------------------------------------------------


def test_fixture_is_a_valid_committed_workspace(fixture_ws: Path) -> None:
    assert run("check").code == 0
    assert status_clean(fixture_ws)
    assert commit_count(fixture_ws) == 2


# --- funnel --------------------------------------------------------------------------------


def test_funnel_november_by_hand(fixture_ws: Path) -> None:
    data = report("funnel")
    assert data["pipeline"] == "sales"  # the default pipeline: theta and kappa are left out
    assert data["period"] == {
        "kind": "month", "label": "2026-11", "start": "2026-11-01", "end": "2026-11-30"
    }  # fmt: skip
    steps = by(data["steps"], "stage")
    assert [s["stage"] for s in data["steps"]] == [
        "lead", "qualified", "proposal", "negotiation", "won"
    ]  # fmt: skip
    # Furthest step each sales deal reached by an entry dated in November (Berlin):
    #   alpha: won Nov 12 -> every step; epsilon: reopened Nov 2, won Nov 20 -> every step
    #   beta: proposal (qualified skipped, counts as passed); delta: proposal (it went
    #   back to qualified and forward again: counted once per stage); zeta: negotiation
    #   (two stages skipped); gamma: qualified (lost there); eta: lead at 00:30 Nov 1
    #   Berlin (23:30 Oct 31 UTC); iota: nothing in November (won in October).
    assert steps["lead"]["reached"] == 7  # alpha beta gamma delta epsilon zeta eta
    assert steps["qualified"]["reached"] == 6  # all but eta
    assert steps["proposal"]["reached"] == 5  # alpha beta delta epsilon zeta
    assert steps["negotiation"]["reached"] == 3  # alpha epsilon zeta
    assert steps["won"]["reached"] == 2  # alpha epsilon
    assert steps["lead"]["deals"] == ["alpha", "beta", "delta", "epsilon", "eta", "gamma", "zeta"]
    assert steps["lead"]["conversion"] is None
    assert steps["qualified"]["conversion"] == 85.7  # 6/7
    assert steps["proposal"]["conversion"] == 83.3  # 5/6
    assert steps["negotiation"]["conversion"] == 60.0  # 3/5
    assert steps["won"]["conversion"] == 66.7  # 2/3
    assert steps["negotiation"]["of_first"] == 42.9  # 3/7
    assert data["overall_conversion"] == 28.6  # 2/7
    assert data["lost"] == 1  # gamma (kappa is in the other pipeline)


def test_funnel_october_counts_the_reopened_deal_by_its_last_closing(fixture_ws: Path) -> None:
    # --until alone: from the start of its month. October 1..31 in Berlin:
    #   alpha lead Oct 5, qualified Oct 20 -> qualified; delta lead, qualified -> qualified
    #   epsilon: its LOST entry (Oct 1) is an entry at qualified -> qualified; it is not
    #   lost in October because its last closing is the win of Nov 20
    #   iota: won Oct 15 -> every step; eta: 23:30 Oct 31 UTC is November in Berlin -> none
    data = report("funnel", "--until", "2026-10-31")
    assert data["period"]["start"] == "2026-10-01"
    assert [s["reached"] for s in data["steps"]] == [4, 4, 1, 1, 1]
    assert data["steps"][0]["deals"] == ["alpha", "delta", "epsilon", "iota"]
    assert data["lost"] == 0


def test_funnel_other_pipeline_and_owner(fixture_ws: Path) -> None:
    data = report("funnel", "--pipeline", "partners")
    # theta entered intro Nov 5; kappa entered intro Nov 18 and was lost there Nov 19
    assert [(s["stage"], s["reached"]) for s in data["steps"]] == [
        ("intro", 2), ("contract", 0), ("won", 0)
    ]  # fmt: skip
    assert data["steps"][1]["conversion"] == 0.0
    assert data["steps"][2]["conversion"] is None  # nothing to convert from
    assert data["lost"] == 1
    ann = report("funnel", "--owner", "ann")
    # ann's sales deals in November: alpha, gamma, delta, epsilon, eta
    assert [s["reached"] for s in ann["steps"]] == [5, 4, 3, 2, 2]


def test_funnel_empty_period(fixture_ws: Path) -> None:
    data = report("funnel", "--since", "2025-01-01", "--until", "2025-01-31")
    assert [s["reached"] for s in data["steps"]] == [0, 0, 0, 0, 0]
    assert all(s["conversion"] is None for s in data["steps"])
    assert data["overall_conversion"] is None
    assert data["notes"] == ["no deal of this pipeline moved in this period"]


# --- forecast -----------------------------------------------------------------------------


def test_forecast_by_hand(fixture_ws: Path) -> None:
    data = report("forecast")
    assert data["granularity"] == "month"
    assert data["period"] is None  # every open deal, whatever its close date
    buckets = by(data["buckets"], "key")
    assert list(buckets) == ["overdue", "2026-11", "2026-12", "2027-01", "undated"]
    # eta: close date Oct 25, before this month; EUR 2000 at lead (10%) -> 200
    assert buckets["overdue"]["ids"] == ["eta"]
    assert buckets["overdue"]["amount"] == {"EUR": "2000.00"}
    assert buckets["overdue"]["weighted"] == {"EUR": "200.00"}
    # delta: EUR 8000 at proposal (50%) -> 4000
    assert buckets["2026-11"]["amount"] == {"EUR": "8000.00"}
    assert buckets["2026-11"]["weighted"] == {"EUR": "4000.00"}
    assert (buckets["2026-11"]["start"], buckets["2026-11"]["end"]) == ("2026-11-01", "2026-11-30")
    # theta: EUR 6000 at intro (20%) -> 1200
    assert buckets["2026-12"]["weighted"] == {"EUR": "1200.00"}
    # zeta: GBP 3000 with its own probability 60% -> 1800, kept in GBP
    assert buckets["2027-01"]["amount"] == {"GBP": "3000.00"}
    assert buckets["2027-01"]["weighted"] == {"GBP": "1800.00"}
    # beta: no close date and no amount: counted, not summed
    assert buckets["undated"] == {
        "key": "undated", "start": None, "end": None, "deals": 1, "without_amount": 1,
        "amount": {}, "weighted": {}, "ids": ["beta"],
    }  # fmt: skip
    assert data["total"] == {
        "deals": 5,
        "without_amount": 1,
        "amount": {"EUR": "16000.00", "GBP": "3000.00"},  # 2000+8000+6000; zeta
        "weighted": {"EUR": "5400.00", "GBP": "1800.00"},  # 200+4000+1200; zeta
    }
    # won November 1..23: alpha 10000 + epsilon 4000
    assert data["won_so_far"]["amount"] == {"EUR": "14000.00"}
    assert data["won_so_far"]["ids"] == ["alpha", "epsilon"]
    assert data["won_so_far"]["period"]["label"] == "2026-11"
    # ann's goal: 10000 won a month. Won 14000; expected: her open deals closing in
    # November, weighted: delta 4000 (eta closes in October) -> projected 18000
    (goal,) = data["goals"]
    assert goal["member"] == "ann" and goal["metric"] == "won_amount"
    assert (goal["target"], goal["won"], goal["expected"], goal["projected"]) == (
        "10000", "14000.00", "4000.00", "18000.00"
    )  # fmt: skip
    assert (goal["percent"], goal["projected_percent"]) == (140.0, 180.0)
    assert "1 deal has no amount: counted in the deal counts, not in the sums" in data["notes"]


def test_forecast_by_quarter_and_range(fixture_ws: Path) -> None:
    data = report("forecast", "--period", "quarter")
    buckets = by(data["buckets"], "key")
    # eta's Oct 25 is in the current quarter, so nothing is overdue
    assert list(buckets) == ["2026-Q4", "2027-Q1", "undated"]
    assert buckets["2026-Q4"]["ids"] == ["delta", "eta", "theta"]
    assert buckets["2026-Q4"]["amount"] == {"EUR": "16000.00"}
    ranged = report("forecast", "--since", "2026-12-01", "--until", "2027-01-31")
    past = report("forecast", "--since", "2026-10-01", "--until", "2026-10-31")
    # a range in the past: eta (closing Oct 25) is in its month, not "overdue"
    assert [(b["key"], b["ids"]) for b in past["buckets"]] == [("2026-10", ["eta"])]
    # only deals closing in the range; no overdue or undated buckets
    assert [(b["key"], b["ids"]) for b in ranged["buckets"]] == [
        ("2026-12", ["theta"]), ("2027-01", ["zeta"])
    ]  # fmt: skip


def test_forecast_mixed_currencies_need_rates(fixture_ws: Path) -> None:
    before, commits = snapshot(fixture_ws), commit_count(fixture_ws)
    refused = run("report", "forecast", "--currency", "EUR")
    assert_refused(fixture_ws, refused, before, commits)
    assert "no exchange rate for GBP" in refused.err
    assert "rates" in refused.err
    add_gbp_rate(fixture_ws)
    eur = report("forecast", "--currency", "EUR")
    # 16000 EUR + 3000 GBP x 1.2 = 19600; weighted 5400 + 1800 x 1.2 = 7560
    assert eur["total"]["amount"] == {"EUR": "19600.00"}
    assert eur["total"]["weighted"] == {"EUR": "7560.00"}
    assert eur["currency"] == "EUR"
    usd = report("forecast", "--currency", "USD")
    # through EUR: 19600 / 0.9 = 21777.777... -> 21777.78; 7560 / 0.9 = 8400
    assert usd["total"]["amount"] == {"USD": "21777.78"}
    assert usd["total"]["weighted"] == {"USD": "8400.00"}


# --- win rate and velocity -------------------------------------------------------------


def test_winrate_november_by_hand(fixture_ws: Path) -> None:
    data = report("winrate")
    # last closed in November: alpha won, epsilon won (reopened, its October loss does
    # not count), gamma lost, kappa lost (no amount)
    assert (data["won"], data["lost"], data["win_rate"]) == (2, 2, 50.0)
    # days to close, won deals only: alpha Oct 5 10:00 -> Nov 12 15:00 = 38 days (and
    # 6 hours); epsilon Sep 1 10:00 -> Nov 20 10:00 = 80 days (and 1 hour: DST ended)
    assert data["avg_days_to_close"] == 59.0  # (38 + 80) / 2
    assert data["won_amount"] == {"EUR": "14000.00"}
    owners = by(data["by_owner"], "owner")
    assert list(owners) == ["ann", "ben"]
    assert owners["ann"] == {
        "owner": "ann", "won": 2, "lost": 1, "win_rate": 66.7, "avg_days_to_close": 59.0,
        "won_amount": {"EUR": "14000.00"},
    }  # fmt: skip
    assert owners["ben"]["won"] == 0 and owners["ben"]["lost"] == 1  # kappa
    assert owners["ben"]["win_rate"] == 0.0
    assert owners["ben"]["avg_days_to_close"] is None
    sources = by(data["by_source"], "source")
    assert list(sources) == ["web", "referral"]
    assert (sources["web"]["won"], sources["web"]["lost"]) == (1, 1)  # alpha; kappa
    assert sources["web"]["avg_days_to_close"] == 38.0
    assert (sources["referral"]["won"], sources["referral"]["lost"]) == (1, 1)  # epsilon; gamma
    assert sources["referral"]["avg_days_to_close"] == 80.0


def test_winrate_october_and_empty(fixture_ws: Path) -> None:
    october = report("winrate", "--since", "2026-10-01", "--until", "2026-10-31")
    # iota won Oct 15 (Sep 1 -> Oct 15: 44 days); epsilon's loss of Oct 1 was undone
    assert (october["won"], october["lost"], october["win_rate"]) == (1, 0, 100.0)
    assert october["avg_days_to_close"] == 44.0
    empty = report("winrate", "--since", "2025-01-01", "--until", "2025-01-31")
    assert (empty["won"], empty["lost"], empty["win_rate"]) == (0, 0, None)
    assert empty["by_owner"] == [] and empty["won_amount"] == {}


def test_velocity_by_hand(fixture_ws: Path) -> None:
    data = report("velocity")
    assert (data["won"], data["lost"], data["win_rate"], data["avg_days_to_close"]) == (
        2, 2, 50.0, 59.0
    )  # fmt: skip
    rows = by(data["velocity"], "currency")
    # EUR: open now beta, delta, eta, theta = 4; won sizes 10000 and 4000 -> 7000;
    # 4 x 2/4 x 7000 / 59 days = 237.288... per day
    assert rows["EUR"] == {
        "currency": "EUR", "open_deals": 4, "won_deals": 2, "avg_won_amount": "7000.00",
        "per_day": "237.29",
    }  # fmt: skip
    # GBP: zeta open, nothing won in GBP: no velocity
    assert rows["GBP"] == {
        "currency": "GBP", "open_deals": 1, "won_deals": 0, "avg_won_amount": None,
        "per_day": None,
    }  # fmt: skip
    stages = {(s["pipeline"], s["stage"]): s for s in data["stages"]}
    # stays that ENDED in November, whole days between consecutive history entries:
    #   lead: beta 3 (Nov 2 -> 5), gamma 2 (Nov 4 -> 6), zeta 2 (Nov 16 -> 18)
    assert (stages["sales", "lead"]["stays"], stages["sales", "lead"]["avg_days"]) == (3, 2.3)
    #   qualified: alpha 14 (Oct 20 -> Nov 3), gamma 10 (to its loss), delta 30 (Oct 10 ->
    #   Nov 9) and 2 (back Nov 11 -> 13), epsilon 18 (reopened Nov 2 -> won Nov 20)
    assert (stages["sales", "qualified"]["stays"], stages["sales", "qualified"]["avg_days"]) == (
        5, 14.8
    )  # fmt: skip
    #   proposal: alpha 7 (Nov 3 -> 10), delta 2 (Nov 9 -> 11); beta's is still running
    assert (stages["sales", "proposal"]["stays"], stages["sales", "proposal"]["avg_days"]) == (
        2, 4.5
    )  # fmt: skip
    #   negotiation: alpha Nov 10 10:00 -> won Nov 12 15:00 = 2 days
    assert stages["sales", "negotiation"]["avg_days"] == 2.0
    assert (stages["partners", "intro"]["stays"], stages["partners", "intro"]["avg_days"]) == (
        1, 1.0
    )  # fmt: skip
    assert stages["partners", "contract"] == {
        "pipeline": "partners", "stage": "contract", "name": "Contract", "stays": 0,
        "avg_days": None,
    }  # fmt: skip


def test_velocity_in_one_currency(fixture_ws: Path) -> None:
    add_gbp_rate(fixture_ws)
    data = report("velocity", "--currency", "EUR")
    # all 5 open deals; 5 x 2/4 x 7000 / 59 = 296.61...
    assert data["velocity"] == [
        {"currency": "EUR", "open_deals": 5, "won_deals": 2, "avg_won_amount": "7000.00",
         "per_day": "296.61"}
    ]  # fmt: skip


# --- aging ------------------------------------------------------------------------------


def test_aging_by_hand(fixture_ws: Path) -> None:
    data = report("aging")
    assert data["period"] is None  # a snapshot at now
    assert data["open"] == 5 and data["rotting"] == 1
    # beta rotting first: last activity a3 Nov 10 10:00, 12 days idle > 10 (proposal);
    # then by days since the last activity: theta never, delta 34 (a4, Oct 20), eta 2
    # (a2, Nov 20), zeta 0 (a1 an hour ago)
    assert [d["id"] for d in data["deals"]] == ["beta", "theta", "delta", "eta", "zeta"]
    deals = by(data["deals"], "id")
    assert deals["beta"]["rotting"] is True and deals["beta"]["rotting_days"] == 10
    assert (deals["beta"]["days_since_activity"], deals["beta"]["days_in_stage"]) == (12, 18)
    assert deals["beta"]["last_activity"] == "2026-11-10T10:00+01:00"
    # delta: back in proposal since Nov 13 10:00 -> 9 days; idle 9 <= 10: not rotting
    assert (deals["delta"]["days_since_activity"], deals["delta"]["days_in_stage"]) == (34, 9)
    assert deals["delta"]["rotting"] is False
    # eta: in lead since 2026-10-31T23:30Z -> 22 days 8.5 hours
    assert deals["eta"]["days_in_stage"] == 22
    assert deals["theta"]["days_since_activity"] is None
    assert deals["theta"]["rotting_days"] is None  # the partners stages have no threshold
    assert deals["zeta"]["amount"] == "3000" and deals["zeta"]["currency"] == "GBP"
    assert deals["beta"]["amount"] is None
    assert {b["days"]: b["deals"] for b in data["buckets"]} == {
        "0-7": 2, "8-14": 1, "15-30": 0, "31-60": 1, "61+": 0, "never": 1
    }  # fmt: skip


# --- sources and lost -------------------------------------------------------------------


def test_sources_by_hand(fixture_ws: Path) -> None:
    data = report("sources")
    rows = by(data["sources"], "source")
    assert list(rows) == ["web", "referral"]
    # leads: clients created in November: c-delta (web, Nov 1 00:30 Berlin), c-gamma
    # (referral). deals created in November, by their source or their client's:
    #   web: zeta, theta (c-alpha's), kappa; referral: beta (c-beta's), gamma, eta (c-beta's)
    assert rows["web"] == {
        "source": "web", "leads": 1, "deals": 3, "won": 1, "lost": 1, "win_rate": 50.0,
        "won_amount": {"EUR": "10000.00"},  # alpha; kappa lost
    }  # fmt: skip
    assert rows["referral"] == {
        "source": "referral", "leads": 1, "deals": 3, "won": 1, "lost": 1, "win_rate": 50.0,
        "won_amount": {"EUR": "4000.00"},  # epsilon; gamma lost
    }  # fmt: skip


def test_lost_by_hand(fixture_ws: Path) -> None:
    data = report("lost")
    assert data["lost"] == 2
    assert [d["id"] for d in data["deals"]] == ["gamma", "kappa"]  # by closing day
    reasons = by(data["by_reason"], "reason")
    assert reasons["price"] == {
        "reason": "price", "deals": 1, "share": 50.0, "amount": {"USD": "5000.00"},
        "without_amount": 0, "ids": ["gamma"],
    }  # fmt: skip
    assert reasons["timing"]["amount"] == {} and reasons["timing"]["without_amount"] == 1
    stages = {(s["pipeline"], s["stage"]): s["deals"] for s in data["by_stage"]}
    assert stages == {
        ("sales", "lead"): 0, ("sales", "qualified"): 1, ("sales", "proposal"): 0,
        ("sales", "negotiation"): 0, ("partners", "intro"): 1, ("partners", "contract"): 0,
    }  # fmt: skip
    assert "1 lost deal has no amount: counted, not in the amounts" in data["notes"]
    # gamma's USD 5000 at 0.9 EUR/USD
    converted = report("lost", "--currency", "EUR")
    assert by(converted["by_reason"], "reason")["price"]["amount"] == {"EUR": "4500.00"}
    october = report("lost", "--until", "2026-10-31")
    assert october["lost"] == 0  # epsilon's October loss was undone by its reopening


# --- KPI ----------------------------------------------------------------------------------


def test_kpi_november_by_hand(fixture_ws: Path) -> None:
    data = report("kpi")
    members = by(data["members"], "id")
    ann, ben = members["ann"], members["ben"]
    # ann: a1 and a2 calls, a6 note
    assert ann["activities"] == {"call": 2, "email": 0, "meeting": 0, "note": 1, "total": 3}
    # ben: a3 email; a4 is October; a5 is December 1 in Berlin (Nov 30 in UTC)
    assert ben["activities"] == {"call": 0, "email": 1, "meeting": 0, "note": 0, "total": 1}
    assert (ann["tasks_completed"], ann["tasks_overdue"]) == (1, 1)  # t1; t3
    assert (ben["tasks_completed"], ben["tasks_overdue"]) == (0, 1)  # t7 is December; t5
    assert ann["deals_created"] == 2  # gamma, eta (Nov 1 00:30 Berlin)
    assert ben["deals_created"] == 4  # beta, zeta, theta, kappa
    assert (ann["deals_won"], ann["won_amount"]) == (2, {"EUR": "14000.00"})  # alpha, epsilon
    assert (ben["deals_won"], ben["won_amount"]) == (0, {})
    assert (ann["new_clients"], ben["new_clients"]) == (1, 1)  # c-delta; c-gamma
    goals = [(g["metric"], g["period"]["label"], g["actual"], g["percent"]) for g in ann["goals"]]
    assert goals == [
        ("activities", "2026-W48", "1", 25.0),  # a1 this week (Mon 23 - Sun 29): 1 of 4
        ("won_amount", "2026-11", "14000.00", 140.0),  # 14000 of 10000
        ("deals_won", "2026-Q4", "2", 100.0),  # alpha, epsilon
    ]
    assert [(g["metric"], g["actual"], g["percent"]) for g in ben["goals"]] == [
        ("activities", "0", 0.0),  # ben's goals: the two without a member
        ("deals_won", "1", 50.0),  # iota, won Oct 15
    ]
    assert ann["goals"][0]["period"] == {
        "kind": "week", "label": "2026-W48", "start": "2026-11-23", "end": "2026-11-29"
    }  # fmt: skip
    assert ann["goals"][0]["target"] == "4" and ann["goals"][0]["kind"] == "call"


def test_kpi_december_boundary_and_owner(fixture_ws: Path) -> None:
    data = report("kpi", "--since", "2026-12-01", "--until", "2026-12-31")
    ben = by(data["members"], "id")["ben"]
    # a5 and t7 at 23:30 UTC on Nov 30 are 00:30 on December 1 in Berlin
    assert ben["activities"]["call"] == 1
    assert ben["tasks_completed"] == 1
    only_ann = report("kpi", "--owner", "ann")
    assert [m["id"] for m in only_ann["members"]] == ["ann"]


def test_kpi_goal_of_a_past_period(fixture_ws: Path) -> None:
    data = report("kpi", "--until", "2026-10-31")
    ann = by(data["members"], "id")["ann"]
    # a report ending before today measures goals in the periods holding its last day
    assert [g["period"]["label"] for g in ann["goals"]] == ["2026-W44", "2026-10", "2026-Q4"]
    assert ann["goals"][1]["actual"] == "0.00"  # nothing won by ann in October


# --- ABC --------------------------------------------------------------------------------


def test_abc_by_hand(fixture_ws: Path) -> None:
    data = report("abc")
    assert data["period"]["label"] == "2026"  # a year by default
    assert data["currency"] == "EUR"
    # won in 2026: c-beta 12000 (iota) + 4000 (epsilon) = 16000; c-alpha 10000 (alpha);
    # c-gamma USD 2000 x 0.9 = 1800; c-delta GBP 1000 has no rate: not ranked
    assert [(c["id"], c["revenue"], c["class"]) for c in data["clients"]] == [
        ("c-beta", "16000.00", "A"),  # above it: 0%
        ("c-alpha", "10000.00", "A"),  # above it: 16000/27800 = 57.6% < 80%
        ("c-gamma", "1800.00", "B"),  # above it: 26000/27800 = 93.5%, < 95%
    ]
    assert data["total"] == "27800.00"
    assert [c["share"] for c in data["clients"]] == [57.6, 36.0, 6.5]
    assert [c["cumulative_share"] for c in data["clients"]] == [57.6, 93.5, 100.0]
    assert data["classes"]["A"] == {"clients": 2, "revenue": "26000.00", "share": 93.5}
    assert data["classes"]["C"] == {"clients": 0, "revenue": "0.00", "share": 0.0}
    assert data["unconverted"] == [{"client": "c-delta", "amount": {"GBP": "1000.00"}}]
    assert data["clients_without_revenue"] == 1
    assert data["thresholds"] == {"A": 80, "B": 15, "C": 5}
    custom = report("abc", "--abc", "50,30,20")
    # c-alpha: 57.6% above it >= 50 -> B; c-gamma: 93.5% >= 80 -> C
    assert [c["class"] for c in custom["clients"]] == ["A", "B", "C"]
    quarter = report("abc", "--period", "quarter")
    assert [c["id"] for c in quarter["clients"]] == ["c-beta", "c-alpha"]  # Q4 only


def test_abc_with_currency(fixture_ws: Path) -> None:
    before, commits = snapshot(fixture_ws), commit_count(fixture_ws)
    refused = run("report", "abc", "--currency", "EUR")
    assert_refused(fixture_ws, refused, before, commits)
    assert "GBP" in refused.err
    add_gbp_rate(fixture_ws)
    data = report("abc", "--currency", "EUR")
    # now c-delta's GBP 1000 x 1.2 = 1200 ranks too: total 29000; above c-delta:
    # 27800/29000 = 95.9% -> C
    assert [(c["id"], c["class"]) for c in data["clients"]] == [
        ("c-beta", "A"), ("c-alpha", "A"), ("c-gamma", "B"), ("c-delta", "C")
    ]  # fmt: skip
    assert data["total"] == "29000.00" and data["unconverted"] == []


# --- every report, every output ---------------------------------------------------------


def test_all_as_json_csv_and_tab_separated(fixture_ws: Path) -> None:
    data = report("all")
    assert list(data) == [
        "funnel", "forecast", "winrate", "velocity", "aging", "sources", "lost", "kpi", "abc",
        "nps",
    ]  # fmt: skip
    assert all(data[name]["report"] == name for name in data)
    result = run("report", "funnel", "--csv")
    assert result.code == 0
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == ["section", "stage", "name", "reached", "from previous", "of first"]
    assert rows[1] == ["funnel.steps", "lead", "Lead", "7", "", "100.0"]
    piped = run("report", "forecast")
    lines = piped.out.splitlines()
    assert lines[0].split("\t")[:3] == ["section", "close", "deals"]
    assert "forecast.buckets\t2027-01\t1\t0\tGBP\t3000.00\t1800.00" in lines
    assert "note: 1 deal has no amount" in piped.err  # notes on stderr, data clean
    assert status_clean(fixture_ws)


def test_report_files_are_written_atomically_and_self_contained(
    fixture_ws: Path, tmp_path: Path
) -> None:
    commits = commit_count(fixture_ws)
    target = tmp_path / "out" / "report.html"
    result = run("report", "all", "-o", str(target))
    assert result.code == 0, result.err
    assert result.out == ""
    assert "wrote" in result.err and "10 reports" in result.err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for chart in ("funnel", "forecast-EUR", "forecast-GBP", "kpi-ann", "aging", "abc"):
        assert f'data-chart="{chart}"' in page, chart
    assert page.count("<svg") >= 8
    assert "<script" not in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", page)
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temp file left
    assert commit_count(fixture_ws) == commits and status_clean(fixture_ws)
    as_json = tmp_path / "kpi.json"
    assert run("report", "kpi", "-o", str(as_json)).code == 0
    assert json.loads(as_json.read_text(encoding="utf-8"))["report"] == "kpi"
    forced = tmp_path / "lost.txt"
    assert run("report", "lost", "--csv", "-o", str(forced)).code == 0
    assert forced.read_text(encoding="utf-8").startswith("section,reason,deals")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sales"], "unknown report 'sales'"),
        (["funnel", "--period", "decade"], "--period 'decade'"),
        (["funnel", "--since", "2026-11-10", "--until", "2026-11-01"], "is after --until"),
        (["funnel", "--since", "someday"], "--since"),
        (["funnel", "--pipeline", "nope"], "--pipeline 'nope'"),
        (["kpi", "--owner", "zoe"], "--owner 'zoe' is not a team member"),
        (["forecast", "--currency", "XYZ"], "ISO 4217"),
        (["forecast", "--currency", "JPY"], "no exchange rate for JPY"),
        (["abc", "--abc", "50,40"], "--abc '50,40'"),
        (["abc", "--abc", "70,20,20"], "add up to 100"),
        (["funnel", "--json", "--csv"], "exclude each other"),
        (["funnel", "-o", "report.pdf"], "cannot tell the format"),
    ],
)
def test_bad_options_are_refused(fixture_ws: Path, args: list[str], message: str) -> None:
    before, commits = snapshot(fixture_ws), commit_count(fixture_ws)
    result = run("report", *args)
    assert_refused(fixture_ws, result, before, commits)
    assert message in result.err


def test_output_to_a_directory_is_refused(fixture_ws: Path, tmp_path: Path) -> None:
    before, commits = snapshot(fixture_ws), commit_count(fixture_ws)
    result = run("report", "funnel", "-o", str(tmp_path))
    assert_refused(fixture_ws, result, before, commits)
    assert "is a directory" in result.err


def test_a_broken_record_is_left_out_with_a_warning(fixture_ws: Path) -> None:
    (fixture_ws / "deals" / "broken.yaml").write_text("title: [oops\n", encoding="utf-8")
    result = run("report", "funnel", "--json")
    assert result.code == 0
    assert json.loads(result.out)["steps"][0]["reached"] == 7  # as without the file
    assert "tcrm: warning: 1 record could not be read (deals/broken.yaml" in result.err
    assert "tcrm check" in result.err


# --- pure pieces -------------------------------------------------------------------------


def test_periods_in_the_workspace_zone() -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert period_of("week", date(2026, 11, 25)) == Period(
        "week", date(2026, 11, 23), date(2026, 11, 29)
    )
    assert period_of("week", date(2027, 1, 1)).label == "2026-W53"  # ISO year
    assert period_of("month", date(2024, 2, 10)).end == date(2024, 2, 29)
    assert period_of("quarter", date(2026, 11, 23)) == Period(
        "quarter", date(2026, 10, 1), date(2026, 12, 31)
    )
    assert period_of("quarter", date(2026, 11, 23)).label == "2026-Q4"
    assert period_of("year", date(2026, 5, 5)).label == "2026"
    assert [p.label for p in span("month", date(2026, 11, 30), date(2027, 2, 1))] == [
        "2026-11", "2026-12", "2027-01", "2027-02"
    ]  # fmt: skip
    today = date(2026, 11, 23)
    assert window("month", today) == period_of("month", today)
    assert window("month", today, since=date(2026, 11, 5)).end == today
    assert window("month", today, until=date(2026, 10, 20)).start == date(2026, 10, 1)
    utc_late = datetime.fromisoformat("2026-11-30T23:30+00:00")
    assert local_day(utc_late, berlin) == date(2026, 12, 1)
    assert local_day(utc_late, berlin) not in period_of("month", date(2026, 11, 1))
    # midnight itself belongs to the day it starts
    assert local_day(datetime.fromisoformat("2026-12-01T00:00+01:00"), berlin) == date(2026, 12, 1)


def test_money_rounding_and_conversion() -> None:
    from decimal import Decimal

    from tcrm.errors import UsageError
    from tcrm.model.settings import Settings

    assert str(cents(Decimal("0.125"))) == "0.13"  # half up, not to even
    assert str(cents(Decimal("2.5"))) == "2.50"
    assert percent(2, 3) == 66.7 and percent(1, 0) is None
    settings = Settings.model_validate(
        {
            "name": "x",
            "currency": "EUR",
            "pipelines": [{"id": "p", "name": "P", "stages": [{"id": "s", "name": "S",
                                                              "probability": 1}]}],
            "rates": {"USD": "0.5"},
        }
    )  # fmt: skip
    strict = Converter(settings, "USD")
    assert strict.convert(Decimal(10), "EUR") == Decimal(20)
    with pytest.raises(UsageError, match="no exchange rate for GBP"):
        strict.convert(Decimal(1), "GBP")
    lenient = Converter(settings, "EUR", strict=False)
    assert lenient.total({"USD": Decimal(4), "GBP": Decimal(3)}) == (
        Decimal(2), {"GBP": Decimal(3)}
    )  # fmt: skip


def test_source_attribution() -> None:
    from tcrm.model.records import Client

    deal = Deal(title="x", client="c", pipeline="p", stage="s")
    assert source_of(deal, {}) == NONE
    assert source_of(deal, {"c": Client(name="C", source="web")}) == "web"
    assert source_of(deal.model_copy(update={"source": "event"}), {}) == "event"


# --- the sample workspace ---------------------------------------------------------------


def _sample_records(root: Path) -> tuple[list[Deal], Inputs]:
    ws = Workspace(root)
    deals = [d for d in ws.load_all("deal") if isinstance(d, Deal)]
    from datetime import datetime

    return deals, Inputs(ws.settings, datetime.fromisoformat(NOW), deals=deals)


@pytest.mark.parametrize(
    "name", ["funnel", "forecast", "winrate", "velocity", "aging", "sources", "lost", "kpi", "abc"]
)
def test_every_report_runs_on_the_sample_workspace(sample_ws: Path, name: str) -> None:
    before = commit_count(sample_ws)
    data = report(name, "--period", "year")
    assert data["report"] == name and data["timezone"] == "Europe/Berlin"
    deals, inputs = _sample_records(sample_ws)
    open_deals = [d for d in deals if d.status == "open"]
    year = period_of("year", inputs.today)
    closed = [d for d in deals if d.status != "open" and d.closed and d.closed in year]
    if name == "funnel":
        reached = [s["reached"] for s in data["steps"]]
        assert reached == sorted(reached, reverse=True) and reached[0] > 0
    elif name == "forecast":
        assert data["total"]["deals"] == len(open_deals)
    elif name in ("winrate", "velocity"):
        assert data["won"] + data["lost"] == len(closed)
    elif name == "aging":
        assert data["open"] == len(open_deals)
        flags = [d["rotting"] for d in data["deals"]]
        assert flags == sorted(flags, reverse=True)  # rotting ones first
    elif name == "sources":
        assert sum(r["won"] + r["lost"] for r in data["sources"]) == len(closed)
    elif name == "lost":
        assert data["lost"] == sum(1 for d in closed if d.status == "lost")
    elif name == "kpi":
        assert [m["id"] for m in data["members"]] == ["ann", "ben", "chloe"]
        assert all(g["percent"] is not None for m in data["members"] for g in m["goals"])
    else:
        assert data["clients"] and data["clients"][0]["class"] == "A"
        assert data["clients"][-1]["cumulative_share"] == 100.0
    assert commit_count(sample_ws) == before and status_clean(sample_ws)


def test_sample_workspace_html_and_mixed_currencies(sample_ws: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert run("report", "all", "-o", str(page)).code == 0
    text = page.read_text(encoding="utf-8")
    assert 'data-chart="funnel"' in text and 'data-chart="kpi-ann"' in text
    assert "http://" not in text and "https://" not in text and "<script" not in text
    # the sample has USD and GBP deals and rates for both: one currency on request
    data = report("forecast", "--currency", "EUR")
    assert set(data["total"]["amount"]) == {"EUR"}
    plain = report("forecast")
    assert set(plain["total"]["amount"]) == {"EUR", "GBP", "USD"}


def _keys(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            out.add(key)
            _keys(item, out)
    elif isinstance(value, list):
        for item in value:
            _keys(item, out)
    return out


def test_every_json_key_is_documented(fixture_ws: Path) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs/json/reports.md").read_text()
    found = _keys(report("all"), set())
    # keys that are data, not names: members' activity kinds, currencies, class letters
    data_keys = {"call", "email", "meeting", "note", "EUR", "GBP", "USD", "A", "B", "C"}
    missing = sorted(k for k in found - data_keys if f"`{k}`" not in doc and f".{k}`" not in doc)
    assert missing == [], f"document these keys in docs/json/reports.md: {missing}"
