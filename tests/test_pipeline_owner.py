"""``tcrm pipeline --owner MEMBER``: one member's open deals by stage (the dashboard's
"my open deals"), on a copy of the sample workspace."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clitools import assert_refused, commit_count, run, snapshot


def deals_of(owner: str, pipeline: str) -> set[str]:
    listed = json.loads(run("deal", "list", "--owner", owner, "--pipeline", pipeline, "--json").out)
    return {d["id"] for d in listed}


def test_owner_keeps_only_that_members_deals(sample_ws: Path) -> None:
    everyone = json.loads(run("pipeline", "--json").out)
    ann = json.loads(run("pipeline", "--owner", "ann", "--json").out)
    assert everyone["owner"] is None and ann["owner"] == "ann"
    mine = {d for s in ann["stages"] for d in s["deals"]}
    assert mine == deals_of("ann", "sales")
    all_open = {d for s in everyone["stages"] for d in s["deals"]}
    assert mine and mine < all_open  # others' deals are left out, none of ann's
    for stage in ann["stages"]:
        assert stage["count"] == len(stage["deals"])
    assert ann["open"]["count"] == len(mine)


def test_owner_per_pipeline_and_in_the_table(sample_ws: Path) -> None:
    shown = json.loads(run("pipeline", "partnerships", "--owner", "ben", "--json").out)
    assert {d for s in shown["stages"] for d in s["deals"]} == deals_of("ben", "partnerships")
    table = run("pipeline", "--owner", "chloe")  # piped: tab-separated rows
    counts = [line.split("\t")[1] for line in table.out.splitlines()[1:5]]
    stages = json.loads(run("pipeline", "--owner", "chloe", "--json").out)["stages"]
    assert table.code == 0 and counts == [str(s["count"]) for s in stages]
    assert counts != [str(s["count"]) for s in json.loads(run("pipeline", "--json").out)["stages"]]


def test_an_unknown_owner_is_refused(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("pipeline", "--owner", "zed", "--json")
    assert_refused(sample_ws, result, before, commits)
    assert "--owner 'zed' is not a team member" in result.err
