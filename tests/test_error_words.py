"""Errors carry the field as data; each front end words it (issue 24).

The services and the mail package name a field as ``Field("due")`` (or ``field="due"``),
never as a command-line option: the CLI words it ``--due``, a TUI form as the field's
label. A scan of their source fails on any option-like ``--word`` in a string literal.
"""

from __future__ import annotations

import pickle

import pytest

from tcrm.errors import (
    AmbiguousError,
    Command,
    Field,
    NotFoundError,
    OverridableError,
    Problem,
    RuleError,
    TcrmError,
    UsageError,
    ValidationError,
    option,
)

# --- the errors themselves ------------------------------------------------------------


def test_an_error_about_a_field_reads_as_the_option_by_default() -> None:
    error = UsageError("is not a date: 'fri2'", field="due")
    assert error.field == "due"
    assert str(error) == "--due: is not a date: 'fri2'"
    assert error.words(lambda name: name.title()) == "Due: is not a date: 'fri2'"


def test_a_message_naming_fields_is_about_the_first_one() -> None:
    error = UsageError(Field("next_due"), " needs ", Field("next_title"), ' "what to do next"')
    assert error.field == "next_due"
    assert str(error) == '--next-due needs --next-title "what to do next"'
    labels = {"next_due": "Follow-up due", "next_title": "Follow-up"}
    assert error.words(labels.__getitem__) == 'Follow-up due needs Follow-up "what to do next"'


def test_an_error_about_no_field_is_its_text() -> None:
    error = RuleError("deal x is closed")
    assert error.field is None
    assert str(error) == "deal x is closed" == error.words(lambda name: "unused")
    assert str(TcrmError()) == ""


def test_a_command_to_type_reads_the_same_in_every_front_end() -> None:
    error = RuleError("run `", Command("tcrm sync ", Field("after_rewrite")), "`")
    assert error.field is None
    assert str(error) == "run `tcrm sync --after-rewrite`" == error.words(str.upper)
    assert str(Command("tcrm resolve x ", Field("restore"))) == "tcrm resolve x --restore"


def test_the_default_option_spelling() -> None:
    assert option("due") == "--due"
    assert option("next_due") == "--next-due"


def test_an_overridable_refusal_says_why_and_how_to_override() -> None:
    error = OverridableError("stage won needs ", Field("amount"))
    assert error.reason == "stage won needs --amount"
    assert str(error) == "stage won needs --amount (or pass --force)"
    assert error.reason_words(str.upper) == "stage won needs AMOUNT"
    custom = OverridableError("the same name", hint=(", or add anyway with ", Field("force")))
    assert str(custom) == "the same name, or add anyway with --force"


@pytest.mark.parametrize(
    "error",
    [
        UsageError("is not a date", field="due"),
        UsageError(Field("repeat"), " needs ", Field("due")),
        NotFoundError(Field("contacts"), " 'x' is not a contact person of any client"),
        AmbiguousError("'a' matches several"),
        OverridableError("needs ", Field("amount")),
        OverridableError("the same name", hint=(", add with ", Field("force"))),
        ValidationError([Problem("clients/a.yaml", 3, "bad"), Problem("b", None, "worse")]),
        RuleError("refused"),
        RuleError("run `", Command("tcrm sync ", Field("after_rewrite")), "`"),
    ],
)
def test_errors_survive_pickling(error: TcrmError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.field == error.field
    assert back.parts == error.parts
    assert back.exit_code == error.exit_code
    if isinstance(error, OverridableError):
        assert isinstance(back, OverridableError) and back.reason == error.reason
    if isinstance(error, ValidationError):
        assert isinstance(back, ValidationError) and back.problems == error.problems
