"""One rounding rule for money in every view (issue 17, item 8).

A USD 1,500.50 deal at 25% is worth 375.125 weighted: every view shows 375.13 (cents,
half up), the pipeline, the deal list and card, the reports, the HTML report, the JSON
and the TUI's board alike.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tcrm.model.money import cents, money_text, rounded
from tcrm.services.setup import init_workspace
from tcrm.store.workspace import Workspace
from tcrm.tui.app import TcrmApp
from tcrm.tui.screens.pipeline import PipelineScreen
from tests.clitools import NOW, run

DEAL = "half-cent-co-fleet"


@pytest.fixture
def one_deal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace with one open USD 1,500.50 deal at 25%."""
    for var, value in {
        "TCRM_NOW": NOW,
        "GIT_AUTHOR_NAME": "Ann Tester",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann Tester",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }.items():
        monkeypatch.setenv(var, value)
    root = tmp_path / "ws"
    init_workspace(root)
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    for args in (
        ("client", "add", "Half Cent Co"),
        ("deal", "add", "Fleet", "--client", "half-cent-co", "--amount", "1500.50"),
        ("deal", "edit", DEAL, "--set", "currency=USD", "--set", "probability=25"),
        ("deal", "edit", DEAL, "--set", "close_date=2026-12-15"),
    ):
        result = run(*args)
        assert result.code == 0, result.err
    return root


def _json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _text(*args: str) -> str:
    result = run(*args)
    assert result.code == 0, result.err
    return result.out


# --- the rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("375.125", "375.13"),  # half up (banker's rounding would say 375.12)
        ("0.145", "0.15"),  # half up (banker's: 0.14)
        ("0.135", "0.14"),
        ("2.004", "2.00"),
        ("99.995", "100.00"),
    ],
)
def test_cents_round_half_up(amount: str, shown: str) -> None:
    assert cents(Decimal(amount)) == Decimal(shown)
    assert str(cents(Decimal(amount))) == shown


def test_rounded_keeps_amounts_that_need_no_rounding() -> None:
    assert str(rounded(Decimal("44000"))) == "44000"
    assert str(rounded(Decimal("150.1"))) == "150.1"
    assert str(rounded(Decimal("375.125"))) == "375.13"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("375.125", "375.13 USD"),
        ("1500.50", "1,500.50 USD"),
        ("12000", "12,000 USD"),
        ("99.995", "100 USD"),  # rounded first, then a whole amount
        ("0.004", "0 USD"),
    ],
)
def test_money_text(amount: str, text: str) -> None:
    assert money_text(Decimal(amount), "USD") == text


# --- every view -------------------------------------------------------------------------


def test_pipeline_shows_the_rounded_weighted_amount(one_deal: Path) -> None:
    text = _text("pipeline")
    assert "375.13 USD" in text
    assert "375.12" not in text
    data = _json("pipeline")
    lead = next(s for s in data["stages"] if s["deals"] == [DEAL])
    assert lead["weighted"] == {"USD": "375.13"}
    assert data["open"]["weighted"] == {"USD": "375.13"}


def test_deal_list_and_card_show_the_same_value(one_deal: Path) -> None:
    (row,) = _json("deal", "list")
    assert row["weighted_amount"] == "375.13"
    assert _json("deal", "show", DEAL)["weighted_amount"] == "375.13"
    card = _text("deal", "show", DEAL)
    assert "375.13 USD" in card
    assert "375.12" not in card


def test_report_forecast_shows_the_same_value(one_deal: Path) -> None:
    text = _text("report", "forecast")
    assert "375.13" in text
    assert "375.12" not in text
    data = _json("report", "forecast")
    bucket = next(b for b in data["buckets"] if b["ids"] == [DEAL])
    assert bucket["weighted"] == {"USD": "375.13"}


def test_html_report_shows_the_same_value(one_deal: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    result = run("report", "all", "-o", target)
    assert result.code == 0, result.err
    page = target.read_text(encoding="utf-8")
    assert "375.13" in page
    assert "375.12" not in page
    assert "1,500.50 / 375.13 weighted" in page  # the forecast chart's label too


def test_tui_board_shows_the_same_value(one_deal: Path) -> None:
    app = TcrmApp(Workspace.open(one_deal), clock=lambda: _now(), quiet=True, poll_seconds=None)

    async def main() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("2")
            for _ in range(50):
                await app.workers.wait_for_complete()
                await pilot.pause()
                if isinstance(app.screen, PipelineScreen) and app.screen.query("#stage-lead"):
                    break
            totals = str(app.screen.query_one("#stage-lead .stage-totals", Static).render())
            assert "w 375.13 USD" in totals, totals

    asyncio.run(main())


def _now() -> Any:
    from datetime import datetime

    return datetime.fromisoformat(NOW)
