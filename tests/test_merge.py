"""The record-aware three-way merge: pure data (properties), one file, and whole trees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcrm.model.merge import (
    CONFLICTS_KEY,
    canonical,
    diff_fields,
    get_path,
    merge_lines,
    merge_record,
    parse_path,
    path_text,
    set_path,
)
from tcrm.model.records import Deal
from tcrm.services.merging import kind_of, merge_file, merge_trees
from tcrm.store import yamlio

pytestmark = pytest.mark.slow  # Hypothesis explores many generated cases

# --- strategies: record-like plain data, as load_fast returns it ------------------------

text = st.text(alphabet="abcdefxyz -", min_size=1, max_size=6).map(str.strip).filter(bool)
scalar = st.one_of(text, st.booleans(), st.none())
contact = st.fixed_dictionaries(
    {"name": st.sampled_from(["Jo", "Al", "Mia", "Sam"])},
    optional={
        "role": text,
        "emails": st.lists(
            st.sampled_from(["jo@x.com", "al@x.com", "mia@y.org"]), max_size=2, unique=True
        ),
    },
)
history_entry = st.fixed_dictionaries(
    {
        "at": st.sampled_from(
            ["2026-01-01T10:00+01:00", "2026-01-02T09:00+01:00", "2026-01-03T08:00Z"]
        ),
        "stage": st.sampled_from(["lead", "qualified", "proposal"]),
    }
)


def contact_key(item: dict[str, Any]) -> str:
    emails = item.get("emails") or []
    return emails[0] if emails else item["name"].casefold()


records = st.fixed_dictionaries(
    {},
    optional={
        "title": text,
        "stage": st.sampled_from(["lead", "qualified", "proposal", "negotiation"]),
        "amount": st.sampled_from(["100", "2500.50", "12000"]),
        "notes": scalar,
        "tags": st.lists(st.sampled_from(["vip", "smb", "enterprise", "app"]), unique=True),
        "contacts": st.lists(contact, max_size=3, unique_by=contact_key),
        "stage_history": st.lists(
            history_entry, max_size=3, unique_by=lambda e: (e["at"], e["stage"])
        ),
        "custom": st.dictionaries(st.sampled_from(["a", "b", "c"]), scalar, max_size=3),
    },
)


def edited(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A version of ``base`` with some fields changed, added or removed."""
    return st.tuples(records, st.sets(st.sampled_from(sorted(base) or ["title"]))).map(
        lambda pair: {
            **{k: v for k, v in base.items() if k not in pair[1]},
            **{k: v for k, v in pair[0].items() if k in pair[1] or k not in base},
        }
    )


@st.composite
def _triples(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A base and two edited versions of it: what ``records.flatmap`` gave, drawn in one
    composite (less of Hypothesis's machinery per example)."""
    base = draw(records)
    versions = edited(base)
    return base, draw(versions), draw(versions)


triples = _triples()
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def without_nulls(value: Any) -> Any:
    """``key: null`` is no key, for the models and for a diff."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


def by_identity(value: Any) -> Any:
    """What a diff compares: no null keys, and items of lists of mappings in any order
    (they are matched by identity; moving one is no change)."""
    value = without_nulls(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return sorted(canonical(without_nulls(v)) for v in value)
    return value


def norm(value: Any) -> Any:
    """Order-insensitive form: sides may order union items and keys differently (and a
    null key is no key)."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return sorted(canonical(norm(v)) for v in value)
    return value


# --- properties ----------------------------------------------------------------------------


@FAST
@given(triples)
def test_only_my_changes_give_mine(triple) -> None:
    base, mine, _ = triple
    result = merge_record(base, mine, base)
    assert result.data == mine and result.conflicts == []


@FAST
@given(triples)
def test_only_their_changes_give_theirs(triple) -> None:
    base, _, theirs = triple
    result = merge_record(base, base, theirs)
    assert result.data == theirs and result.conflicts == []


@FAST
@given(triples)
def test_the_same_change_on_both_sides_is_not_a_conflict(triple) -> None:
    base, mine, _ = triple
    result = merge_record(base, mine, mine)
    assert result.data == mine and result.conflicts == []


@FAST
@given(triples)
def test_changes_to_different_fields_both_land(triple) -> None:
    base, mine, theirs = triple
    mine_fields = {
        k for k in set(base) | set(mine) if canonical(base.get(k)) != canonical(mine.get(k))
    }
    theirs_only = {
        k: theirs.get(k)
        for k in set(base) | set(theirs)
        if k not in mine_fields and canonical(base.get(k)) != canonical(theirs.get(k))
    }
    disjoint_theirs = {**{k: v for k, v in base.items() if k not in theirs_only}, **theirs_only}
    disjoint_theirs = {k: v for k, v in disjoint_theirs.items() if v is not None or k in theirs}
    result = merge_record(base, mine, disjoint_theirs)
    assert result.conflicts == []
    for key in mine_fields:
        assert canonical(result.data.get(key)) == canonical(mine.get(key))
    for key, value in theirs_only.items():
        assert canonical(result.data.get(key)) == canonical(
            value if key in disjoint_theirs else None
        )


@FAST
@given(triples)
def test_merge_is_symmetric_up_to_the_side_of_conflicts(triple) -> None:
    base, mine, theirs = triple
    one, other = merge_record(base, mine, theirs), merge_record(base, theirs, mine)

    def key(c: Any) -> str:
        """A corrected history entry's conflict is named after the entry the record keeps
        (mine), so across sides it is the same conflict by the entry both corrected."""
        return (
            f"stage_history~{canonical(c.base)}"
            if c.field.startswith("stage_history[")
            else c.field
        )

    assert sorted(key(c) for c in one.conflicts) == sorted(key(c) for c in other.conflicts)
    swapped = {key(c): (c.theirs, c.mine) for c in other.conflicts}
    assert {key(c): (c.mine, c.theirs) for c in one.conflicts} == swapped
    conflicted = {parse_path(c.field)[0] for c in one.conflicts}
    if conflicted & {"stage", "status"}:
        conflicted.add("stage_history")  # the history follows the side its stage keeps
    for key in (set(one.data) | set(other.data)) - conflicted - {CONFLICTS_KEY}:
        assert norm({key: one.data.get(key)}) == norm({key: other.data.get(key)}), key


@FAST
@given(triples)
def test_nothing_is_lost_a_conflict_keeps_both_values(triple) -> None:
    base, mine, theirs = triple
    result = merge_record(base, mine, theirs)
    for conflict in result.conflicts:
        path = parse_path(conflict.field)
        assert canonical(get_path(result.data, path)) == canonical(conflict.mine)
        if conflict.field.startswith("stage_history["):  # both corrected one entry
            assert conflict.theirs in theirs["stage_history"]
            continue
        assert canonical(conflict.theirs) == canonical(get_path(theirs, path))
    recorded = result.data.get(CONFLICTS_KEY, [])
    assert [e["field"] for e in recorded] == [c.field for c in result.conflicts]


@FAST
@given(triples)
def test_stage_history_keeps_every_move_in_time_order(triple) -> None:
    base, mine, theirs = triple
    if "stage_history" not in mine or "stage_history" not in theirs:
        return  # a side that removed the whole list conflicts with one that changed it
    histories = [side.get("stage_history", []) for side in (base, mine, theirs)]
    if len({canonical(h) for h in histories}) < 3:
        return  # a side left it alone, or both agree: that list, exactly (other properties)
    result = merge_record(base, mine, theirs)
    merged = result.data.get("stage_history", [])
    removed = [e for e in histories[0] if e not in histories[1] or e not in histories[2]]
    added = [e for h in histories[1:] for e in h if e not in histories[0]]
    kept = [e for e in histories[0] if e not in removed]
    set_aside = [  # in a conflict entry: a correction, or the moves of either side's
        canonical(e)  # stage while the stage conflict is open (kept there, not lost)
        for c in result.conflicts
        for e in [
            c.theirs,
            *(c.extra or {}).get("theirs_history", []),
            *(c.extra or {}).get("mine_history", []),
        ]
    ]
    for entry in kept + added:
        same_move_earlier = any(
            (m["stage"], m.get("status")) == (entry["stage"], entry.get("status"))
            and datetime.fromisoformat(m["at"]) <= datetime.fromisoformat(entry["at"])
            for m in merged
        )
        assert entry in merged or canonical(entry) in set_aside or same_move_earlier, entry
    assert all(e in kept + added for e in merged)
    moments = [datetime.fromisoformat(e["at"]) for e in merged]
    assert moments == sorted(moments)


@FAST
@given(triples)
def test_diff_of_a_version_with_itself_is_empty_and_sees_every_changed_field(triple) -> None:
    base, mine, _ = triple
    assert diff_fields(mine, mine) == []
    changed = {parse_path(c.field)[0] for c in diff_fields(base, mine)}
    expected = {
        k
        for k in set(base) | set(mine)
        if canonical(by_identity(base.get(k))) != canonical(by_identity(mine.get(k)))
    }
    assert changed == expected


# --- examples --------------------------------------------------------------------------------


BASE = {
    "title": "Website",
    "client": "acme",
    "pipeline": "sales",
    "stage": "lead",
    "tags": ["smb"],
    "contacts": ["Jo"],
    "stage_history": [{"at": "2026-11-02T10:00+01:00", "stage": "lead"}],
}


def test_different_fields_of_the_same_deal_merge_cleanly() -> None:
    mine = {**BASE, "stage": "qualified"}
    theirs = {**BASE, "amount": "12000"}
    result = merge_record(BASE, mine, theirs)
    assert result.clean
    assert result.data["stage"] == "qualified" and result.data["amount"] == "12000"


def test_the_same_field_changed_differently_keeps_mine_and_records_the_conflict() -> None:
    result = merge_record(BASE, {**BASE, "stage": "qualified"}, {**BASE, "stage": "proposal"})
    assert result.data["stage"] == "qualified"
    assert result.data[CONFLICTS_KEY] == [
        {"field": "stage", "mine": "qualified", "theirs": "proposal", "base": "lead"}
    ]
    assert next(iter(result.data)) == CONFLICTS_KEY  # first key, as in the models
    Deal.model_validate({**result.data, "id": "acme-website"})  # still a valid deal


def test_tags_merge_as_a_set_union_less_removals() -> None:
    result = merge_record(
        {"tags": ["a", "b", "c"]}, {"tags": ["a", "c", "d"]}, {"tags": ["b", "c", "e", "a"]}
    )
    assert result.data["tags"] == ["a", "c", "d", "e"]  # b removed by mine, d and e added
    assert result.clean


def test_contacts_merge_by_email_then_name() -> None:
    base = {"contacts": [{"name": "Jo", "emails": ["jo@x.com"]}, {"name": "Al"}]}
    mine = {"contacts": [{"name": "Jo Doe", "emails": ["JO@x.com"]}, {"name": "Al", "role": "CEO"}]}
    theirs = {
        "contacts": [
            {"name": "Jo", "emails": ["jo@x.com"], "phones": ["+49 30 1"]},
            {"name": "al"},
            {"name": "Mia"},
        ]
    }
    theirs["contacts"][1] = {"name": "Al"}
    result = merge_record(base, mine, theirs)
    assert result.clean
    assert result.data["contacts"] == [
        {"name": "Jo Doe", "emails": ["JO@x.com"], "phones": ["+49 30 1"]},
        {"name": "Al", "role": "CEO"},
        {"name": "Mia"},
    ]


def test_a_contact_edited_here_and_removed_there_is_a_conflict_that_keeps_it() -> None:
    base = {"contacts": [{"name": "Jo", "emails": ["jo@x.com"]}]}
    mine = {"contacts": [{"name": "Jo", "emails": ["jo@x.com"], "role": "CTO"}]}
    result = merge_record(base, mine, {"contacts": []})
    assert result.data["contacts"] == mine["contacts"]
    [conflict] = result.conflicts
    assert conflict.field == "contacts[jo@x.com]" and conflict.theirs is None


def test_stage_history_is_a_union_sorted_by_time_whatever_the_offset() -> None:
    mine = {
        **BASE,
        "stage_history": [
            *BASE["stage_history"],
            {"at": "2026-11-05T10:00+01:00", "stage": "proposal"},
        ],
    }
    theirs = {
        **BASE,
        "stage_history": [
            *BASE["stage_history"],
            {"at": "2026-11-04T08:00Z", "stage": "qualified"},
        ],
    }
    result = merge_record(BASE, mine, theirs)
    assert [e["stage"] for e in result.data["stage_history"]] == ["lead", "qualified", "proposal"]


def test_created_on_both_sides_without_a_base_merges_equal_fields_and_conflicts_the_rest() -> None:
    result = merge_record(
        None, {"name": "Acme", "status": "lead"}, {"name": "Acme", "website": "a.com"}
    )
    assert result.clean
    assert result.data == {"name": "Acme", "status": "lead", "website": "a.com"}


def test_recorded_conflicts_merge_as_a_set_and_a_resolution_on_one_side_sticks() -> None:
    conflict = {"field": "stage", "mine": "a", "theirs": "b"}
    base = {"stage": "a", CONFLICTS_KEY: [conflict]}
    resolved = {"stage": "b"}  # one side resolved (took theirs)
    other = {"stage": "a", CONFLICTS_KEY: [conflict], "notes": "x"}
    result = merge_record(base, other, resolved)
    assert CONFLICTS_KEY not in result.data
    assert result.data == {"stage": "b", "notes": "x"}


def test_a_new_conflict_on_a_field_replaces_the_older_one() -> None:
    base = {"stage": "a", CONFLICTS_KEY: [{"field": "stage", "mine": "a", "theirs": "z"}]}
    result = merge_record(base, {**base, "stage": "b"}, {**base, "stage": "c"})
    assert result.data[CONFLICTS_KEY] == [
        {"field": "stage", "mine": "b", "theirs": "c", "base": "a"}
    ]


def test_paths_round_trip_and_set_values() -> None:
    path = parse_path("contacts[jo@x.com].role")
    assert path == ["contacts", ("contacts", "jo@x.com"), "role"]
    assert path_text(tuple(path)) == "contacts[jo@x.com].role"
    data = {"contacts": [{"name": "Jo", "emails": ["jo@x.com"]}]}
    set_path(data, path, "CTO")
    assert get_path(data, path) == "CTO"
    set_path(data, ["contacts", ("contacts", "jo@x.com")], None)
    assert data == {"contacts": []}
    set_path(data, ["custom", "a"], "1")
    assert data["custom"] == {"a": "1"}
    with pytest.raises(ValueError):
        parse_path("")


def test_line_merge_takes_separate_edits_and_refuses_overlapping_ones() -> None:
    base = ["a\n", "b\n", "c\n", "d\n", "e\n"]
    assert merge_lines(base, ["A\n", *base[1:]], [*base[:4], "E\n"]) == [
        "A\n",
        "b\n",
        "c\n",
        "d\n",
        "E\n",
    ]
    assert merge_lines(base, ["A\n", *base[1:]], ["Z\n", *base[1:]]) is None
    assert merge_lines(base, ["A\n", *base[1:]], ["A\n", *base[1:]]) == ["A\n", *base[1:]]


# --- one file: comments survive, the model stays valid ----------------------------------------

DEAL_BASE = """\
# The big one. Keep Jo in the loop.
title: Website
client: acme
pipeline: sales
stage: lead   # moved by hand
status: open
budget_code: X-1  # our own field
"""


def test_a_record_file_merges_onto_my_text_keeping_comments_and_custom_keys() -> None:
    mine = DEAL_BASE.replace("stage: lead", "stage: qualified")
    theirs = DEAL_BASE.replace("status: open\n", "status: open\namount: 12000\n")
    result = merge_file(
        "deals/acme-website.yaml", DEAL_BASE.encode(), mine.encode(), theirs.encode()
    )
    text = result.data.decode()
    assert result.merged and result.conflicts == []
    assert "# The big one. Keep Jo in the loop.\n" in text
    assert "stage: qualified   # moved by hand\n" in text
    assert "budget_code: X-1  # our own field\n" in text
    assert yamlio.load_fast(text)["amount"] == "12000"
    assert text.index("status:") < text.index("amount:") < text.index("budget_code:")


def test_a_conflict_in_a_file_is_valid_yaml_and_a_valid_record() -> None:
    mine = DEAL_BASE.replace("stage: lead", "stage: qualified")
    theirs = DEAL_BASE.replace("stage: lead", "stage: proposal")
    result = merge_file(
        "deals/acme-website.yaml", DEAL_BASE.encode(), mine.encode(), theirs.encode()
    )
    text = result.data.decode()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    data = yamlio.load_fast(text)
    deal = Deal.model_validate({**data, "id": "acme-website"})
    assert deal.stage == "qualified"
    assert [c.model_dump(exclude_none=True) for c in deal.conflicts] == [
        {"field": "stage", "mine": "qualified", "theirs": "proposal", "base": "lead"}
    ]


def test_a_field_merge_that_breaks_the_model_keeps_mine_and_records_their_changes() -> None:
    base = "title: W\nclient: acme\npipeline: sales\nstage: lead\namount: 10\n"
    mine = base.replace("amount: 10\n", "status: won\namount: 10\nclosed: 2026-11-20\n")
    theirs = base.replace("amount: 10\n", "")  # removing the amount of a won deal breaks it
    result = merge_file("deals/w.yaml", base.encode(), mine.encode(), theirs.encode())
    data = yamlio.load_fast(result.data)
    assert data["status"] == "won" and data["amount"] == "10"
    assert [c.field for c in result.conflicts] == ["amount"]
    Deal.model_validate({**data, "id": "w"})


def test_an_unparsable_side_keeps_mine_and_says_so() -> None:
    result = merge_file("deals/w.yaml", b"title: a\n", b"title: b\n", b"title: [unclosed\n")
    assert not result.merged and result.data == b"title: b\n"
    assert "could not merge" in (result.note or "")


def test_kind_of_paths() -> None:
    assert kind_of("clients/acme.yaml") == "client"
    assert kind_of("activities/2026/a1.yaml") == "activity"
    assert kind_of("activities/a1.yaml") is None
    assert kind_of("tcrm.yaml") == "settings"
    assert kind_of("kb/faq.md") is None


# --- whole trees --------------------------------------------------------------------------


class Blobs:
    """``{path: text}`` trees for merge_trees, blob ids being the text itself."""

    def tree(self, files: dict[str, str]) -> dict[str, str]:
        return dict(files)

    @staticmethod
    def read(blob: str) -> bytes:
        return blob.encode()


def test_same_id_created_on_both_sides_keeps_theirs_and_moves_ours_with_its_references() -> None:
    ours = {
        "clients/acme.yaml": "name: Acme\nstatus: lead\n",
        "deals/acme-web.yaml": "title: Web\nclient: acme\npipeline: sales\nstage: lead\n",
        "tasks/t1.yaml": "title: Call\nclients:\n- acme\n- beta\n",
        "clients/beta.yaml": "name: Beta\n",
    }
    theirs = {
        "clients/acme.yaml": "name: Acme\nwebsite: acme.com\n",
        "clients/beta.yaml": "name: Beta\n",
    }
    base = {"clients/beta.yaml": "name: Beta\n"}
    merged = merge_trees(base, ours, theirs, Blobs.read)
    assert merged.renames == [("clients/acme.yaml", "clients/acme-2.yaml")]
    assert merged.writes["clients/acme.yaml"] == theirs["clients/acme.yaml"].encode()
    assert merged.writes["clients/acme-2.yaml"] == ours["clients/acme.yaml"].encode()
    assert yamlio.load_fast(merged.writes["deals/acme-web.yaml"])["client"] == "acme-2"
    assert yamlio.load_fast(merged.writes["tasks/t1.yaml"])["clients"] == ["acme-2", "beta"]
    assert any("acme-2" in note for note in merged.notes)


def test_deleted_on_one_side_and_changed_on_the_other_is_kept() -> None:
    base = {"tasks/t1.yaml": "title: Call\n", "tasks/t2.yaml": "title: Mail\n"}
    ours = {"tasks/t2.yaml": "title: Mail Jo\n"}  # t1 deleted here, t2 changed here
    theirs = {"tasks/t1.yaml": "title: Call Jo\n"}  # t1 changed there, t2 deleted there
    merged = merge_trees(base, ours, theirs, Blobs.read)
    assert merged.writes == {"tasks/t1.yaml": b"title: Call Jo\n"}  # t2 stays as ours
    assert len(merged.notes) == 2


def test_a_kb_page_changed_on_the_same_lines_keeps_mine_and_saves_theirs_beside_it() -> None:
    base = {"kb/faq.md": "# FAQ\nQ: price?\n"}
    merged = merge_trees(
        base, {"kb/faq.md": "# FAQ\nQ: cost?\n"}, {"kb/faq.md": "# FAQ\nQ: fee?\n"}, Blobs.read
    )
    assert merged.writes == {"kb/faq.theirs.md": b"# FAQ\nQ: fee?\n"}
    assert any("kb/faq.theirs.md" in note for note in merged.notes)
