"""How money is read, rounded and written: one rule, used by every view.

Amounts are exact decimals and stay so in the files. A computed amount (a weighted one:
USD 1,500.50 at 25% is 375.125) is rounded once, where it is shown, to cents, half up
(375.13), as people and spreadsheets round by hand. The pipeline, deal list and card,
reports, the HTML report, the TUI and the calendar feed all round with this module, so
one deal never shows two values. Amounts and currency codes are read here too (the
model's ``Amount`` and ``Currency`` validate with these), with the standard library only:
the early path of ``tcrm deal list`` reads them from the local index before pydantic is
imported (``tcrm.services.deal_selection``), the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tcrm.model.limits import AMOUNT_DECIMALS, AMOUNT_DIGITS

TYPE_CHECKING = False  # the early path of ``deal list`` reads amounts before typing loads
if TYPE_CHECKING:
    from typing import Any

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


# ISO 4217 active codes (data, not logic: a dependency for 180 codes would not earn its place).
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()  # noqa: SIM905 - a table of codes
)


def check_currency(value: str) -> str:
    code = str(value).strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, USD, GBP)")
    return code


def parse_amount(value: Any) -> Decimal:
    """An exact amount from text or an int (our YAML dialect reads numbers as text)."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not an amount (write digits, e.g. 12000 or 12000.50)")
    else:
        try:
            amount = Decimal(str(value).strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(
                f"{value!r} is not an amount (write digits, e.g. 12000 or 12000.50)"
            ) from None
    if amount.is_finite() and amount < 0:
        raise ValueError(f"{value!r}: an amount cannot be negative")
    return amount_in_range(amount, value)


def amount_in_range(amount: Decimal, shown: Any = None) -> Decimal:
    """``amount`` if it is finite, with at most ``AMOUNT_DIGITS`` digits before the
    decimal point and ``AMOUNT_DECIMALS`` after (``limits``); else ValueError. Amounts,
    goal targets and exchange rates all hold to it."""
    shown = str(amount) if shown is None else shown
    if not amount.is_finite():
        raise ValueError(f"{shown!r} is not a finite amount")
    if amount.adjusted() >= AMOUNT_DIGITS or amount != amount.quantize(_LEAST_AMOUNT):
        raise ValueError(
            f"{shown!r} is outside the accepted range of amounts (at most {AMOUNT_DIGITS} "
            f"digits before the decimal point and {AMOUNT_DECIMALS} after)"
        )
    return amount


_LEAST_AMOUNT = Decimal(1).scaleb(-AMOUNT_DECIMALS)
