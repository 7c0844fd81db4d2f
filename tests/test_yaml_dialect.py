"""The YAML dialect: what reads as text, and the two engines writing the same bytes."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap

from tcrm.model.records import clean_text
from tcrm.store.yamlio import (
    dump_fast,
    dump_pyyaml,
    dump_rt,
    edit_text,
    load_fast,
    load_rt,
    merge_into,
)

pytestmark = pytest.mark.slow  # Hypothesis explores many generated cases

keys = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_lowercase),
    st.text(alphabet=string.ascii_lowercase + "_", max_size=7),
)
"""``[a-z][a-z_]{0,7}``, the same strings ``st.from_regex`` of it gives, in half the time."""


def data_of(text: st.SearchStrategy[str]) -> st.SearchStrategy[dict]:
    scalar = st.one_of(text, st.booleans(), st.integers(0, 10**9))
    value = st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3),
            st.dictionaries(keys, inner, min_size=1, max_size=3),
        ),
        max_leaves=8,
    )
    return st.dictionaries(keys, value, min_size=1, max_size=6)


def as_read(value):
    """What the dialect reads back: numbers are text; true/false stay booleans."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: as_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_read(v) for v in value]
    return value


def rt_dump(data: dict) -> str:
    doc = CommentedMap()
    merge_into(doc, data, frozenset(data))
    return dump_rt(doc)


# Any text a record can hold: records clean line breaks and control characters on write.
any_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20).map(
    clean_text
)
# What people type: words, punctuation, accents, emoji, multi-line notes.
_line = st.text(
    st.sampled_from(
        string.ascii_letters + string.digits + " .,:;-_@#'\"!?/()&+*" + "éüßçñ€😀🔥中文"
    ),
    max_size=30,
)
typed_text = st.one_of(
    _line.map(str.strip),
    st.lists(_line, min_size=2, max_size=4).map(lambda lines: "\n".join(lines).strip()),
).map(clean_text)


@settings(max_examples=200, deadline=None)
@given(data_of(any_text))
def test_any_text_reads_back_the_same_through_both_engines(data) -> None:
    for text in (dump_fast(data), rt_dump(data)):
        assert load_fast(text) == as_read(data)
        assert load_rt(text) == as_read(data)


@settings(max_examples=200, deadline=None)
@given(data_of(typed_text))
def test_fast_and_round_trip_engines_write_the_same_bytes(data) -> None:
    fast = dump_fast(data)
    assert rt_dump(data) == fast
    assert edit_text(fast, data, frozenset(data)) == fast


# Keys and values of every shape a mapping can hold, record-like or not: the small emitter
# writes some, PyYAML the rest; the bytes must not tell which.
odd_keys = st.one_of(keys, st.sampled_from(["true", "Null", "a b", "x-y", "é", "1a", "_k"]))
odd_text = st.one_of(
    any_text,
    typed_text,
    st.sampled_from(["", " ", "yes", "NO", "~", "a: b", "a:", "- a", "#a", "@a", "x" * 1200]),
)
odd_scalar = st.one_of(odd_text, st.booleans(), st.integers(-(10**12), 10**12), st.none())
odd_value = st.recursive(
    odd_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(odd_keys, inner, max_size=3)
    ),
    max_leaves=10,
)


RECORD_TEXTS = [
    *("plain words", "Müller & Söhne GmbH", "true", "NULL", "yes: no", "ends with colon:"),
    *("# not a comment", "- not a list", "@handle", "'quoted'", " leading space", "tab\there"),
    *("https://www.example.com/a?b=c", "+49 30 1234 5678", "2026-11-23T09:00+01:00", ""),
    *("Jo's (new) site, v2", "two\nlines", "emoji 🚀"),
]


# The shapes records have, which the small emitter writes itself (unless a text is odd).
record_scalar = st.one_of(odd_text, st.sampled_from(RECORD_TEXTS), st.booleans(), st.integers())
record_list = st.lists(record_scalar, max_size=3)
record_item = st.dictionaries(keys, st.one_of(record_scalar, record_list), min_size=1, max_size=3)
record_shaped = st.dictionaries(
    keys, st.one_of(record_scalar, record_list, st.lists(record_item, max_size=3)), max_size=6
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(record_shaped, st.dictionaries(odd_keys, odd_value, max_size=6)))
def test_dump_fast_writes_what_pyyaml_writes(data) -> None:
    assert dump_fast(data) == dump_pyyaml(data)


@pytest.mark.parametrize("text", RECORD_TEXTS)
def test_dump_fast_writes_what_pyyaml_writes_for_a_record(text: str) -> None:
    data = {
        "name": text,
        "tags": [text, "x"],
        "contacts": [{"name": text, "emails": [text]}, {"name": "b", "role": text}],
        "cadence_days": 30,
    }
    assert dump_fast(data) == dump_pyyaml(data)


def test_dump_fast_writes_empty_lists_as_lists() -> None:
    assert dump_fast({"a": [], "b": [{"c": []}]}) == "a: []\nb:\n- c: []\n"
    assert load_fast(dump_fast({"a": []})) == {"a": []}


def test_ambiguous_scalars_stay_text() -> None:
    doc = load_fast(
        "country: NO\nzip: 01234\nphone: +49 30 1234\namount: 12000.50\n"
        "due: 2026-12-01\nn: 12\nflag: true\nnone: ~\nanswer: yes\n"
    )
    assert doc == {
        "country": "NO",
        "zip": "01234",
        "phone": "+49 30 1234",
        "amount": "12000.50",
        "due": "2026-12-01",
        "n": "12",
        "flag": True,
        "none": None,
        "answer": "yes",
    }
    # and they are written back plain, so a person reads what they wrote
    assert dump_fast(doc) == (
        "country: NO\nzip: 01234\nphone: +49 30 1234\namount: 12000.50\n"
        "due: 2026-12-01\nn: 12\nflag: true\nnone: null\nanswer: yes\n"
    )


def test_text_that_looks_like_a_boolean_is_quoted() -> None:
    assert dump_fast({"a": "true", "b": True}) == "a: 'true'\nb: true\n"
    assert load_fast(dump_fast({"a": "true"})) == {"a": "true"}


def test_multi_line_notes_are_literal_blocks() -> None:
    assert dump_fast({"notes": "first line\nsecond line\n"}) == (
        "notes: |\n  first line\n  second line\n"
    )


def test_emoji_is_written_as_itself() -> None:
    assert dump_fast({"summary": "hot lead 🔥"}) == "summary: hot lead 🔥\n"


def test_clean_text_normalises_line_breaks_and_drops_controls() -> None:
    assert clean_text("a\r\nb\rc\x85d\u2028e\x00f\tg  ") == "a\nb\nc\nd\nef\tg"
    assert clean_text("one line  ") == "one line  "


# --- load_fast builds plain data from libyaml's nodes: always what PyYAML's loader gives ---


def complete_load(text: str) -> object:
    """PyYAML's own safe constructor on the dialect: what load_fast must always answer."""
    import yaml

    from tcrm.store.yamlio import FastLoader

    return yaml.load(text, Loader=FastLoader)


def outcome(load, text: str) -> tuple[str, object]:
    try:
        return "data", load(text)
    except Exception as exc:  # the failure itself is what is compared
        return "error", str(exc)


def test_direct_build_agrees_with_the_loader_on_every_unusual_document() -> None:
    from tcrm.errors import ValidationError

    documents = [
        "",
        "# only a comment\n",
        "? [a, b]\n: complex key\n",
        "true: a boolean key\n~: a null key\n",
        "--- a\n--- b\n",  # two documents
        "a: [1, 2\n",  # a syntax error
        "title: NO\nzip: 01234\nphone: +49 30 1234\nwon: True\nnone: null\nempty:\n",
        "- just\n- a list\n",
        "plain text\n",
    ]
    for text in documents:
        kind, expected = outcome(complete_load, text)
        if kind == "data":
            assert repr(load_fast(text)) == repr(expected), text
        else:
            try:
                load_fast(text)
            except ValidationError:
                pass  # the loader's error, reported as a syntax problem as before
            else:
                raise AssertionError(f"load_fast accepted what the loader refuses: {text!r}")


def test_what_the_loader_would_take_but_a_record_may_not_hold_is_refused() -> None:
    """Anchors, aliases, tags, merge keys and a key twice (the loader: last wins) are
    refused, one line naming the line (tests/test_hostile_data.py has the rest)."""
    from tcrm.errors import ValidationError

    documents = {
        "a: &x [1, 2]\nb: *x\n": "1: anchors and aliases",
        "base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n": "1: anchors and aliases",
        "item:\n  <<: {x: 1}\n  y: 2\n": "2: merge keys (<<)",
        "n: !!int 5\nf: !!float 1.5\n": "1: tags",
        "s: !!str 5\nq: '5'\n": "1: tags",
        "a: 1\na: 2\n": "2: duplicate key 'a' (first on line 1)",
        "a: &r [*r]\n": "1: anchors and aliases",
    }
    for text, message in documents.items():
        try:
            load_fast(text, "f.yaml")
        except ValidationError as exc:
            assert str(exc).startswith(f"f.yaml:{message}"), (text, str(exc))
        else:
            raise AssertionError(f"load_fast accepted {text!r}")


@settings(max_examples=300, deadline=None)
@given(data_of(any_text), st.booleans())
def test_direct_build_agrees_with_the_loader_on_any_data(data, flow) -> None:
    import yaml

    from tcrm.store.yamlio import FastDumper

    for text in (dump_fast(data), yaml.dump(data, Dumper=FastDumper, default_flow_style=flow)):
        assert load_fast(text) == complete_load(text)


def test_round_trip_reads_in_threads_at_once_each_get_their_document() -> None:
    """The TUI reads files in worker threads (a screen's load beside a sync): each read
    gets its own document, as read alone (one shared ruamel reader mixed their parses
    up: ``'NoneType' object has no attribute 'anchor'``)."""
    import threading

    texts = [
        "\n".join(f"k{i}_{j}: [a{i}, {{b: {j}}}, 'c {i}']  # note" for j in range(40)) + "\n"
        for i in range(4)
    ]
    alone = [dump_rt(load_rt(t)) for t in texts]
    failed: list[str] = []
    start = threading.Barrier(len(texts))

    def read(i: int) -> None:
        start.wait()
        for _ in range(5):
            try:
                if dump_rt(load_rt(texts[i])) != alone[i]:
                    failed.append(f"{i}: another document")
            except Exception as exc:
                failed.append(f"{i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
