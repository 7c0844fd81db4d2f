"""The benchmark workspace generator: valid, deterministic, committed once, in the store's form."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tcrm.cli import main as cli_main
from tcrm.devtools.generate import (
    PRESETS,
    Size,
    generated_records,
    write_generated_workspace,
)
from tcrm.model.records import FOLDERS, RECORD_TYPES
from tcrm.services.check import check_workspace
from tcrm.store.workspace import Workspace
from tcrm.store.yamlio import dump_fast
from tests.clitools import commit_count, git, run, snapshot, status_clean

pytestmark = pytest.mark.xdist_group("generate")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

TINY = {"clients": 20, "deals": 30, "tasks": 60, "activities": 40}
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated") / "ws"
    write_generated_workspace(root, **TINY)
    return root


def test_passes_check_with_the_requested_counts(tiny: Path) -> None:
    report = check_workspace(Workspace(tiny))
    assert report.problems == []
    assert dict(report.counts) == {
        "client": 20,
        "deal": 30,
        "task": 60,
        "activity": 40,
    }


def test_one_commit_and_a_clean_tree(tiny: Path) -> None:
    assert commit_count(tiny) == 1
    assert (
        git(tiny, "log", "--format=%s|%an <%ae>").strip() == "generated|bench <bench@example.com>"
    )
    assert status_clean(tiny)
    tracked = git(tiny, "ls-files").split()
    assert "tcrm.yaml" in tracked and ".gitignore" in tracked
    assert len(tracked) == 2 + sum(TINY.values())
    assert git(tiny, "check-ignore", ".tcrm/index").strip() == ".tcrm/index"
    git(tiny, "fsck", "--no-progress")  # raises on a broken object or tree


def test_files_are_in_the_form_the_store_writes(tiny: Path) -> None:
    """Each file is what Transaction.put writes for a new record: dump_fast(to_data())."""
    ws = Workspace(tiny)
    for kind in RECORD_TYPES:
        for record_id, path in ws.files(kind):
            record = ws.parse(kind, record_id, path)
            assert path.read_text(encoding="utf-8") == dump_fast(record.to_data()), path
            assert ws.path_of(record) == path


def test_same_seed_same_bytes_and_commit(tmp_path: Path, tiny: Path) -> None:
    again = tmp_path / "again"
    write_generated_workspace(again, **TINY)
    assert snapshot(again) == snapshot(tiny)
    assert git(again, "rev-parse", "HEAD") == git(tiny, "rev-parse", "HEAD")
    other = tmp_path / "other"
    write_generated_workspace(other, **TINY, seed=2)
    assert snapshot(other) != snapshot(tiny)


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_generated_workspace(tmp_path, **TINY)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_records_are_valid_models_with_realistic_spreads() -> None:
    size = Size(clients=300, deals=600, tasks=3000, activities=1000)
    records = list(generated_records(size, today=TODAY))
    assert Counter(rel.split("/")[0] for rel, _ in records) == {
        "clients": 300,
        "deals": 600,
        "tasks": 3000,
        "activities": 1000,
    }
    for rel, data in records[:50] + records[900:950] + records[-50:]:
        model = FOLDERS[rel.split("/")[0]]
        assert model.model_validate(data).to_data() == data, rel
    tasks = [d for rel, d in records if rel.startswith("tasks/")]
    today = TODAY.isoformat()
    open_due = [d["due"][:10] for d in tasks if d["status"] == "open" and "due" in d]
    overdue = sum(due < today for due in open_due) / len(tasks)
    due_today = sum(due == today for due in open_due) / len(tasks)
    assert 0.07 < overdue < 0.13
    assert 0.01 < due_today < 0.04
    statuses = Counter(d["status"] for d in tasks)
    assert statuses["done"] > 600 and statuses["cancelled"] > 30
    assert any("repeat" in d and d["series"] for d in tasks)
    deals = [d for rel, d in records if rel.startswith("deals/")]
    assert {d["status"] for d in deals} == {"open", "won", "lost"}
    assert len({d["stage"] for d in deals if d["status"] == "open"}) >= 5
    assert all(len(d["stage_history"]) >= 1 for d in deals)
    months = {d["at"][:7] for rel, d in records if rel.startswith("activities/")}
    assert len(months) >= 12
    assert all(d["at"] < "2026-11-23T09" for rel, d in records if rel.startswith("activities/"))


@pytest.fixture
def dev_cli() -> None:
    """``tcrm dev`` registered on the app, whether main.py lists it yet or not."""
    if not any(group.name == "dev" for group in cli_main.app.registered_groups):
        from tcrm.cli import dev_cmds

        dev_cmds.register(cli_main.app)


def test_cli_generates_a_preset_with_overrides(tmp_path: Path, dev_cli: None) -> None:
    root = tmp_path / "ws"
    result = run("dev", "generate", root, "--preset", "1k", "--clients", "10", "--tasks", "5")
    assert result.code == 0, result.err
    assert "Generated 10 clients, 200 deals, 5 tasks, 300 activities" in result.err
    report = check_workspace(Workspace(root))
    assert report.ok
    assert dict(report.counts) == {"client": 10, "deal": 200, "task": 5, "activity": 300}
    assert PRESETS["10k"].records == 10_000 and PRESETS["100k"].records == 100_000


def test_cli_refuses_a_non_empty_directory_and_a_bad_preset(tmp_path: Path, dev_cli: None) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    for args in ([tmp_path], [tmp_path / "new", "--preset", "5k"]):
        result = run("dev", "generate", *args)
        assert result.code == 2
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tcrm: error: "), result.err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_dev_is_hidden_from_the_help(dev_cli: None) -> None:
    result = run("--help")
    assert result.code == 0
    assert "generate" not in result.out and " dev " not in result.out


def test_most_open_deals_and_cadence_clients_are_kept_up_like_a_working_team(
    tmp_path: Path,
) -> None:
    """About one open deal in ten rots and a minority of cadence clients are due a call:
    a realistic ``tcrm today``, not one listing most of the workspace."""
    from datetime import datetime

    from tcrm.services import planner

    root = tmp_path / "ws"
    write_generated_workspace(root, clients=300, deals=600, tasks=50, activities=900)
    ws = Workspace(root)
    agenda = planner.agenda(ws, now=datetime.fromisoformat("2026-11-23T09:00:00+01:00"))
    deals = ws.load_all("deal")
    open_deals = [d for d in deals if getattr(d, "status", None) == "open"]
    cadence = [c for c in ws.load_all("client") if getattr(c, "cadence_days", None)]
    assert 0.04 < len(agenda.rotting_deals) / len(open_deals) < 0.2
    assert cadence and 0.05 < len(agenda.clients_to_contact) / len(cadence) < 0.35
