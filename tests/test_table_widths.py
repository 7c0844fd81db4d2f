"""Tables never hide what matters (issue 17, item 4).

Every list command, on a terminal 80, 120 and 200 columns wide, with long titles and big
amounts: ids, amounts and dates are shown whole, titles by at least their first 12
characters, each on one line, and no line is wider than the terminal.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tcrm.cli import terminal
from tcrm.cli.render import Column, layout
from tcrm.model.money import money_text
from tests.clitools import NOW, run

pytestmark = pytest.mark.xdist_group("table_widths")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

WIDTHS = (80, 120, 200)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

CLIENT = "Grossmann Präzisionstechnik Holding"
DEAL = "Enterprise resource planning migration for every plant and warehouse worldwide"
TASK = "Prepare the extraordinarily detailed steering committee briefing pack"
NOTE = "Discussed the extraordinarily long migration roadmap with the steering committee"
AMOUNT = "12,345,678.90 EUR"


ENV = {
    "TCRM_NOW": NOW,
    "GIT_AUTHOR_NAME": "Ann Tester",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Tester",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}


@pytest.fixture(scope="module")
def _long(tmp_path_factory: pytest.TempPathFactory, _sample_template: Path) -> tuple[Path, dict]:
    """The sample plus a client, deal, task and activity with long names and a big amount,
    made once: the tests only read it."""
    root = tmp_path_factory.mktemp("long") / "ws"
    shutil.copytree(_sample_template, root, symlinks=True)
    ids: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        for var, value in {**ENV, "TCRM_WORKSPACE": str(root)}.items():
            patch.setenv(var, value)
        result = run("client", "add", CLIENT, "--tag", "enterprise")
        assert result.code == 0, result.err
        ids["client"] = result.out.strip()  # the new id, for scripts
        for args in (
            ("deal", "add", DEAL, "--client", ids["client"], "--amount", "12345678.90"),
            ("task", "add", TASK, "--client", ids["client"], "--due", "today"),
            ("log", ids["client"], f"meeting: {NOTE}"),
        ):
            result = run(*args)
            assert result.code == 0, result.err
        ids["deal"] = next(d["id"] for d in _json("deal", "list") if d["title"] == DEAL)
        assert run("deal", "edit", ids["deal"], "--set", "close_date=2026-12-15").code == 0
        ids["task"] = next(t["id"] for t in _json("task", "list") if t["title"] == TASK)
        ids["activity"] = _json("activity", "list", "--client", ids["client"])[0]["id"]
    return root, ids


@pytest.fixture
def long_ws(_long: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    root, ids = _long
    for var, value in {**ENV, "TCRM_WORKSPACE": str(root)}.items():
        monkeypatch.setenv(var, value)
    return ids


def _json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _screen(monkeypatch: pytest.MonkeyPatch, width: int, *args: str) -> list[str]:
    """``tcrm ARGS`` as a terminal ``width`` columns wide shows it: its lines, unstyled."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(terminal.out, "_console", None)
    monkeypatch.setattr(terminal.err, "_console", None)
    result = run(*args)
    assert result.code == 0, result.err
    monkeypatch.setattr(terminal.out, "_console", None)
    monkeypatch.setattr(terminal.err, "_console", None)
    lines = [ANSI.sub("", line).rstrip() for line in result.out.splitlines()]
    assert any(lines), result.out
    wide = [line for line in lines if cell_len(line) > width]
    assert not wide, f"wider than {width}: {wide[:3]}"
    return lines


def _shown(lines: list[str], *wanted: str) -> None:
    """Each of ``wanted`` whole, on one line."""
    missing = [w for w in wanted if w and not any(w in line for line in lines)]
    assert not missing, "\n".join(["not shown whole:", *missing, "in:", *lines])


def _money(amount: str | None, currency: str) -> str:
    return money_text(Decimal(amount), currency) if amount is not None else ""


# --- every list command -------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_deal_list(long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    deals = _json("deal", "list", "--all")
    lines = _screen(monkeypatch, width, "deal", "list", "--all")
    _shown(lines, long_ws["deal"], DEAL[:12], AMOUNT, "2026-12-15")
    for d in deals:
        _shown(lines, d["id"], d["title"][:12], _money(d.get("amount"), d["effective_currency"]))
        _shown(lines, d.get("close_date") or "")


@pytest.mark.parametrize("width", WIDTHS)
def test_client_list(long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    clients = _json("client", "list")
    lines = _screen(monkeypatch, width, "client", "list")
    _shown(lines, long_ws["client"], CLIENT[:12])
    for c in clients:
        _shown(lines, c["id"], c["name"][:12], (c.get("last_contact") or "")[:10])


@pytest.mark.parametrize("width", WIDTHS)
def test_task_list(long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    tasks = _json("task", "list", "--all")
    lines = _screen(monkeypatch, width, "task", "list", "--all")
    _shown(lines, long_ws["task"], TASK[:12])
    for t in tasks:
        _shown(lines, t["id"], t["title"][:12], (t.get("due") or "")[:10])


@pytest.mark.parametrize("width", WIDTHS)
def test_pipeline(long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    report = _json("pipeline")
    lines = _screen(monkeypatch, width, "pipeline")
    for stage in report["stages"]:
        _shown(lines, stage["name"][:12])
        for key in ("total", "weighted"):
            for currency, amount in stage[key].items():
                _shown(lines, _money(amount, currency))
    for deal in report["rotting"]:
        _shown(lines, deal["id"], deal["title"][:12])


@pytest.mark.parametrize("width", WIDTHS)
def test_today(long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    plan = _json("today")
    lines = _screen(monkeypatch, width, "today")
    _shown(lines, long_ws["task"], TASK[:12])
    for entry in plan["overdue"] + plan["today"]:
        _shown(lines, entry["id"], entry["title"][:12], (entry.get("due") or "")[:10])
    for deal in plan["rotting_deals"]:
        _shown(lines, deal["id"], deal["title"][:12])
    for client in plan["clients_to_contact"]:
        _shown(lines, client["id"], client["name"][:12])


@pytest.mark.parametrize("width", WIDTHS)
def test_search(long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    lines = _screen(monkeypatch, width, "search", "Grossmann")
    _shown(lines, long_ws["client"], long_ws["deal"], CLIENT[:12])
    lines = _screen(monkeypatch, width, "search", "enterprise resource")
    _shown(lines, long_ws["deal"], DEAL[:12])
    lines = _screen(monkeypatch, width, "search", "extraordinarily")
    _shown(lines, long_ws["task"], TASK[:12], long_ws["activity"], NOTE[:12])


@pytest.mark.parametrize("width", WIDTHS)
def test_activity_list(
    long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    found = _json("activity", "list", "--limit", "30")
    lines = _screen(monkeypatch, width, "activity", "list", "--limit", "30")
    _shown(lines, long_ws["activity"], NOTE[:12])
    for a in found:
        _shown(lines, a["id"], a["summary"][:12], a["at"][:10])


@pytest.mark.parametrize("width", WIDTHS)
def test_client_card_lists(
    long_ws: dict[str, str], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    lines = _screen(monkeypatch, width, "client", "show", long_ws["client"])
    _shown(lines, long_ws["deal"], DEAL[:12], AMOUNT, "2026-12-15")
    _shown(lines, long_ws["task"], TASK[:12], NOTE[:12])


# --- the rule itself --------------------------------------------------------------------


def test_tags_go_before_titles_and_keys_never() -> None:
    cols = [Column("Id"), Column("Title"), Column("Tags"), Column("Owner"), Column("Amount")]
    row = ["a-very-long-record-id", "A title that is rather long indeed", "vip, retail", "ann"]
    row.append("1,234,567 EUR")
    widths = layout(cols, [row], 70)
    assert widths is not None
    assert widths[2] == 0  # tags dropped first
    assert widths[0] == len(row[0]) and widths[4] == len(row[4])  # keys whole
    assert widths[1] >= 13  # the title keeps 12 characters and an ellipsis
    widths = layout(cols, [row], 200)
    assert widths == [len(row[0]), len(row[1]), len(row[2]), len("Owner"), len(row[4])]
    assert layout(cols, [row], 40) is None  # too narrow for a table: printed as blocks


# --- the TUI's list screens: titles and names get the room (issue 22) --------------------

TUI_SIZES = ((80, 24), (160, 45))


def _tui_rows(root: Path, keys: str, target: tuple[str, str], card: str = "") -> Any:
    """What the screen ``keys`` lead to (from ``card``'s client card if given) paints of
    its table at each of ``TUI_SIZES``, with the row of ``target`` on screen: the header,
    that row, the widths. One app: started at the first size, then its terminal resized
    to the next (as a person widens the window), the table laid out again for it."""
    import asyncio

    from tcrm.store.workspace import Workspace
    from tcrm.tui.app import TcrmApp
    from tcrm.tui.widgets.rows import RowsView
    from tcrm.tui.widgets.section_table import SectionTable
    from tests.test_tui_pilot import FIXED, settle

    app = TcrmApp(Workspace.open(root), clock=lambda: FIXED, quiet=True, poll_seconds=None)
    by_size: dict[tuple[int, int], dict[str, Any]] = {}

    async def main() -> None:
        async with app.run_test(size=TUI_SIZES[0]) as pilot:
            await settle(pilot)
            if card:
                app.open_client(card)
                await settle(pilot)
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            for size in TUI_SIZES:
                if app.size != size:
                    await pilot.resize_terminal(*size)
                    await settle(pilot)
                assert tuple(app.size) == size, (app.size, size)
                by_size[size] = await _painted(pilot, target)

    async def _painted(pilot: Any, target: tuple[str, str]) -> dict[str, Any]:
        table = next(t for t in app.screen.query(RowsView) if t.display)

        def listed() -> bool:
            if isinstance(table, SectionTable):  # rows found by what they are (ids may be cut)
                return any((t.kind, t.id) == target for t in table.targets.values())
            return any(target[1] in (line.key, *line.cells) for line in table.lines)

        for _ in range(100):  # the search waits for typing to pause
            if listed():
                break
            await pilot.pause(0.05)
            await settle(pilot)
        if isinstance(table, SectionTable):
            assert table.select_target(*target), target
        else:
            key = next(ln.key for ln in table.lines if target[1] in (ln.key, *ln.cells))
            assert table.select_key(key), target
        await pilot.pause()
        y = table.cursor - int(table.scroll_offset.y) + 1
        return {
            "header": table.render_line(0).text,
            "row": table.render_line(y).text,
            "widths": table.widths(),
            "columns": [c.label for c in table.columns],
            "cols": list(table.columns),
            "full": [" ".join(c.split()) for c in table.current.cells],
            "room": table.scrollable_content_region.width,
        }

    asyncio.run(main())
    return by_size


@pytest.fixture(scope="module")
def tui_rows(_long: tuple[Path, dict]) -> Any:
    """``_tui_rows`` for (size, keys, target, card), each screen's app run once for
    both sizes (the tests only read what it painted)."""
    done: dict[tuple[str, tuple[str, str], str], Any] = {}

    def rows(
        size: tuple[int, int], keys: str, target: tuple[str, str], card: str = ""
    ) -> dict[str, Any]:
        if (keys, target, card) not in done:
            done[keys, target, card] = _tui_rows(_long[0], keys, target, card)
        return done[keys, target, card][size]

    return rows


def _cells(seen: dict[str, Any]) -> dict[str, str]:
    """Each column's text in the painted row, by its label (one space each side)."""
    out, x = {}, 0
    for label, width in zip(seen["columns"], seen["widths"], strict=True):
        out[label] = seen["row"][x + 1 : x + 1 + width].strip()
        x += width + 2
    return out


def _fits(seen: dict[str, Any]) -> None:
    """Every column is on screen, none cropped by the edge."""
    used = sum(seen["widths"]) + 2 * len(seen["widths"])
    assert used <= seen["room"], (seen["widths"], seen["room"])
    last = seen["header"].split()[-1]
    assert last == seen["columns"][-1].split()[-1] or last.endswith("…"), seen["header"]


def _titled(seen: dict[str, Any], label: str) -> None:
    """The ``label`` column's text whole, or cut with an ellipsis only once every column
    that gives way (tags, ids, clients...) has given all it can, and never below half
    the table while they had room to give."""
    index = seen["columns"].index(label)
    whole, text = seen["full"][index], _cells(seen)[label]
    if text == whole:
        return
    assert text.endswith("…") and whole.startswith(text[:-1]), (text, whole)
    others = [
        (col, width)
        for i, (col, width) in enumerate(zip(seen["cols"], seen["widths"], strict=True))
        if i != index and col.least is not None
    ]
    assert all(width <= col.least for col, width in others) or (
        seen["widths"][index] >= (seen["room"] - 2 * len(seen["cols"])) // 2
    ), (label, seen["widths"], [c.least for c in seen["cols"]])


@pytest.mark.parametrize("size", TUI_SIZES)
def test_tui_today_titles_get_the_room(
    _long: tuple[Path, dict], tui_rows: Any, size: tuple[int, int]
) -> None:
    _, ids = _long
    seen = tui_rows(size, "", ("task", ids["task"]))
    _fits(seen)
    cells = _cells(seen)
    _titled(seen, "What")
    if size[0] >= 160:  # room for everything: the client's whole name too
        assert cells["What"] == TASK and cells["Client"] == ids["client"]
    else:  # the client shrinks (with an ellipsis), the title does not give way to it
        assert cells["Client"].endswith("…")


@pytest.mark.parametrize("size", TUI_SIZES)
def test_tui_tasks_titles_get_the_room(
    _long: tuple[Path, dict], tui_rows: Any, size: tuple[int, int]
) -> None:
    _, ids = _long
    seen = tui_rows(size, "4", ("task", ids["task"]))
    _fits(seen)
    cells = _cells(seen)
    _titled(seen, "Task")
    if size[0] >= 160:
        assert cells["Task"] == TASK and cells["Client"] == ids["client"]


@pytest.mark.parametrize("size", TUI_SIZES)
def test_tui_clients_names_get_the_room(
    _long: tuple[Path, dict], tui_rows: Any, size: tuple[int, int]
) -> None:
    _, ids = _long
    seen = tui_rows(size, "3", ("client", ids["client"]))
    _fits(seen)
    cells = _cells(seen)
    _titled(seen, "Name")
    if size[0] >= 160:  # tags and the id whole once the name has its room
        assert cells["Name"] == CLIENT
        assert cells["Tags"] == "enterprise" and cells["Id"] == ids["client"]
    else:  # tags give way first, cut with an ellipsis
        assert cells["Tags"].endswith("…")


@pytest.mark.parametrize("size", TUI_SIZES)
def test_tui_client_card_titles_get_the_room(
    _long: tuple[Path, dict], tui_rows: Any, size: tuple[int, int]
) -> None:
    _, ids = _long
    seen = tui_rows(size, "", ("deal", ids["deal"]), card=ids["client"])
    _fits(seen)
    _titled(seen, "What")


@pytest.mark.parametrize("size", TUI_SIZES)
def test_tui_search_titles_get_the_room(tui_rows: Any, size: tuple[int, int]) -> None:
    seen = tui_rows(size, "gextraordinarily", ("task", TASK))
    _fits(seen)
    _titled(seen, "Found")


def test_tui_layout_gives_the_title_its_room_before_tags_and_ids() -> None:
    from tcrm.tui.widgets.rows import Col
    from tcrm.tui.widgets.rows import layout as tui_layout

    cols = [
        Col("Name"),
        Col("Owner", 6),
        Col("Tags", 30, least=4, give=3),
        Col("Id", 40, least=8, give=2),
    ]
    needs = [40, 5, 20, 30]
    wide = tui_layout(cols, needs, 200)
    assert wide[1:] == [5, 20, 30] and wide[0] == 200 - 8 - 55  # all whole, the rest: title
    narrow = tui_layout(cols, needs, 70)  # 62 cells after padding
    assert narrow[1] == 5  # never gives way
    assert narrow[2] == 4  # tags first, down to their least
    assert narrow[0] == 31 and narrow[3] == 62 - 31 - 5 - 4  # title: half; the id the rest
    assert sum(tui_layout(cols, needs, 40)) == 40 - 8  # tight: everything at its least
    assert tui_layout(cols, needs, 40)[2:] == [4, 8]
