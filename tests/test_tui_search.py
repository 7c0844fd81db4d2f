"""Global search in the TUI (``g``): the ranking of ``tcrm search``, Enter opens the hit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tcrm.tui.screens.client_card import ClientCardScreen
from tcrm.tui.screens.kb import KbScreen
from tcrm.tui.screens.search import SearchScreen
from tcrm.tui.screens.today import TodayScreen
from tcrm.tui.widgets.rows import RowsView
from tests.clitools import run
from tests.test_tui_pilot import drive, make_app, settle


def test_search_as_you_type_ranks_like_tcrm_search_and_enter_opens(sample_ws: Path) -> None:
    cli = json.loads(run("search", "acme", "--json").out)
    app = make_app(sample_ws)
    seen: dict[str, Any] = {}

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("g", *"acme")
        await pilot.pause(0.3)  # the search waits for typing to pause
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        seen["hits"] = [(h.kind, h.id, h.field) for h in screen.hits]
        assert screen.query_one(RowsView).row_count == len(screen.hits)
        await pilot.press("enter")  # to the results
        await pilot.press("enter")  # opens the first
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        seen["card"] = card.client_id
        await pilot.press("escape")  # back to the search, as it was
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen) and app.screen.searched == "acme"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)

    drive(app, scenario)
    assert seen["hits"] == [(h["kind"], h["id"], h["field"]) for h in cli["hits"]]
    assert len(seen["hits"]) >= 3
    first = cli["hits"][0]
    assert seen["card"] == (first["id"] if first["kind"] == "client" else first["clients"][0])


def test_a_kb_page_opens_on_the_kb_screen(sample_ws: Path) -> None:
    cli = json.loads(run("search", "budget", "--kind", "kb", "--json").out)
    page = cli["hits"][0]["id"]
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        kb_hit = next(h for h in search_hits(screen, "budget") if h.kind == "kb")
        screen.open_hit(kb_hit)
        await settle(pilot)
        assert isinstance(app.screen, KbScreen) and app.screen.current == page

    drive(app, scenario)


def search_hits(screen: SearchScreen, text: str) -> list[Any]:
    from tcrm.services import search

    return search.search(screen.tcrm.ws, text=text).hits


def test_no_match_says_so_and_enter_stays(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("g", *"zzzqqq")
        await pilot.pause(0.3)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert screen.hits == []
        status = str(screen.query_one("#search-status").render())
        assert status.startswith("0 found")
        await pilot.press("enter", "enter")  # nothing to open: stays
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)

    drive(app, scenario)
