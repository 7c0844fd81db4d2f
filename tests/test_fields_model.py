"""The pure accessor of custom fields (tcrm.model.fields): parsing what people type and
judging what files hold, for any input a teammate's file may carry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcrm.model.fields import (
    TYPES,
    FieldDef,
    custom_values,
    parse_input,
    shown_value,
    typed,
    value_problem,
)
from tcrm.model.records import Client

NOW = datetime(2026, 11, 23, 9, 0)
DEFS = {
    "text": FieldDef(type="text"),
    "number": FieldDef(type="number"),
    "money": FieldDef(type="money"),
    "date": FieldDef(type="date"),
    "bool": FieldDef(type="bool"),
    "choice": FieldDef(type="choice", choices=["a", "b"]),
    "multi": FieldDef(type="multi", choices=["a", "b", "c"]),
    "member": FieldDef(type="member"),
    "ref": FieldDef(type="ref"),
}

# What a YAML file read by the store can hold: text, booleans, null, lists and mappings.
yaml_values = st.recursive(
    st.none() | st.booleans() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


def test_every_type_is_exercised() -> None:
    assert set(DEFS) == set(TYPES)


@given(name=st.sampled_from(sorted(DEFS)), value=yaml_values)
def test_a_stored_value_is_judged_never_crashes(name: str, value: object) -> None:
    problem = value_problem(DEFS[name], value)
    assert problem is None or isinstance(problem, str)
    assert (typed(DEFS[name], value) is None) or problem is None


@given(name=st.sampled_from(sorted(DEFS)), text=st.text(max_size=40))
def test_what_a_person_types_parses_or_is_refused_with_a_sentence(name: str, text: str) -> None:
    try:
        stored = parse_input(DEFS[name], text, NOW, "DMY")
    except ValueError as exc:
        assert str(exc)
        return
    # whatever is accepted is stored in a form the check accepts
    assert value_problem(DEFS[name], stored) is None or stored in ("", [])


@given(
    number=st.decimals(
        min_value=Decimal("-1e14"), max_value=Decimal("1e14"), places=6, allow_nan=False
    )
)
def test_a_number_round_trips_exactly(number: Decimal) -> None:
    stored = parse_input(DEFS["number"], format(number, "f"))
    assert typed(DEFS["number"], stored) == number


@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_a_date_round_trips_in_every_date_order(day: date) -> None:
    for order, text in (
        ("DMY", day.strftime("%d/%m/%Y")),
        ("MDY", day.strftime("%m/%d/%Y")),
        ("YMD", day.isoformat()),
    ):
        assert typed(DEFS["date"], parse_input(DEFS["date"], text, NOW, order)) == day


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("number", "1200", Decimal(1200)),
        ("money", "12000.50", Decimal("12000.50")),
        ("date", "2026-02-01", date(2026, 2, 1)),
        ("bool", True, True),
        ("choice", "a", "a"),
        ("multi", ["a", "c"], ["a", "c"]),
        ("member", "ann", "ann"),
        ("ref", "acme", "acme"),
        ("text", "hello", "hello"),
    ],
)
def test_custom_values_are_typed(name: str, value: object, expected: object) -> None:
    client = Client.model_validate({"id": "x", "name": "X", name: value, "other": "kept"})
    assert custom_values(client, {name: DEFS[name]}) == {name: expected}


def test_custom_values_leave_out_unset_and_invalid_values() -> None:
    client = Client.model_validate({"id": "x", "name": "X", "number": "many", "choice": "z"})
    assert custom_values(client, DEFS) == {}


def test_shown_values() -> None:
    assert [shown_value(v) for v in (Decimal("1200"), True, ["a", "b"], date(2026, 1, 2))] == [
        "1200",
        "yes",
        "a, b",
        "2026-01-02",
    ]
