"""The deal list's shared rules (tcrm.services.deal_selection, tcrm.model.flows) held to
the models: a deal read from an index row is the model's deal, field for field, or is
left to the models; the pipelines read from the kept settings weigh and order deals as
the settings model does (issue 23)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcrm.errors import UsageError
from tcrm.model import insights
from tcrm.model.flows import Flows, flows_of, from_settings
from tcrm.model.records import Deal
from tcrm.model.settings import Settings
from tcrm.model.validate import ModelProblems, parse_record
from tcrm.services import deal_selection
from tcrm.store.workspace import Workspace

SAMPLE = Path(__file__).resolve().parent.parent / "sample_workspace"


@pytest.fixture(scope="module")
def sample_settings() -> Settings:
    return Workspace.open(SAMPLE).settings


@pytest.fixture(scope="module")
def sample_flows(sample_settings: Settings) -> Flows:
    """The sample's pipelines as the list reads them from its settings, built once."""
    return from_settings(sample_settings)


@pytest.fixture(scope="module")
def kept_flows(sample_settings: Settings) -> Flows:
    """The sample's pipelines as an index keeps them (through JSON) and reads them back."""
    kept = Flows.kept(json.loads(json.dumps(flows_of(sample_settings))))
    assert kept is not None
    return kept


def _spaced(values: list[str]) -> st.SearchStrategy[str]:
    """Each value, or it with spaces, tabs, Unicode spaces or separators around it."""
    pads = st.sampled_from(["", "", "", "", " ", "\t", "\u3000", "\xa0", "\x1c", "\u2028"])
    return st.builds(lambda a, v, b: a + v + b, pads, st.sampled_from(values), pads)


AMOUNTS = [
    "12000",
    "12000",
    "150.10",
    "1_000.5",
    "1e3",
    "0.005",
    "1.2345678",
    "-5",
    "+5",
    "inf",
    "NaN",
    "0x10",
]
AMOUNTS += ["999999999999999.999999", "1000000000000000", "12,000", "", "٣"]
CURRENCIES = ["usd", "EUR", "Gbp", "XXX", "eu", "€"]
PERCENTS = ["0", "50", "50", "75", "050", "100", "101", "+5", "5.0", "5_0", "-0", "٣", "1e1", "00"]
DATES = ["2026-12-01", "20261201", "2026-W49-2", "2026-12-01T10:00", "9999-12-31", "1900-01-01"]
IDS = ["ann", "ann", "ben", "Ann", "a..b", "zoe", "x" * 70, ""]


_TITLE = st.one_of(_spaced(["Website", "x"]), st.text(max_size=12))
_CLIENT = st.one_of(st.just("acme"), _spaced(["acme", "Acme", "acme-logistics"]))
_PIPELINE = _spaced(["sales", "partnerships", "retired"])
_STAGE = _spaced(["lead", "proposal", "intro", "gone"])
_OPTIONAL: dict[str, st.SearchStrategy[object]] = {
    "status": st.one_of(st.just("open"), _spaced(["open", "won", "lost", "Won"])),
    "amount": _spaced(AMOUNTS),
    "currency": _spaced(CURRENCIES),
    "probability": _spaced(PERCENTS),
    "close_date": _spaced(DATES),
    "owner": _spaced(IDS),
}
"""The strategies ``deal_data`` draws from, built once: building them inside each draw
(and hypothesis validating each anew) was nine tenths of the test's time."""


@st.composite
def deal_data(draw: st.DrawFn) -> dict[str, object]:
    """A deal file's data as the index keeps it (its YAML as JSON: texts and lists)."""
    data: dict[str, object] = {
        "title": draw(_TITLE),
        "client": draw(_CLIENT),
        "pipeline": draw(_PIPELINE),
        "stage": draw(_STAGE),
    }
    for key, values in _OPTIONAL.items():
        if draw(st.booleans()):
            data[key] = draw(values)
    status = str(data.get("status", "open")).strip()
    if status != "open":  # what a closed deal needs besides (else the model refuses it)
        data["closed"] = "2026-11-01"
    if status == "lost":
        data["lost_reason"] = "price"
    return data


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_data())
def test_an_index_row_is_read_as_the_model_reads_it(
    data: dict[str, object], sample_settings: Settings, sample_flows: Flows
) -> None:
    """A row the models accept (the index keeps those as valid) is read to the model's
    values, or refused (then the normal path answers); the row of the list is the same."""
    try:
        model = parse_record(Deal, data, "d1")
    except ModelProblems:
        return  # not a valid row: the early path never reads it
    try:
        read = deal_selection.indexed_deal("d1", json.dumps(data))
    except ValueError:
        return
    fields = deal_selection.IndexedDeal.__match_args__
    assert {f: getattr(read, f) for f in fields} == {f: getattr(model, f) for f in fields}
    assert deal_selection.listed(read, sample_flows, "EUR").probability == insights.probability(
        model, sample_settings
    )
    assert deal_selection.listed(read, sample_flows, "EUR").currency == (model.currency or "EUR")


def test_the_plain_forms_are_read_not_refused() -> None:
    """The reader takes what tcrm writes (and people usually type): not everything to
    the normal path."""
    data = {
        "title": " Website ",
        "client": "acme",
        "pipeline": "sales",
        "stage": "proposal",
        "status": "won",
        "amount": "12000.50",
        "currency": "usd",
        "probability": "40",
        "close_date": "2026-12-01",
        "closed": "2026-11-30",
        "owner": "ann",
    }
    read = deal_selection.indexed_deal("website", json.dumps(data))
    assert read == deal_selection.IndexedDeal(
        "website",
        "Website",
        "acme",
        "sales",
        "proposal",
        "won",
        Decimal("12000.50"),
        "USD",
        40,
        date(2026, 12, 1),
        "ann",
    )


@pytest.mark.parametrize(
    "changed",
    [{"probability": "+40"}, {"probability": "4_0"}, {"amount": 12000}, {"title": ["a list"]}],
)
def test_other_forms_are_left_to_the_models(changed: dict[str, object]) -> None:
    data = {"title": "W", "client": "acme", "pipeline": "sales", "stage": "lead", **changed}
    with pytest.raises(ValueError):
        deal_selection.indexed_deal("w", json.dumps(data))


@settings(max_examples=300, deadline=None)
@given(
    pipeline=st.sampled_from(["sales", "partnerships", "retired"]),
    stage=st.sampled_from(["lead", "qualified", "proposal", "intro", "pilot", "gone"]),
    status=st.sampled_from(["open", "won", "lost"]),
    own=st.one_of(st.none(), st.integers(0, 100)),
)
def test_the_kept_pipelines_weigh_deals_as_the_settings_do(
    pipeline: str,
    stage: str,
    status: str,
    own: int | None,
    sample_settings: Settings,
    kept_flows: Flows,
) -> None:
    deal = Deal.model_construct(
        id="d", title="t", client="c", pipeline=pipeline, stage=stage, status=status
    )
    deal.__dict__["probability"] = own
    assert kept_flows.probability(deal) == insights.probability(deal, sample_settings)


def test_the_order_is_the_settings_pipelines_then_stages_then_ids(
    sample_settings: Settings,
) -> None:
    flows = from_settings(sample_settings)

    def deal(id_: str, pipeline: str, stage: str) -> deal_selection.IndexedDeal:
        return deal_selection.IndexedDeal(id_, "t", "c", pipeline, stage)

    deals = [
        deal("a", "retired", "lead"),
        deal("b", "partnerships", "intro"),
        deal("c", "sales", "gone"),
        deal("d", "sales", "proposal"),
        deal("e", "sales", "lead"),
        deal("f", "sales", "lead"),
    ]
    chosen = deal_selection.Choice(("open",))
    ordered = [d.id for d in deal_selection.select(reversed(deals), chosen, flows)]
    assert ordered == ["e", "f", "d", "c", "b", "a"]


@pytest.mark.parametrize(
    "kept",
    [None, "sales", [["sales"]], [["sales", [["lead", "10"]]]], [["sales", [["lead", True]]]]],
)
def test_kept_pipelines_not_as_written_are_refused(kept: object) -> None:
    assert Flows.kept(kept) is None


def test_an_unknown_stage_is_the_commands_error(sample_settings: Settings) -> None:
    flows = from_settings(sample_settings)
    deal_selection.check_stage(flows, None, "intro")
    deal_selection.check_stage(flows, "sales", "proposal")
    with pytest.raises(UsageError, match="unknown stage 'intro' in pipeline 'sales'"):
        deal_selection.check_stage(flows, "sales", "intro")
    with pytest.raises(UsageError, match=r"in any pipeline \(stages: lead, qualified"):
        deal_selection.check_stage(flows, None, "won")
