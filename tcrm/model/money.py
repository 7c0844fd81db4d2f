"""How money is rounded and written: one rule, used by every view.

Amounts are exact decimals and stay so in the files. A computed amount (a weighted one:
USD 1,500.50 at 25% is 375.125) is rounded once, where it is shown, to cents, half up
(375.13), as people and spreadsheets round by hand. The pipeline, deal list and card,
reports, the HTML report, the TUI and the calendar feed all round with this module, so
one deal never shows two values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """``amount`` to exactly two decimals, half up: 375.125 -> 375.13, 12000 -> 12000.00."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def rounded(amount: Decimal) -> Decimal:
    """``amount`` to at most two decimals, half up; one with fewer is kept as written
    (44000 stays 44000, 150.1 stays 150.1): the value JSON carries for a computed amount."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return amount
    return cents(amount)


def money_text(amount: Decimal | None, currency: str | None = None) -> str:
    """``1,500.50 USD``, ``12,000 EUR``: rounded to cents, shown only when there are some;
    ``""`` for no amount. Every front end writes money with it."""
    if amount is None:
        return ""
    value = cents(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{text} {currency or ''}".strip()
