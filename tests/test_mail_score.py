"""The score a survey reply gives: the rule of tcrm/mail/score.py, by example and by
Hypothesis (a score where one is written, none in dates, times, phone numbers, amounts,
decimals or quoted text)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tcrm.mail.score import answer_line, new_text, reply_score

WORDS = st.text(alphabet="abcdefghij klmnopqrstuvwxyzABCXYZ'!?éü", max_size=40)
"""Text without digits, signs or quote markers."""
SCORES = st.integers(0, 10)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("9, great service", 9),
        ("10/10", 10),
        ("10 / 10, would buy again", 10),
        ("I'd say 9", 9),
        ("8 out of 10", 8),
        ("Easily an 8 Out Of 10.", 8),
        ("0", 0),
        ("Score: 7\n\nOn Mon, 23 Nov 2026, Ann wrote:\n> 0-10? 10 means very likely", 7),
        ("between 7 and 8", 7),
        ("call me on 0612345678", None),
        ("call me on 06 12 34 56 78", None),
        ("call me on +31 6 12345678", None),
        ("06-12345678", None),
        ("see you on 12/03 at 10:30", None),
        ("2026-03-05 works", None),
        ("9.5", None),
        ("9,5 perhaps", None),
        ("5%", None),
        ("€5 is too much", None),
        ("#2 on my list", None),
        ("-3", None),
        ("3pm", None),
        ("we are 25 people, 9", None),
        ("11/10!", None),
        ("05/10", None),
        ("3/10/2026", None),
        ("ten", None),
        ("", None),
        ("Great!\n> 10", None),
        ("thanks\n-----Original Message-----\n9", None),
        ("thanks\n-- \nAnn, 9 Main St", None),
    ],
)
def test_examples(text: str, score: int | None) -> None:
    assert reply_score(text) == score


@given(WORDS, SCORES, st.sampled_from(["", ",", ".", "!", " points", ", thanks"]), WORDS)
def test_a_number_0_to_10_on_its_own_is_the_score(
    before: str, score: int, glue: str, after: str
) -> None:
    assert reply_score(f"{before} {score}{glue} {after}") == score


@given(WORDS, SCORES, st.sampled_from(["/10", " / 10", " out of 10", " OUT OF 10"]), WORDS)
def test_n_out_of_10_is_the_score(before: str, score: int, form: str, after: str) -> None:
    assert reply_score(f"{before} {score}{form} {after}") == score


@given(WORDS, SCORES, st.integers(0, 10), WORDS)
def test_n_out_of_10_wins_over_an_earlier_number(
    before: str, first: int, score: int, after: str
) -> None:
    assert reply_score(f"{before} {first}, well {score}/10 {after}") == score


@given(
    WORDS,
    st.sampled_from(["", "+"]),
    st.lists(st.integers(0, 9999).map(str), min_size=2, max_size=5),
    st.sampled_from([" ", "-", ".", "/", ""]),
    WORDS,
)
def test_phone_numbers_and_digit_groups_are_no_score(
    before: str, plus: str, groups: list[str], sep: str, after: str
) -> None:
    number = plus + sep.join(groups)
    assume(sep or len(number.lstrip("+")) > 2)  # "1"+"0" with no separator is just 10
    assume(not (number == f"{groups[0]}/10" and int(groups[0]) <= 10))  # "3/10" is a score
    assert reply_score(f"{before} {number} {after}") is None


@given(
    WORDS,
    st.integers(1, 31),
    st.integers(1, 12),
    st.integers(1990, 2099),
    st.sampled_from(["{d}/{m}/{y}", "{y}-{m:02}-{d:02}", "{d}.{m}.{y}", "{d}/{m}", "{h}:{mm:02}"]),
    WORDS,
)
def test_dates_and_times_are_no_score(
    before: str, d: int, m: int, y: int, form: str, after: str
) -> None:
    assume(not (form == "{d}/{m}" and m == 10))  # "3/10" is a score (the documented rule)
    text = form.format(d=d, m=m, y=y, h=d % 24, mm=m * 4)
    assert reply_score(f"{before} {text} {after}") is None


@given(st.text(max_size=300))
def test_any_text_gives_none_or_0_to_10(text: str) -> None:
    score = reply_score(text)
    assert score is None or 0 <= score <= 10


@given(WORDS, st.sampled_from(["\n> ", "\nOn Monday, Ann wrote:\n", "\n-- \n"]), st.text())
def test_quoted_text_and_signatures_never_count(new: str, marker: str, rest: str) -> None:
    assert reply_score(new + marker + rest) is None


def test_new_text_and_the_answer_line() -> None:
    body = "\n  9,   great   service  \nthanks\n\nOn Mon, Ann wrote:\n> How likely?\n"
    assert new_text(body) == "9,   great   service  \nthanks"
    assert answer_line(body) == "9, great service"
    assert answer_line("> only quoted\n") is None
    assert answer_line("x" * 500) == "x" * 199 + "…"
