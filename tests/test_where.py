"""Typed index conditions (``tcrm.store.where``): what they say in SQL, and that the real
index answers them as reading the files and applying the same rule does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tcrm.devtools.generate import write_generated_workspace
from tcrm.model.records import RECORD_TYPES, Client, Deal, Record, Task
from tcrm.store import where
from tcrm.store.index import COLUMNS
from tcrm.store.where import all_of, among, any_of, contains, eq, present
from tcrm.store.workspace import Workspace
from tests.clitools import git

pytestmark = pytest.mark.xdist_group("where")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ann Tester",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Tester",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}


def test_conditions_combine_their_sql_and_values_in_order() -> None:
    both = eq("status", "open") & (contains("text", "acme") | contains("digits", "0301"))
    assert both.sql == "status = ? AND (instr(text, ?) > 0 OR instr(digits, ?) > 0)"
    assert both.params == ("open", "acme", "0301")
    assert all_of(eq("owner", "ann"), present("conflicts")) == where.Where(
        "owner = ? AND conflicts IS NOT NULL", ("ann",)
    )
    assert among("status", ["won", "lost"]).params == ('["won", "lost"]',)


def test_no_condition_is_none_and_unknown_columns_are_refused() -> None:
    assert all_of() is None
    assert any_of() is None
    column: Any = "data; DROP TABLE records"
    with pytest.raises(ValueError, match="not a column of the index"):
        eq(column, "x")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("where") / "ws"
    with pytest.MonkeyPatch.context() as patch:
        for var, value in IDENTITY.items():
            patch.setenv(var, value)
        write_generated_workspace(dest, clients=20, deals=40, tasks=60, activities=30)
    return dest


def files(root: Path, kind: str) -> list[Record]:
    ws = Workspace(root)
    ws._index = False  # the files themselves, never the index
    return ws.load_all(kind, problems=[])


def test_the_index_answers_each_condition_as_the_files_do(root: Path) -> None:
    index = Workspace(root).index()
    assert index is not None
    deals = [d for d in files(root, "deal") if isinstance(d, Deal)]
    tasks = [t for t in files(root, "task") if isinstance(t, Task)]
    clients = [c for c in files(root, "client") if isinstance(c, Client)]
    client = deals[0].client
    name = clients[3].name.casefold()
    cases: list[tuple[str, where.Where, list[str]]] = [
        ("deal", eq("status", "open"), [d.id for d in deals if d.status == "open"]),
        ("deal", among("status", ["won", "lost"]), [d.id for d in deals if d.status != "open"]),
        (
            "deal",
            eq("client", client) & eq("status", "open"),
            [d.id for d in deals if d.client == client and d.status == "open"],
        ),
        (
            "task",
            eq("status", "done") | eq("status", "cancelled"),
            [t.id for t in tasks if t.status in ("done", "cancelled")],
        ),
        ("client", contains("text", name), [c.id for c in clients if name in c.name.casefold()]),
        ("client", present("conflicts"), []),
    ]
    assert all(expected for _, _, expected in cases[:-1])  # none is true of nothing
    for kind, condition, expected in cases:
        assert [r.id for r in index.records(kind, condition)] == sorted(expected), condition
    open_by_client = index.counts("deal", "client", eq("status", "open"))
    assert open_by_client[client] == sum(
        1 for d in deals if d.client == client and d.status == "open"
    )


def test_the_summary_counts_the_files_and_knows_its_head(root: Path) -> None:
    index = Workspace(root).index()
    assert index is not None
    summary = index.summary()
    assert summary.counts == {kind: len(files(root, kind)) for kind in RECORD_TYPES}
    assert summary.broken == 0
    assert summary.head == git(root, "rev-parse", "HEAD").strip()


def test_the_columns_are_the_index_s() -> None:
    assert {"id", *COLUMNS} == where.COLUMN_NAMES
