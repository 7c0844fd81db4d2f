"""The pipeline board: a column per stage, moves by key or by dragging a card.

A move calls ``deals.move_deal``, so the transition matrix and the required fields of
the stage hold exactly as on the command line; a refused move is shown under the board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalScroll
from textual.widgets import OptionList, Static

from tcrm.errors import OverridableError, TcrmError
from tcrm.model.records import Deal, entered_stage_at
from tcrm.services import clients, deals, pipeline
from tcrm.tui.commands import Command
from tcrm.tui.format import money_lines
from tcrm.tui.keys import bind
from tcrm.tui.screens.base import DataScreen
from tcrm.tui.screens.dialogs import LostReasonDialog
from tcrm.tui.screens.forms import ActivityForm, DealEditForm, DealForm
from tcrm.tui.widgets.board import Card, CardList, StageColumn
from tcrm.tui.widgets.filter_bar import FilterBar
from tcrm.tui.widgets.footer import KeyFooter
from tcrm.tui.widgets.nav import NavBar


@dataclass(frozen=True)
class BoardData:
    now: datetime
    report: pipeline.PipelineReport
    rows: list[deals.DealRow]
    names: dict[str, str]
    """Client id -> name, for the cards."""


def _age(deal: Deal, now: datetime) -> int | None:
    entered = entered_stage_at(deal)
    if entered is None:
        return None
    if entered.tzinfo is None:
        entered = entered.replace(tzinfo=now.tzinfo)
    return (now - entered).days


class PipelineScreen(DataScreen):
    """Kanban view of one pipeline's open deals."""

    CSS_PATH = "pipeline.tcss"
    MODE = "pipeline"
    PALETTE_NAME = "Pipeline"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("column-left", show=False),
        bind("column-right", show=False),
        bind("move-back"),
        bind("move-on"),
        bind("force", show=False),
        bind("won"),
        bind("lost"),
        bind("pipeline"),
        bind("open-client"),
        bind("log-call"),
        bind("filter"),
        bind("edit", show=False),
        bind("new", "New deal", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pipeline_id: str | None = None
        self.data: BoardData | None = None
        self._follow: str | None = None
        self._drag: tuple[str, str] | None = None
        self._built_for: tuple[str, ...] = ()
        """The stages of the columns shown or being built."""
        self._columns: tuple[str, ...] = ()
        """The stages of the columns built (and not being replaced)."""
        self._override: tuple[Deal, str] | None = None
        """A refused move ``f`` may make anyway (recorded as forced, like ``--force``)."""
        self.words: list[str] = []
        """The filter (``/``): only deals whose title or client holds every word."""
        self._refused_at: int | None = None
        """``app.changes`` when a refusal was shown: a later change clears it."""

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="board-title", markup=False)
        yield HorizontalScroll(id="board")
        yield Static("", id="board-message", markup=False)
        yield FilterBar(id="board-filter")
        yield NavBar(self.MODE)
        yield KeyFooter(compact=True)

    # --- data ---------------------------------------------------------------------

    def fetch(self) -> BoardData:
        ws, now = self.tcrm.ws, self.tcrm.now()
        report = pipeline.pipeline_report(ws, now=now, name=self.pipeline_id)
        rows = deals.list_deals(ws, now=now, pipeline=report.pipeline_id)
        names = clients.client_names(ws, (row.deal.client for row in rows))
        return BoardData(now, report, rows, names)

    def show(self, data: BoardData) -> None:
        self.data = data
        self.pipeline_id = data.report.pipeline_id
        if self._refused_at is not None and self.tcrm.changes > self._refused_at:
            self.say("")  # a change made since: that refusal is no longer the news
        self.repaint()

    def repaint(self) -> None:
        data = self.data
        if data is None:
            return
        report = data.report
        stage_ids = tuple(s.stage.id for s in report.stages)
        if stage_ids != self._built_for:
            self._built_for = stage_ids
            self._rebuild(report, self._focused_stage())
        elif self._columns == stage_ids:
            self._fill(data, self._focused_stage())
        # else: the columns are being built; the build fills them from ``self.data``

    @work(exclusive=True, group="board")
    async def _rebuild(self, report: pipeline.PipelineReport, focused_stage: str | None) -> None:
        """A column per stage of ``report``, filled once the old columns are gone and the
        new ones laid out: filled earlier, the focus could go to an old column on its way
        out, and the board's keys found no card selected."""
        board = self.query_one("#board", HorizontalScroll)
        await board.remove_children()
        await board.mount_all(
            StageColumn(s.stage.id, s.stage.name, s.stage.probability) for s in report.stages
        )
        await self.wait_for_refresh()  # the cards are clipped to their column's width
        self._columns = tuple(s.stage.id for s in report.stages)
        if self.data is not None and self._columns == self._built_for:
            self._fill(self.data, focused_stage)

    def _fill(self, data: BoardData, focused_stage: str | None) -> None:
        report = data.report
        by_stage: dict[str, list[Card]] = {s.stage.id: [] for s in report.stages}
        words = self.words
        for row in data.rows:
            deal = row.deal
            if words:
                name = data.names.get(deal.client, deal.client)
                text = f"{deal.title} {name} {deal.client} {deal.id}".casefold()
                if not all(w in text for w in words):
                    continue
            if deal.stage in by_stage:
                by_stage[deal.stage].append(
                    Card(
                        deal.id,
                        data.names.get(deal.client, deal.client),
                        deal.title,
                        deal.amount,
                        row.currency,
                        _age(deal, data.now),
                        row.rotting.idle_days if row.rotting else None,
                    )
                )
        for summary in report.stages:
            column = self.query_one(f"#stage-{summary.stage.id}", StageColumn)
            column.set_data(by_stage[summary.stage.id], summary.open.total, summary.open.weighted)
        totals = ", ".join(money_lines(report.open.total))
        self.query_one("#board-title", Static).update(
            f"{report.name} · {report.open.count} open · won {report.won.count} · "
            f"lost {report.lost.count} · {len(report.rotting)} rotting"
            + (f" · {totals}" if totals else "")
        )
        self._place_focus(focused_stage)

    def _place_focus(self, focused_stage: str | None) -> None:
        lists = list(self.query(CardList))
        if not lists:
            return
        if self._follow:
            for cards in lists:
                if cards.select_deal(self._follow):
                    cards.focus()
                    self._follow = None
                    return
            self._follow = None
        for cards in lists:
            if cards.stage_id == focused_stage:
                cards.focus()
                return
        next((c for c in lists if c.cards), lists[0]).focus()

    def _focused_stage(self) -> str | None:
        focused = self.focused
        return focused.stage_id if isinstance(focused, CardList) else None

    # --- the selected deal --------------------------------------------------------

    def current(self) -> Deal | None:
        focused = self.focused
        if not isinstance(focused, CardList) or self.data is None:
            return None
        deal_id = focused.current_deal
        return next((r.deal for r in self.data.rows if r.deal.id == deal_id), None)

    def _need_deal(self) -> Deal | None:
        deal = self.current()
        if deal is None:
            self.say("Select a deal first (arrows, or click a card).", error=True)
        return deal

    def say(self, text: str, error: bool = False) -> None:
        self._override = None
        self._refused_at = None
        message = self.query_one("#board-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    # --- actions ------------------------------------------------------------------

    def action_column(self, step: int) -> None:
        lists = list(self.query(CardList))
        if not lists:
            return
        focused = self.focused
        index = lists.index(focused) if isinstance(focused, CardList) else -step
        target = lists[(index + step) % len(lists)]
        target.focus()
        target.scroll_visible()

    def action_move(self, step: int) -> None:
        deal = self._need_deal()
        if deal is None or self.data is None:
            return
        stages = [s.stage.id for s in self.data.report.stages]
        index = stages.index(deal.stage) + step if deal.stage in stages else -1
        if not 0 <= index < len(stages):
            edge = "first" if step < 0 else "last"
            self.say(
                f"{deal.id} is in the {edge} stage; close it with w (won) or x (lost).", error=True
            )
            return
        self.move_to(deal, stages[index])

    def move_to(self, deal: Deal, stage: str, force: bool = False) -> None:
        ws, now = self.tcrm.ws, self.tcrm.now()
        self._follow = deal.id

        def moved(change: deals.Change) -> str:
            created = f", {len(change.tasks)} task(s) created" if change.tasks else ""
            forced = " (forced)" if change.forced else ""
            text = (
                f"{deal.id}: {deal.stage} → {change.deal.stage}{forced}{created}"
                f"{_cancelled(change)}"
            )
            self.say(text)
            return text

        def refused(error: TcrmError) -> None:
            self._refused(error)
            if isinstance(error, OverridableError):
                self._override = (deal, stage)

        self.tcrm.change(
            lambda: deals.move_deal(ws, ref=deal.id, stage=stage, now=now, force=force),
            success=moved,
            failure=refused,
        )

    def action_force(self) -> None:
        """Make the move just refused anyway: the stage history marks it forced."""
        if self._override is None:
            self.say("Nothing to override: f makes a refused move anyway.", error=True)
            return
        deal, stage = self._override
        self.move_to(deal, stage, force=True)

    def _refused(self, error: TcrmError) -> None:
        self._follow = None
        if isinstance(error, OverridableError):
            self.say(
                f"Refused: {error.reason}. Press f to move anyway (recorded as forced).",
                error=True,
            )
        else:
            self.say(f"Refused: {error}", error=True)
        self._refused_at = self.tcrm.changes

    def action_won(self) -> None:
        deal = self._need_deal()
        if deal is None:
            return
        ws, now = self.tcrm.ws, self.tcrm.now()

        def won(change: deals.Change) -> str:
            text = f"{deal.id}: won 🎉" if change.changed else f"{deal.id} was already won"
            text += _cancelled(change)
            self.say(text)
            return text

        self.tcrm.change(
            lambda: deals.win_deal(ws, ref=deal.id, now=now), success=won, failure=self._refused
        )

    def action_lost(self) -> None:
        deal = self._need_deal()
        if deal is None:
            return
        reasons = self.tcrm.ws.settings.lists.lost_reasons
        ws, now = self.tcrm.ws, self.tcrm.now()

        def chosen(reason: str | None) -> None:
            if not reason:
                return

            def lost(change: deals.Change) -> str:
                text = f"{deal.id}: lost ({reason}){_cancelled(change)}"
                self.say(text)
                return text

            self.tcrm.change(
                lambda: deals.lose_deal(ws, ref=deal.id, reason=reason, now=now),
                success=lost,
                failure=self._refused,
            )

        self.app.push_screen(LostReasonDialog(deal.title, list(reasons)), chosen)

    def action_next_pipeline(self) -> None:
        ids = [p.id for p in self.tcrm.ws.settings.pipelines]
        current = self.pipeline_id if self.pipeline_id in ids else ids[0]
        self.switch_pipeline(ids[(ids.index(current) + 1) % len(ids)])

    def switch_pipeline(self, pipeline_id: str) -> None:
        self.pipeline_id = pipeline_id
        self.say("")
        self.reload()

    def action_open_client(self) -> None:
        deal = self._need_deal()
        if deal is not None:
            self.tcrm.open_client(deal.client)

    def action_log_call(self) -> None:
        deal = self.current()
        self.app.push_screen(ActivityForm(about=[deal.id] if deal else [], kind="call"))

    def filter_changed(self, words: list[str]) -> None:
        self.words = words
        if self.data is not None and self._built_for and self._columns == self._built_for:
            self._fill(self.data, self._focused_stage())

    def action_edit(self) -> None:
        deal = self._need_deal()
        if deal is not None:
            self.app.push_screen(DealEditForm(deal))

    def action_new(self) -> None:
        self.app.push_screen(DealForm(pipeline=self.pipeline_id or ""))

    def extra_commands(self) -> list[Command]:
        return [
            Command(
                f"Pipeline: show {p.name}",
                f"pipeline {p.id}",
                partial(self.switch_pipeline, p.id),
            )
            for p in self.tcrm.ws.settings.pipelines
        ]

    # --- mouse --------------------------------------------------------------------

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open_client()

    @on(CardList.DragStarted)
    def _drag_started(self, event: CardList.DragStarted) -> None:
        self._drag = (event.deal_id, event.stage_id)

    @on(CardList.Dropped)
    def _dropped(self, event: CardList.Dropped) -> None:
        drag, self._drag = self._drag, None
        if drag is None or self.data is None or drag[1] == event.stage_id:
            return
        deal = next((r.deal for r in self.data.rows if r.deal.id == drag[0]), None)
        if deal is not None:
            self.move_to(deal, event.stage_id)


def _cancelled(change: deals.Change) -> str:
    """``, 1 stage task cancelled``: what a move or close did to the old stage's tasks."""
    count = len(change.cancelled)
    if not count:
        return ""
    return f", {count} stage task{'s' if count > 1 else ''} cancelled"
