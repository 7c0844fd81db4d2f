"""Amounts per currency, and converting them with the rates of ``tcrm.yaml``.

Amounts in different currencies are never added together: a sum is a ``Money`` mapping
(currency -> amount). Only a ``Converter`` with a target currency (``--currency X``) turns
them into one figure, with the rates of ``tcrm.yaml`` (``rates: {USD: 0.86}`` means one
USD is worth 0.86 of the workspace currency). Rounding happens once, at output: two
decimals, half up, by ``tcrm.model.money`` (the rule of every view).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tcrm.errors import UsageError
from tcrm.model.money import CENT, cents
from tcrm.model.records import Deal
from tcrm.model.settings import Settings

Money = dict[str, Decimal]
"""Currency code -> amount; a currency with nothing in it is absent."""

__all__ = ["CENT", "Converter", "Money", "cents"]


def add(money: Money, currency: str, amount: Decimal) -> None:
    money[currency] = money.get(currency, Decimal(0)) + amount


def merged(moneys: Iterable[Mapping[str, Decimal]]) -> Money:
    out: Money = {}
    for money in moneys:
        for currency, amount in money.items():
            add(out, currency, amount)
    return out


def money_json(money: Mapping[str, Decimal]) -> dict[str, str]:
    """``{"EUR": "1200.00"}``, currencies in alphabetical order."""
    return {c: format(cents(money[c]), "f") for c in sorted(money)}


def currency_of(deal: Deal, settings: Settings) -> str:
    """A deal's currency; the workspace's when the deal names none."""
    return deal.currency or settings.currency


def percent(part: Decimal | int, whole: Decimal | int) -> float | None:
    """``part / whole`` in percent, one decimal (half up); ``None`` when ``whole`` is 0."""
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)


def mean(values: list[int] | list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return Decimal(sum(values)) / len(values)


def one_decimal(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


@dataclass(frozen=True)
class Converter:
    """Converts amounts into ``target`` with the workspace's rates.

    ``strict``: a currency without a rate is an error naming it (``--currency X``);
    otherwise ``convert`` returns ``None`` for it and the caller reports it apart.
    """

    settings: Settings
    target: str
    strict: bool = True

    def rate(self, currency: str) -> Decimal | None:
        if currency == self.settings.currency:
            return Decimal(1)
        return (self.settings.rates or {}).get(currency)

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        if currency == self.target:
            return amount
        source, target = self.rate(currency), self.rate(self.target)
        missing = currency if source is None else self.target if target is None else None
        if missing is not None or source is None or target is None:
            if self.strict:
                raise UsageError(missing_rate(self.settings, missing or currency, self.target))
            return None
        return amount * source / target

    def total(self, money: Mapping[str, Decimal]) -> tuple[Decimal, Money]:
        """The converted sum of ``money``, and what could not be converted (not strict)."""
        total, left = Decimal(0), Money()
        for currency in sorted(money):
            value = self.convert(money[currency], currency)
            if value is None:
                add(left, currency, money[currency])
            else:
                total += value
        return total, left


def shown(money: Mapping[str, Decimal], converter: Converter | None) -> Money:
    """``money`` as reported: per currency, or as one converted total under ``--currency``."""
    if converter is None:
        return dict(money)
    if not money:
        return {}
    return {converter.target: converter.total(money)[0]}


def missing_rate(settings: Settings, currency: str, target: str) -> str:
    base = settings.currency
    return (
        f"no exchange rate for {currency} in tcrm.yaml, so amounts cannot be converted to "
        f"{target}: add `rates: {{{currency}: <value of 1 {currency} in {base}>}}` to tcrm.yaml"
    )
