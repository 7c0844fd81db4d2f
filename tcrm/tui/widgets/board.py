"""The kanban board: a column per stage, a card per deal.

A column's cards are the options of one ``OptionList``, so a stage with thousands of
deals is still one widget that renders only what is visible. Dragging a card onto
another column posts ``CardList.Dropped``; the screen decides whether the move is
allowed (the services do).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from tcrm.model.money import money_text
from tcrm.model.words import plural
from tcrm.tui.format import clip


@dataclass(frozen=True)
class Card:
    deal_id: str
    client: str
    title: str
    amount: Decimal | None
    currency: str
    age_days: int | None
    idle_days: int | None
    """Set when the deal is rotting: days without a stage change or an activity."""


def card_content(card: Card, width: int) -> Content:
    amount = money_text(card.amount, card.currency) if card.amount is not None else "no amount"
    age = f"{card.age_days}d" if card.age_days is not None else ""
    lines = [
        Content.styled(clip(card.client, width), "bold"),
        Content(clip(card.title, width)),
        Content(clip(f"{amount} · {age}" if age else amount, width)),
    ]
    if card.idle_days is not None:
        lines.append(Content.styled(clip(f"⚠ rotting, {card.idle_days}d idle", width), "$warning"))
    return Content("\n").join(lines)


class CardList(OptionList):
    """The cards of one stage. Enter opens the card's client; a click only selects."""

    class DragStarted(Message):
        def __init__(self, deal_id: str, stage_id: str) -> None:
            super().__init__()
            self.deal_id = deal_id
            self.stage_id = stage_id

    class Dropped(Message):
        def __init__(self, stage_id: str) -> None:
            super().__init__()
            self.stage_id = stage_id

    def __init__(self, stage_id: str) -> None:
        super().__init__(id=f"cards-{stage_id}", classes="cards")
        self.stage_id = stage_id
        self.cards: list[Card] = []
        self._width = 0

    def set_cards(self, cards: list[Card]) -> None:
        keep = self.current_deal
        self.cards = cards
        self._fill()
        if keep is not None:
            self.select_deal(keep)

    def _card_width(self) -> int:
        """The list's width less its (one-cell) scrollbar and a cell of air: a card that
        fits before the scrollbar appears still fits after."""
        return max(8, self.size.width - 2)

    def _fill(self) -> None:
        width = self._card_width()
        self._width = self.size.width
        highlighted = self.highlighted
        self.clear_options()
        options: list[Option | None] = []
        for index, card in enumerate(self.cards):
            if index:
                options.append(None)
            options.append(Option(card_content(card, width), id=card.deal_id))
        self.add_options(options)
        if self.cards:
            self.highlighted = min(highlighted or 0, self.option_count - 1)
            if self.get_option_at_index(self.highlighted).disabled:
                self.highlighted = 0

    def on_resize(self) -> None:
        if self.cards and self.size.width != self._width:
            keep = self.current_deal
            self._fill()
            if keep is not None:
                self.select_deal(keep)

    @property
    def current_deal(self) -> str | None:
        if self.highlighted is None or not self.option_count:
            return None
        return self.get_option_at_index(self.highlighted).id

    def select_deal(self, deal_id: str) -> bool:
        try:
            self.highlighted = self.get_option_index(deal_id)
        except OptionDoesNotExist:  # the deal left this stage
            return False
        return True

    async def _on_click(self, event: events.Click) -> None:
        option = event.style.meta.get("option")
        if option is not None:
            self.highlighted = option
        self.focus()
        event.prevent_default()  # a click selects; Enter (or o) opens

    def on_mouse_down(self, event: events.MouseDown) -> None:
        option = event.style.meta.get("option")
        if option is not None:
            deal_id = self.get_option_at_index(option).id
            if deal_id:
                self.post_message(self.DragStarted(deal_id, self.stage_id))

    def on_mouse_up(self, _event: events.MouseUp) -> None:
        self.post_message(self.Dropped(self.stage_id))


class StageColumn(Vertical):
    """One stage: its name and probability, its cards, its totals."""

    def __init__(self, stage_id: str, name: str, probability: int) -> None:
        super().__init__(id=f"stage-{stage_id}", classes="stage")
        self.stage_id = stage_id
        self.stage_name = name
        self.probability = probability

    def compose(self) -> ComposeResult:
        yield Static(self.stage_name, classes="stage-head", markup=False)
        yield CardList(self.stage_id)
        yield Static("", classes="stage-totals", markup=False)

    def set_data(
        self, cards: list[Card], total: dict[str, Decimal], weighted: dict[str, Decimal]
    ) -> None:
        self.query_one(".stage-head", Static).update(f"{self.stage_name} ({len(cards)})")
        self.query_one(CardList).set_cards(cards)
        lines = [f"{plural(len(cards), 'deal', grouped=False)} · {self.probability}%"]
        for currency in sorted(total, key=lambda c: (-total[c], c)):
            lines.append(f"Σ {money_text(total[currency], currency)}")
            lines.append(f"w {money_text(weighted.get(currency, Decimal(0)), currency)}")
        self.query_one(".stage-totals", Static).update("\n".join(lines))
