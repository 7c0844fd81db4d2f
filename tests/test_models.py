"""The models: what they accept, what they refuse, and the words they refuse it with."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from tcrm.model.records import Activity, Client, Deal, Task
from tcrm.model.rules import record_findings
from tcrm.model.settings import Settings
from tcrm.model.types import check_id, slugify
from tcrm.model.validate import ModelProblems, findings_of, parse_record

DEAL = {"title": "Website", "client": "acme", "pipeline": "sales", "stage": "lead"}


def problems(cls: type, data: dict[str, Any]) -> list[tuple[tuple, str]]:
    """The ``(field path, message)`` pairs a record file with ``data`` is refused with."""
    with pytest.raises(ModelProblems) as caught:
        parse_record(cls, data, "x")
    return caught.value.findings


def settings_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "name": "Test Co",
        "pipelines": [
            {
                "id": "sales",
                "name": "Sales",
                "stages": [
                    {"id": "lead", "name": "Lead", "probability": 10},
                    {"id": "proposal", "name": "Proposal", "probability": 50},
                ],
            }
        ],
        "lists": {"sources": ["website", "referral"], "lost_reasons": ["price"]},
    }
    data.update(overrides)
    return data


def settings_problems(data: dict[str, Any]) -> list[tuple[tuple, str]]:
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings.model_validate(data)
    return findings_of(caught.value)


# --- money ----------------------------------------------------------------------------


def test_amount_that_is_not_a_number_is_refused_naming_the_value() -> None:
    [(loc, message)] = problems(Deal, {**DEAL, "amount": "abc"})
    assert loc == ("amount",)
    assert "'abc'" in message
    assert "not an amount" in message


@pytest.mark.parametrize("bad", ["-5", "NaN", "Infinity", "1e", "12,000"])
def test_negative_or_non_finite_or_malformed_amounts_are_refused(bad) -> None:
    [(loc, message)] = problems(Deal, {**DEAL, "amount": bad})
    assert loc == ("amount",)
    assert repr(bad) in message


def test_amount_is_an_exact_decimal() -> None:
    deal = Deal.model_validate({**DEAL, "amount": "12000.50"})
    assert deal.amount == Decimal("12000.50")
    assert isinstance(deal.amount, Decimal)
    assert str(deal.amount) == "12000.50"  # not a float, not 12000.5


def test_currency_is_normalised_to_upper_case() -> None:
    assert Deal.model_validate({**DEAL, "currency": "eur"}).currency == "EUR"
    assert Deal.model_validate({**DEAL, "currency": " usd "}).currency == "USD"


def test_unknown_currency_is_refused() -> None:
    [(loc, message)] = problems(Deal, {**DEAL, "currency": "XYZ"})
    assert loc == ("currency",)
    assert "'XYZ'" in message
    assert "ISO 4217" in message


# --- closing a deal ---------------------------------------------------------------------


def test_lost_deal_needs_a_lost_reason() -> None:
    data = {**DEAL, "status": "lost", "closed": "2026-03-01"}
    assert problems(Deal, data) == [((), "a lost deal needs a lost_reason")]
    deal = Deal.model_validate({**data, "lost_reason": "price"})
    assert deal.lost_reason == "price"


def test_won_deal_needs_an_amount() -> None:
    data = {**DEAL, "status": "won", "closed": "2026-03-01"}
    assert problems(Deal, data) == [((), "a won deal needs an amount")]
    assert Deal.model_validate({**data, "amount": "5000"}).amount == Decimal(5000)


def test_closed_deal_needs_its_closing_date() -> None:
    [((), message)] = problems(Deal, {**DEAL, "status": "won", "amount": "5"})
    assert "closed" in message


def test_open_deal_with_a_lost_reason_is_refused() -> None:
    [((), message)] = problems(Deal, {**DEAL, "lost_reason": "price"})
    assert "lost_reason" in message


def test_unknown_status_names_the_allowed_values() -> None:
    [(loc, message)] = problems(Deal, {**DEAL, "status": "maybe"})
    assert loc == ("status",)
    assert "'maybe'" in message
    assert "'open'" in message and "'won'" in message and "'lost'" in message


def test_missing_required_field_is_named() -> None:
    data = {k: v for k, v in DEAL.items() if k != "stage"}
    assert problems(Deal, data) == [(("stage",), "is required")]


def test_misspelt_required_field_is_reported_on_the_misspelt_key() -> None:
    data = {k: v for k, v in DEAL.items() if k != "stage"} | {"stgae": "lead"}
    [(loc, message)] = problems(Deal, data)
    assert loc == ("stgae",)
    assert "did you mean 'stage'" in message


# --- tasks ----------------------------------------------------------------------------


def test_bad_recurrence_rule_is_refused() -> None:
    [(loc, message)] = problems(Task, {"title": "t", "due": "2026-01-05", "repeat": "FREQ=OFTEN"})
    assert loc == ("repeat",)
    assert "'FREQ=OFTEN'" in message
    [(loc, message)] = problems(Task, {"title": "t", "due": "2026-01-05", "repeat": "weekly"})
    assert loc == ("repeat",)
    assert "FREQ=WEEKLY" in message  # says how to write it


def test_good_recurrence_rule_is_accepted_and_normalised() -> None:
    task = Task.model_validate(
        {"title": "t", "due": "2026-01-05", "repeat": "RRULE:freq=weekly;byday=mo"}
    )
    assert task.repeat == "FREQ=WEEKLY;BYDAY=MO"


def test_repeating_task_needs_a_due_date() -> None:
    assert problems(Task, {"title": "t", "repeat": "FREQ=DAILY"}) == [
        ((), "a repeating task needs a due date")
    ]


def test_reminders_without_due_are_refused() -> None:
    assert problems(Task, {"title": "t", "reminders": ["1d"]}) == [
        ((), "reminders need a due date")
    ]
    task = Task.model_validate({"title": "t", "reminders": ["1D", "30m"], "due": "2026-12-01"})
    assert task.reminders == ["1d", "30m"]


def test_bad_reminder_offset_is_refused() -> None:
    [(loc, message)] = problems(Task, {"title": "t", "due": "2026-12-01", "reminders": ["soon"]})
    assert loc == ("reminders", 0)
    assert "'soon'" in message


def test_due_accepts_a_date() -> None:
    task = Task.model_validate({"title": "t", "due": "2026-12-01"})
    assert task.due == date(2026, 12, 1)
    assert not isinstance(task.due, datetime)
    assert task.to_data()["due"] == "2026-12-01"


def test_due_accepts_a_local_date_time() -> None:
    task = Task.model_validate({"title": "t", "due": "2026-12-01T10:00"})
    assert task.due == datetime(2026, 12, 1, 10, 0)
    assert task.due.tzinfo is None
    assert task.to_data()["due"] == "2026-12-01T10:00"


def test_due_accepts_a_date_time_with_an_offset() -> None:
    task = Task.model_validate({"title": "t", "due": "2026-12-01T10:00+01:00"})
    assert isinstance(task.due, datetime)
    assert task.due.utcoffset() == timedelta(hours=1)
    assert (task.due.hour, task.due.minute) == (10, 0)
    assert task.to_data()["due"] == "2026-12-01T10:00+01:00"


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "01/12/2026", "2026-12-01T25:00"])
def test_bad_due_is_refused_naming_the_value(bad) -> None:
    [(loc, message)] = problems(Task, {"title": "t", "due": bad})
    assert loc == ("due",)
    assert repr(bad) in message


def test_due_with_an_offset_and_a_timezone_is_refused() -> None:
    data = {"title": "t", "due": "2026-12-01T10:00+01:00", "timezone": "Europe/Berlin"}
    [((), message)] = problems(Task, data)
    assert "offset" in message and "timezone" in message


def test_unknown_timezone_is_refused() -> None:
    [(loc, message)] = problems(Task, {"title": "t", "timezone": "Mars/Olympus"})
    assert loc == ("timezone",)
    assert "'Mars/Olympus'" in message


# --- ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good", ["acme", "acme-website", "a", "t2x9k4mq", "acme.co", "big_client", "2026-q1"]
)
def test_safe_ids_are_accepted(good) -> None:
    assert check_id(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "a/b",
        "../etc",
        "..",
        "a..b",
        ".hidden",
        "Acme",
        "ACME",
        "",
        "-acme",
        "acme-",
        "a b",
        "a\\b",
        "x" * 65,
    ],
)
def test_unsafe_ids_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="is not a valid id"):
        check_id(bad)


def test_record_references_must_be_safe_ids() -> None:
    [(loc, message)] = problems(Deal, {**DEAL, "client": "../etc/passwd"})
    assert loc == ("client",)
    assert "not a valid id" in message


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme", "acme"),
        ("  Acme, Inc.  ", "acme-inc"),
        ("Acme -- Website (2026)", "acme-website-2026"),
        ("Müller & Söhne GmbH", "muller-sohne-gmbh"),
        ("Café de Flore", "cafe-de-flore"),
        ("Großmann AG", "grossmann-ag"),
        ("Ærø Ølstue", "aero-olstue"),
        ("Łódź Sp. z o.o.", "lodz-sp-z-o-o"),
        ("東京", ""),
    ],
)
def test_slugify(name, slug) -> None:
    assert slugify(name) == slug
    if slug:
        assert check_id(slug) == slug


def test_slugify_keeps_ids_short_without_a_trailing_dash() -> None:
    slug = slugify("word " * 40)
    assert len(slug) <= 48
    assert not slug.endswith("-")
    check_id(slug)


# --- settings -------------------------------------------------------------------------


def test_minimal_settings_are_accepted() -> None:
    settings = Settings.model_validate(settings_data())
    assert settings.pipeline().id == "sales"
    assert settings.timezone == "UTC"
    assert settings.currency == "EUR"


def test_newer_format_version_is_refused_with_upgrade_advice() -> None:
    [(loc, message)] = settings_problems(settings_data(version=2))
    assert loc == ("version",)
    assert "format version 2" in message
    assert "upgrade tcrm" in message


def test_transitions_naming_an_unknown_stage_are_refused() -> None:
    data = settings_data()
    data["pipelines"][0]["transitions"] = {"lead": ["proposal", "negotiation"]}
    [(loc, message)] = settings_problems(data)
    assert loc == ("pipelines", 0)
    assert "unknown stage 'negotiation'" in message
    data["pipelines"][0]["transitions"] = {"lead": ["proposal"], "proposal": ["lead"]}
    assert Settings.model_validate(data).pipelines[0].may_move("lead", "proposal")


def test_duplicate_stage_ids_are_refused() -> None:
    data = settings_data()
    data["pipelines"][0]["stages"].append({"id": "lead", "name": "Lead again", "probability": 5})
    [(loc, message)] = settings_problems(data)
    assert loc == ("pipelines", 0)
    assert "'sales'" in message
    assert "repeats stage lead" in message


def test_duplicate_pipeline_ids_are_refused() -> None:
    data = settings_data()
    data["pipelines"].append(dict(data["pipelines"][0]))
    [((), message)] = settings_problems(data)
    assert "pipeline id 'sales' is used twice" in message


def test_bad_settings_timezone_and_currency_are_refused() -> None:
    found = dict(settings_problems(settings_data(timezone="Mars/Olympus", currency="ABC")))
    assert "'Mars/Olympus'" in found[("timezone",)]
    assert "'ABC'" in found[("currency",)]


def test_duplicate_reference_list_values_are_refused() -> None:
    [(loc, message)] = settings_problems(
        settings_data(lists={"sources": ["website", "event", "website"]})
    )
    assert loc == ("lists", "sources")
    assert "'website' is listed twice" in message


# --- writing --------------------------------------------------------------------------


def test_to_data_has_no_nulls_nor_empty_lists_and_keeps_the_field_order() -> None:
    deal = Deal(
        notes="call back",
        amount="12000.50",
        currency="eur",
        stage="lead",
        pipeline="sales",
        client="acme",
        title="Website",
        tags=[],
        owner=None,
    )
    data = deal.to_data()
    assert data == {
        "title": "Website",
        "client": "acme",
        "pipeline": "sales",
        "stage": "lead",
        "status": "open",
        "amount": "12000.50",
        "currency": "EUR",
        "notes": "call back",
    }
    # dict equality ignores order; the file's key order is the model's field order
    assert list(data) == [f for f in Deal.model_fields if f in data]
    assert list(data) == [
        *("title", "client", "pipeline", "stage", "status"),
        *("amount", "currency", "notes"),
    ]


def test_to_data_prunes_nested_empties_and_keeps_the_id_out() -> None:
    client = Client(id="acme", name="Acme", contacts=[{"name": "Jo", "emails": []}])
    data = client.to_data()
    assert "id" not in data
    assert data["contacts"] == [{"name": "Jo"}]
    assert None not in data.values()
    assert [] not in data.values()


def test_amounts_are_written_as_exact_text() -> None:
    assert Deal(**DEAL, amount="12000.50").to_data()["amount"] == "12000.50"
    assert Deal(**DEAL, amount="0.10").to_data()["amount"] == "0.10"
    assert Deal(**DEAL, amount=12000).to_data()["amount"] == "12000"


def test_fields_added_by_hand_are_kept() -> None:
    client = Client.model_validate({"name": "Acme", "favourite_colour": "blue"})
    assert client.to_data()["favourite_colour"] == "blue"


def test_assignment_is_validated() -> None:
    client = Client(id="acme", name="Acme")
    with pytest.raises(pydantic.ValidationError):
        client.cadence_days = 0  # type: ignore[assignment]


# --- rules against the settings and the other records -----------------------------------


def test_record_findings_for_a_deal() -> None:
    settings = Settings.model_validate(settings_data())
    deal = Deal(id="d", title="T", client="ghost", pipeline="sales", stage="closing", source="tv")
    found = dict(record_findings(deal, settings, exists=lambda kind, rid: False))
    assert set(found) == {("stage",), ("source",), ("client",)}
    assert "unknown stage 'closing'" in found[("stage",)]
    assert "lead, proposal" in found[("stage",)]  # names the stages there are
    assert found[("source",)] == "'tv' is not one of the sources (website, referral)"
    assert found[("client",)] == "unknown client 'ghost'"


def test_record_findings_ask_exists_about_the_client() -> None:
    settings = Settings.model_validate(settings_data())
    deal = Deal(id="d", title="T", client="acme", pipeline="sales", stage="lead")
    asked = []

    def exists(kind: str, rid: str) -> bool:
        asked.append((kind, rid))
        return True

    assert record_findings(deal, settings, exists) == []
    assert asked == [("client", "acme")]
    # without an exists callback references are not checked at all
    assert record_findings(deal.model_copy(update={"client": "ghost"}), settings) == []


def test_record_findings_for_an_unknown_pipeline() -> None:
    settings = Settings.model_validate(settings_data())
    deal = Deal(id="d", title="T", client="acme", pipeline="support", stage="lead")
    [(loc, message)] = record_findings(deal, settings)
    assert loc == ("pipeline",)
    assert "unknown pipeline 'support'" in message


def test_record_findings_for_activities_and_tasks() -> None:
    settings = Settings.model_validate(settings_data())
    activity = Activity(
        id="a2b3c4d5", kind="fax", at="2026-01-05T10:00", summary="s", clients=["acme", "ghost"]
    )
    found = record_findings(activity, settings, lambda kind, rid: rid == "acme")
    assert found == [
        (("kind",), "'fax' is not one of the activity kinds (call, meeting, email, note)"),
        (("clients", 1), "unknown client 'ghost'"),
    ]
    task = Task(id="t2b3c4d5", title="t", deals=["gone"])
    assert record_findings(task, settings, lambda kind, rid: False) == [
        (("deals", 0), "unknown deal 'gone'")
    ]
