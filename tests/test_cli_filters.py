"""Explicit filters replace a list command's default filter on the same field (issue 17).

The sweep: every list command that takes filter terms, run with an explicit ``status:``
(or ``stage:``/``kind:``) filter that contradicts what it shows by default, against the
sample workspace's own files.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.clitools import NOW, load, run

pytestmark = pytest.mark.xdist_group("cli_filters")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""


@pytest.fixture(scope="module")
def _shared(tmp_path_factory: pytest.TempPathFactory, _sample_template: Path) -> Path:
    """One copy of the sample for the module: these tests only read it."""
    root = tmp_path_factory.mktemp("filters") / "ws"
    shutil.copytree(_sample_template, root, symlinks=True)
    return root


@pytest.fixture
def sample_ws(_shared: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TCRM_NOW", NOW)
    monkeypatch.setenv("TCRM_WORKSPACE", str(_shared))
    return _shared


def _ids(*args: str) -> list[str]:
    result = run(*args, "--json")
    assert result.code == 0, result.err
    return sorted(item["id"] for item in json.loads(result.out))


def _files(root: Path, folder: str) -> dict[str, dict]:
    return {
        p.stem: load(root, p.relative_to(root).as_posix()) for p in (root / folder).rglob("*.yaml")
    }


def _where(root: Path, folder: str, field: str, test) -> list[str]:
    return sorted(i for i, data in _files(root, folder).items() if test(data.get(field)))


# --- item 2: the explicit filter wins ------------------------------------------------


@pytest.mark.parametrize("status", ["won", "lost"])
def test_deal_list_status_filter_replaces_the_open_default(sample_ws: Path, status: str) -> None:
    wanted = _where(sample_ws, "deals", "status", lambda s, w=status: s == w)
    assert wanted  # the sample has closed deals of both kinds
    assert _ids("deal", "list", f"status:{status}") == wanted


def test_task_list_status_filter_replaces_the_open_default(sample_ws: Path) -> None:
    done = _where(sample_ws, "tasks", "status", lambda s: s == "done")
    assert done
    assert _ids("task", "list", "status:done") == done


# --- the sweep ------------------------------------------------------------------------

SWEEP = [
    # (command, filter term, folder, field, what the term selects)
    (("deal", "list"), "status:won", "deals", "status", lambda v: v == "won"),
    (("deal", "list"), "status:lost", "deals", "status", lambda v: v == "lost"),
    (("deal", "list"), "status:WON", "deals", "status", lambda v: v == "won"),
    (("deal", "list"), "status.not:open", "deals", "status", lambda v: v in ("won", "lost")),
    (("deal", "list"), "status.has:o", "deals", "status", lambda v: v in ("won", "lost", "open")),
    (("deal", "list"), "has:status", "deals", "status", lambda v: True),
    (("task", "list"), "status:done", "tasks", "status", lambda v: v == "done"),
    (("task", "list"), "status:cancelled", "tasks", "status", lambda v: v == "cancelled"),
    (("task", "list"), "status.not:open", "tasks", "status", lambda v: v in ("done", "cancelled")),
    (("client", "list"), "status:former", "clients", "status", lambda v: v == "former"),
    (("client", "list"), "status:dormant", "clients", "status", lambda v: v == "dormant"),
    (("client", "list"), "status.not:active", "clients", "status", lambda v: v != "active"),
    (("activity", "list"), "kind:email", "activities", "kind", lambda v: v == "email"),
]


@pytest.mark.parametrize(
    ("command", "term", "folder", "field", "test"),
    SWEEP,
    ids=[f"{' '.join(c)} {t}" for c, t, *_ in SWEEP],
)
def test_sweep_every_list_command_obeys_an_explicit_filter(
    sample_ws: Path, command: tuple[str, ...], term: str, folder: str, field: str, test
) -> None:
    wanted = _where(sample_ws, folder, field, lambda v, t=test: v is not None and t(v))
    assert wanted, f"the sample has no {folder} for {term}"
    assert _ids(*command, term) == wanted


def test_sweep_deal_stage_filter_on_closed_deals(sample_ws: Path) -> None:
    """A closed deal keeps its last stage: ``stage:X status:won`` finds the won ones there."""
    deals = _files(sample_ws, "deals")
    won = [(i, d["stage"]) for i, d in deals.items() if d["status"] == "won"]
    stage = won[0][1]
    wanted = sorted(i for i, s in won if s == stage)
    assert _ids("deal", "list", f"stage:{stage}", "status:won") == wanted
    assert _ids("deal", "list", "--stage", stage, "status:won") == wanted


def test_sweep_export_where_status(sample_ws: Path, tmp_path: Path) -> None:
    """``export --where`` has no default filter: closed records are exported when asked."""
    target = tmp_path / "won.csv"
    result = run("export", "csv", "--type", "deals", "--where", "status:won", "-o", target)
    assert result.code == 0, result.err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    won = _where(sample_ws, "deals", "status", lambda s: s == "won")
    assert sorted(row["id"] for row in rows) == won


def test_options_and_terms_together(sample_ws: Path) -> None:
    """An option and a term on the same field must both hold (here: nothing is both)."""
    assert _ids("deal", "list", "--lost", "status:won") == []
    assert _ids("deal", "list", "--won", "status:won") == _ids("deal", "list", "--won")


def test_without_a_status_term_the_default_stays(sample_ws: Path) -> None:
    open_deals = _where(sample_ws, "deals", "status", lambda s: s == "open")
    assert _ids("deal", "list") == open_deals
    # a term on another field, or a free word, keeps the default
    assert set(_ids("deal", "list", "owner.not:nobody")) == set(open_deals)
    open_tasks = _where(sample_ws, "tasks", "status", lambda s: s == "open")
    assert _ids("task", "list") == open_tasks
