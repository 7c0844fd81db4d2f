"""Switching the board to another pipeline leaves a card selected, so its keys act at once.

The board rebuilds its columns when the stages change. It used to fill the new columns
after the next refresh without waiting for the old ones to be gone: when an old column
was slow to close (a loaded machine), the focus went back to the column of the same
stage on its way out, then fell on the board itself, and ``o``, ``e``, ``w``... said
"Select a deal first" although the new board showed a highlighted card (the every-key
walk failed this way now and then in CI).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tcrm.tui.screens.client_card import ClientCardScreen
from tcrm.tui.screens.forms import DealEditForm
from tcrm.tui.screens.pipeline import PipelineScreen
from tcrm.tui.widgets.board import CardList
from tests.test_tui_pilot import drive, make_app, settle

SALES = ["lead", "qualified", "proposal", "negotiation"]
PARTNERSHIPS = ["intro", "pilot", "agreement"]


def _selected(screen: PipelineScreen) -> tuple[str, str]:
    """(stage, deal) of the card the board's keys act on; fails when there is none."""
    focused = screen.focused
    assert isinstance(focused, CardList), f"the focus is on {focused!r}, not on a column"
    assert focused in screen.query(CardList), f"{focused.id} was removed"
    deal = screen.current()
    assert deal is not None, f"no deal selected in {focused.stage_id}"
    return focused.stage_id, deal.id


async def _switch_while_a_column_closes_late(pilot: Pilot[Any], screen: PipelineScreen) -> None:
    """The other pipeline, while the focused old column is still busy when the new board
    has been painted and refreshed (its removal waits until then)."""
    old = screen.focused
    assert isinstance(old, CardList)
    released = asyncio.Event()

    async def busy() -> None:
        await released.wait()

    old.call_later(busy)
    loads = screen.loads
    screen.action_next_pipeline()
    while screen.loads == loads:  # the load worker has painted the new pipeline's data
        await asyncio.sleep(0.01)
    await screen.wait_for_refresh()  # what was due after the paint's refresh has run
    await asyncio.sleep(0)
    released.set()
    await settle(pilot)


def test_switching_pipelines_keeps_a_card_selected_for_the_keys(sample_ws: Path) -> None:
    app = make_app(sample_ws)

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("2")
        await settle(pilot)
        shown = app.screen
        assert isinstance(shown, PipelineScreen)
        screen: PipelineScreen = shown
        proposal = screen.query_one("#cards-proposal", CardList)
        proposal.focus()
        assert proposal.select_deal("jonas-lindqvist-author-website")
        await settle(pilot)
        await _switch_while_a_column_closes_late(pilot, screen)
        assert screen.pipeline_id == "partnerships"
        assert [c.stage_id for c in screen.query(CardList)] == PARTNERSHIPS
        assert _selected(screen)[0] in PARTNERSHIPS
        for stages in (SALES, PARTNERSHIPS):  # the key, as a person presses it
            await pilot.press("p")
            await settle(pilot)
            assert [c.stage_id for c in screen.query(CardList)] == stages
            assert _selected(screen)[0] in stages
            assert str(screen.query_one("#board-message").render()) == ""
        stage, deal = _selected(screen)
        selected = screen.current()
        assert selected is not None
        await pilot.press("o")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen), type(card).__name__
        assert card.client_id == selected.client
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is shown
        assert _selected(screen) == (stage, deal)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DealEditForm), type(form).__name__
        assert form.record.id == deal

    drive(app, scenario)
