"""Any headers and cells (files come from outside): tool detection and a tool's reading
of the values never fail, keep every data row and every cell position; merged header
ranges of any shape give one header per column."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tcrm.io.xlsxio import _spread, _two_row_header
from tcrm.services import import_vendors
from tcrm.services.imports import Source, SourceRow, header_key

KNOWN = sorted(
    {key for v in import_vendors.vendors() for group in v.detect for key in group}
    | {"Deal Stage", "Labels", "Birthday", "Confidential Information - Do Not Distribute"}
)
texts = st.one_of(st.sampled_from(KNOWN), st.text(max_size=20))


@settings(max_examples=200, deadline=None)
@given(
    headers=st.lists(texts, min_size=1, max_size=8),
    rows=st.lists(st.lists(st.one_of(texts, st.just("0/0/00")), max_size=10), max_size=6),
)
def test_detect_and_prepare_take_any_file(headers: list[str], rows: list[list[str]]) -> None:
    width = len(headers)
    source = Source(
        "x.csv",
        headers,
        [SourceRow(i + 2, (r + [""] * width)[:width]) for i, r in enumerate(rows)],
    )
    vendor = import_vendors.detect(headers)
    if vendor is None:
        return
    out = vendor.prepare(source)
    assert out.headers == headers
    kept = {r.number for r in out.rows}
    for row in source.rows:
        if row.number not in kept:  # only a footer: first cell a footer text, others empty
            first = row.values[0]
            assert isinstance(first, str) and any(
                header_key(first).startswith(f) for f in vendor.footer
            )
    assert all(len(r.values) == width for r in out.rows)
    columns = vendor.columns("client", headers) | vendor.columns("deal", headers)
    assert set(columns) <= {header_key(h) for h in headers}


merges = st.lists(
    st.tuples(st.integers(1, 8), st.integers(1, 2), st.integers(0, 4), st.integers(0, 1)).map(
        lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3])
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    top=st.lists(st.text(max_size=5), min_size=1, max_size=8),
    second=st.lists(st.text(max_size=5), max_size=12),
    ranges=merges,
)
def test_merged_header_ranges_of_any_shape(
    top: list[str], second: list[str], ranges: list[tuple[int, int, int, int]]
) -> None:
    spread = _spread(top, 1, ranges)
    assert len(spread) >= len(top)
    assert spread[: len(top)][0] == top[0]
    under = _two_row_header(second, ranges)
    if under is not None:
        assert all(not t.strip() for i, t in enumerate(second, 1) if i not in under)
