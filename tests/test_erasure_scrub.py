"""The scrub that erasure applies to today's files and to every version in history."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tcrm.model.erasure import ERASED, Scrubber, Terms

TERMS = Terms.of(
    ["Sophie Lindner", "hello@praxis-lindner.de", "dr-sophie-lindner"], ["+49 150 4976 7190"]
)
SCRUB = Scrubber(TERMS, ["dr-sophie-lindner"])
MENTIONS = st.sampled_from(
    [
        "Sophie Lindner",
        "SOPHIE LINDNER",
        "hello@praxis-lindner.de",
        "+49 150 4976 7190",
        "+49-150-497-67190",
        "0049 150 4976 7190"[2:],
        "dr-sophie-lindner",
    ]
)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(st.lists(st.tuples(TEXT, MENTIONS), max_size=4), TEXT)
def test_no_mention_survives_and_a_second_scrub_changes_nothing(
    parts: list[tuple[str, str]], tail: str
) -> None:
    text = "".join(f"{before} {mention} " for before, mention in parts) + tail
    once = SCRUB.text(text)
    assert not SCRUB.found(once)
    assert SCRUB.text(once) == once  # the rewrite leaves today's scrubbed tree as it is
    assert once.count(ERASED) >= len(parts)


def test_other_people_and_longer_words_are_kept() -> None:
    text = "Sophie Lindnerova, hello@praxis-lindner.de.example, +49 150 4976 71901, Lindner"
    assert SCRUB.text(text) == text


def test_structured_scrub_drops_items_that_are_only_the_person() -> None:
    data = {
        "contacts": [
            {"name": "Sophie Lindner", "emails": ["hello@praxis-lindner.de"]},
            {"name": "Tom"},
        ],
        "emails": ["hello@praxis-lindner.de", "office@example.com"],
        "clients": ["dr-sophie-lindner", "acme"],
        "summary": "Call with Sophie Lindner on +49 150 4976 7190",
    }
    assert SCRUB.data(data) == {
        "contacts": [{"name": "Tom"}],
        "emails": ["office@example.com"],
        "clients": ["acme"],
        "summary": f"Call with {ERASED} on {ERASED}",
    }
