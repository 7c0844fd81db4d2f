"""The committed sample workspace: valid, complete, and exactly what its generator writes."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from tcrm.devtools.sample import write_sample_workspace
from tcrm.model.records import Activity, Deal, Task, due_date
from tcrm.services.check import check_workspace
from tcrm.store.workspace import LOCAL_DIR, Workspace

pytestmark = pytest.mark.xdist_group("sample_workspace")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_workspace"
TODAY = date(2026, 11, 23)
"""The day the sample is relative to (a Monday)."""
REGENERATE = "python scripts/make_sample_workspace.py --force"


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, without the local ``.tcrm/`` cache."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and LOCAL_DIR not in path.relative_to(root).parts
    }


@pytest.fixture(scope="module")
def sample() -> Workspace:
    return Workspace(SAMPLE)


@pytest.fixture(scope="module")
def tasks(sample: Workspace) -> list[Task]:
    return [t for t in sample.load_all("task") if isinstance(t, Task)]


@pytest.fixture(scope="module")
def deals(sample: Workspace) -> list[Deal]:
    return [d for d in sample.load_all("deal") if isinstance(d, Deal)]


def test_sample_passes_check_with_the_expected_counts(sample: Workspace) -> None:
    report = check_workspace(sample)
    assert report.ok, "\n".join(str(p) for p in report.problems)
    assert dict(report.counts) == {"client": 25, "deal": 40, "task": 60, "activity": 80}
    assert len(list((SAMPLE / "kb").glob("*.md"))) == 2


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    write_sample_workspace(tmp_path / "sample", TODAY)
    expected, committed = files_of(tmp_path / "sample"), files_of(SAMPLE)
    assert sorted(committed) == sorted(expected), f"files differ; regenerate: {REGENERATE}"
    changed = [name for name, data in expected.items() if committed[name] != data]
    assert not changed, f"{len(changed)} files differ, e.g. {changed[:3]}; regenerate: {REGENERATE}"


def test_generating_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    write_sample_workspace(tmp_path / "a")
    write_sample_workspace(tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_generator_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not an empty directory"):
        write_sample_workspace(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_settings_have_a_team_two_pipelines_and_a_transition_matrix(sample: Workspace) -> None:
    settings = sample.settings
    assert (settings.name, settings.timezone, settings.currency) == (
        "Northwind Studio",
        "Europe/Berlin",
        "EUR",
    )
    assert [m.id for m in settings.team] == ["ann", "ben", "chloe"]
    assert any(m.timezone and m.timezone != settings.timezone for m in settings.team)
    sales, partnerships = settings.pipelines
    assert sales.transitions is not None and partnerships.transitions is None
    assert sales.may_move("lead", "proposal") and not sales.may_move("lead", "negotiation")
    assert sales.may_move("negotiation", "proposal") and not sales.may_move("proposal", "lead")


def test_sample_has_overdue_today_and_recurring_tasks(tasks: list[Task]) -> None:
    open_tasks = [t for t in tasks if t.status == "open" and t.due is not None]
    assert sum(due_date(t) < TODAY for t in open_tasks) >= 3  # type: ignore[operator]
    due_today = [t for t in open_tasks if due_date(t) == TODAY]
    assert len(due_today) >= 3
    assert any(isinstance(t.due, datetime) for t in due_today), "a task due today at a time"
    recurring = [t for t in tasks if t.repeat]
    assert len(recurring) >= 4
    assert all(t.series == t.id and t.due is not None for t in recurring)
    assert any(t.status == "done" and t.completed for t in tasks)
    assert any(t.status == "cancelled" for t in tasks)
    assert any(t.reminders for t in tasks)
    dst_day = [t for t in tasks if t.due == datetime(2026, 3, 29, 9, 30)]
    assert [t.timezone for t in dst_day] == ["Europe/Berlin"]


def test_sample_has_won_and_lost_deals_in_every_stage_of_every_pipeline(
    sample: Workspace, deals: list[Deal]
) -> None:
    statuses = Counter(d.status for d in deals)
    assert statuses["won"] >= 6 and statuses["lost"] >= 5
    for pipeline in sample.settings.pipelines:
        stages = {d.stage for d in deals if d.pipeline == pipeline.id}
        assert stages == set(pipeline.stage_ids()), pipeline.id
    assert {d.currency for d in deals} >= {None, "USD", "GBP"}
    assert any(d.status == "open" and d.amount is None for d in deals)


def test_deal_histories_end_at_their_stage_in_order_before_today(deals: list[Deal]) -> None:
    for deal in deals:
        history = deal.stage_history
        assert history and history[-1].stage == deal.stage, deal.id
        assert all(a.at < b.at for a, b in pairwise(history)), deal.id
        assert history[-1].at.date() < TODAY, deal.id
        if deal.status != "open":
            assert history[-1].status == deal.status and deal.closed == history[-1].at.date()


def test_activities_are_spread_over_the_past_months(sample: Workspace) -> None:
    activities = [a for a in sample.load_all("activity") if isinstance(a, Activity)]
    months = Counter((a.at.year, a.at.month) for a in activities)
    assert all(a.at.date() < TODAY for a in activities)
    assert len(months) >= 7 and max(months.values()) <= len(activities) // 3
