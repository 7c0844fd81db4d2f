"""Hostile data (issue 16, items 1, 2 and 8): a record from a teammate can never hang,
crash or take the whole CLI down.

Records arrive by hand edit or through ``tcrm sync``, so every one is untrusted input:
YAML anchors/aliases/tags/merge keys, absurd nesting or size, duplicate keys, dates and
amounts outside the accepted ranges. Each is refused with one line naming the file and
line; read commands skip the record; ``check`` reports it.
"""

from __future__ import annotations

import itertools
import os
import resource
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from clitools import assert_refused, commit_count, git, run, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcrm.errors import Problem, ValidationError
from tcrm.model import limits
from tcrm.model.records import Deal, Task
from tcrm.model.types import parse_amount, parse_offset
from tcrm.model.when import WhenError, parse_when
from tcrm.services.merging import merge_file
from tcrm.store import yamlio

pytestmark = pytest.mark.slow  # Hypothesis explores many generated cases

TASK = "title: Call Acme\nstatus: open\ndue: 2026-11-30\n"
DEAL = (
    "title: Big one\nclient: acme-logistics\npipeline: sales\nstage: lead\nstatus: open\n"
    "currency: EUR\n"
)
NOW = datetime(2026, 11, 23, 9, 0)

# The "billion laughs" of YAML: twelve lists of ten aliases to the one before, 10**12
# strings once expanded, padded to the 556 bytes of the report.
_LEVELS = "abcdefghijkl"
BOMB = "title: Bomb\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n" for p, c in itertools.pairwise(_LEVELS)
)
BOMB += "notes: " + "x" * (556 - 8 - len(BOMB)) + "\n"
ANCHORS = "anchors and aliases are not allowed in records"
TAGS = "tags are not allowed in records"
MEMORY_LIMIT = 1 << 30
"""1 GiB of address space for the command under test (a normal run needs a few hundred MB)."""


def put(root: Path, rel: str, text: str, commit: bool = True) -> None:
    """A record as a teammate's commit brings it (or a hand edit, when not committed)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"add {rel}")


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _limit_memory() -> None:  # runs in the child, before tcrm starts
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def tcrm_limited(root: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``tcrm ARGS`` in its own process with 1 GiB of memory at most and a time bound."""
    env = {**os.environ, "TCRM_WORKSPACE": str(root), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tcrm", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )


# --- item 1: anchors, aliases, tags, merge keys, depth and size --------------------------


def test_bomb_is_556_bytes() -> None:
    assert len(BOMB.encode()) == 556


@pytest.mark.parametrize(
    "args",
    [("task", "list", "--all", "--json"), ("check",), ("index", "rebuild")],
    ids=["read", "check", "index"],
)
def test_alias_bomb_is_refused_in_bounded_memory_and_time(sample_ws: Path, args) -> None:
    put(sample_ws, "tasks/bomb.yaml", BOMB)
    result = tcrm_limited(sample_ws, *args)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "MemoryError" not in result.stderr
    if args[0] == "check":
        assert result.returncode == 1
        assert f"tasks/bomb.yaml:2: {ANCHORS}" in result.stdout.splitlines()
    elif args[0] == "index":
        assert result.returncode == 0, result.stderr
        assert "1 unreadable" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert '"bomb"' not in result.stdout
        assert '"t2ejnwdx"' in result.stdout  # the other tasks are all there


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (TASK + "notes: &n hello\n", 4, ANCHORS),
        ("title: &t Call\nnotes: *t\n", 1, ANCHORS),
        (TASK + "clients: [*x]\n", 4, ANCHORS),  # an alias with no anchor at all
        (TASK + "notes: !!str hello\n", 4, TAGS),
        (TASK + "notes: !secret hello\n", 4, TAGS),
        ("!!map\n" + TASK, 1, TAGS),
        (TASK + "<<: {notes: merged}\n", 4, "merge keys (<<) are not allowed in records"),
        (
            TASK + "extra: " + "[" * 40 + "]" * 40 + "\n",
            4,
            f"nested deeper than {limits.MAX_DEPTH} levels",
        ),
        (TASK + "title: Twice\n", 4, "duplicate key 'title' (first on line 1)"),
    ],
    ids=["anchor", "anchor-alias", "alias", "std-tag", "own-tag", "doc-tag", "merge", "deep", "d"],
)
def test_check_reports_what_records_may_not_hold(
    sample_ws: Path, text: str, line: int, message: str
) -> None:
    put(sample_ws, "tasks/tbad0001.yaml", text)
    result = run("check")
    assert result.code == 1
    found = [x for x in result.out.splitlines() if x.startswith("tasks/tbad0001.yaml")]
    assert len(found) == 1, result.out
    assert found[0].startswith(f"tasks/tbad0001.yaml:{line}: {message}"), found[0]
    # read commands skip it; showing it is one line naming the file and line
    listed = run("task", "list", "--all", "--json")
    assert listed.code == 0 and "tbad0001" not in listed.out
    shown = run("task", "show", "tbad0001")
    assert shown.code != 0
    assert error_lines(shown.err) == [f"tcrm: error: {found[0]}"]


def test_a_record_over_the_size_bound_is_refused_before_it_is_read(sample_ws: Path) -> None:
    big = TASK + "notes: " + "x" * limits.MAX_RECORD_BYTES + "\n"
    put(sample_ws, "tasks/tbig0001.yaml", big)
    result = run("check")
    assert result.code == 1
    assert (
        f"tasks/tbig0001.yaml: larger than {limits.MAX_RECORD_BYTES:,} bytes, "
        "the most a record file may hold" in result.out.splitlines()
    )
    assert "tbig0001" not in run("task", "list", "--all", "--json").out


@pytest.mark.parametrize(
    "text",
    [
        "title: &t Call\nnotes: *t\n",
        TASK + "notes: !!str hello\n",
        TASK + "<<: {notes: merged}\n",
        TASK + "title: Twice\n",
        TASK + "x: " + "[" * 40 + "]" * 40 + "\n",
    ],
    ids=["alias", "tag", "merge", "dup", "deep"],
)
def test_every_loader_refuses_the_same_way(text: str) -> None:
    """The fast reader, the round-trip reader of edits, and the merge: one answer."""
    with pytest.raises(ValidationError) as fast:
        yamlio.load_fast(text, "tasks/t.yaml")
    with pytest.raises(ValidationError) as fast_bytes:
        yamlio.load_fast(text.encode(), "tasks/t.yaml")
    with pytest.raises(ValidationError) as rt:
        yamlio.load_rt(text, "tasks/t.yaml")
    with pytest.raises(ValidationError) as edit:
        yamlio.edit_text(text, {"title": "New"}, frozenset({"title"}), "tasks/t.yaml")
    assert fast.value.problems == fast_bytes.value.problems == rt.value.problems
    assert edit.value.problems == fast.value.problems
    merged = merge_file("tasks/t.yaml", TASK.encode(), TASK.encode(), text.encode())
    assert not merged.merged and merged.data == TASK.encode()
    assert str(fast.value.problems[0]) in (merged.note or "")


def test_sync_merge_of_an_alias_bomb_keeps_mine_at_once(tmp_path: Path) -> None:
    """A teammate's bomb reaches the merge driver: refused, mine kept, nothing expanded
    (in its own bounded process: on a reader that expands it, it would take the machine)."""
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    code = f"""
import pathlib
from tcrm.services.merging import merge_file
from tcrm.store import yamlio
from tcrm.errors import ValidationError
bomb = pathlib.Path({str(tmp_path / "bomb.yaml")!r}).read_bytes()
task = {TASK.encode()!r}
merged = merge_file("tasks/t.yaml", task, task, bomb)
assert not merged.merged and merged.data == task, merged
print(merged.note)
try:
    yamlio.load_fast(bomb, "tasks/bomb.yaml")
except ValidationError as exc:
    print(exc.problems)
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    note, problems = result.stdout.splitlines()
    assert ANCHORS in note
    assert problems == repr([Problem("tasks/bomb.yaml", 2, ANCHORS)])


def test_plain_records_and_text_with_yaml_indicators_still_read() -> None:
    """``&``, ``*`` and ``!`` inside text are text, not anchors, aliases or tags."""
    text = "title: Müller & Söhne!\nnotes: 5 * 3 = 15 & more!\ntags: [a&b, '*x']\n"
    assert yamlio.load_fast(text) == {
        "title": "Müller & Söhne!",
        "notes": "5 * 3 = 15 & more!",
        "tags": ["a&b", "*x"],
    }
    deep = "x: " + "[" * (limits.MAX_DEPTH - 1) + "]" * (limits.MAX_DEPTH - 1) + "\n"
    assert yamlio.load_fast(deep) is not None


# --- item 2: accepted ranges -------------------------------------------------------------


def test_task_add_refuses_a_due_date_outside_the_range(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("task", "add", "Ancient", "--due", "0001-01-01", "--remind", "1h")
    assert_refused(sample_ws, result, before, commits)
    assert "1900-2200" in result.err


@pytest.mark.parametrize("due", ["+99999999d", "+99999999mo", "+99999999w", "-99999999h"])
def test_task_add_refuses_a_relative_date_beyond_the_range(sample_ws: Path, due: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("task", "add", "Far away", "--due", due)
    assert_refused(sample_ws, result, before, commits)
    assert "1900-2200" in result.err


def test_task_add_refuses_a_reminder_beyond_the_range(sample_ws: Path) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("task", "add", "Soon", "--due", "2026-12-01", "--remind", "99999999999w")
    assert_refused(sample_ws, result, before, commits)


@pytest.mark.parametrize(
    "due",
    ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59+14:00", "1899-12-31"],
)
def test_a_hand_edited_due_date_outside_the_range_is_skipped_by_reads(
    sample_ws: Path, due: str
) -> None:
    text = f"title: Out of range\nstatus: open\ndue: {due}\nreminders:\n- 1d\n- 1h\n"
    put(sample_ws, "tasks/tfar0001.yaml", text)
    for args in (
        ("index", "rebuild"),
        ("task", "list", "--all"),
        ("today",),
        ("remind",),
        ("ics", "export"),
        ("ics", "export", "--todo", "--closed"),
        ("search", "range"),
    ):
        result = run(*args)
        assert result.code == 0, (args, result.err)
        assert "Out of range" not in result.out, args
    check = run("check")
    assert check.code == 1
    assert [x for x in check.out.splitlines() if x.startswith("tasks/tfar0001")] == [
        f"tasks/tfar0001.yaml:3: due: {due!r} is outside the accepted range (years 1900-2200)"
    ]


@pytest.mark.parametrize("amount", ["1" * 26, "1e999999999", "1E+16", "0.0000001", "-5", "nan"])
def test_a_hand_edited_absurd_amount_is_refused_and_skipped(sample_ws: Path, amount: str) -> None:
    put(sample_ws, "deals/absurd.yaml", DEAL + f"amount: {amount}\n")
    for args in (
        ("deal", "list"),
        ("pipeline",),
        ("report", "all", "--json"),
        ("report", "forecast"),
        ("client", "show", "acme-logistics"),
    ):
        result = run(*args)
        assert result.code == 0, (args, result.err)
        assert "Big one" not in result.out, args
    shown = run("deal", "show", "absurd")
    assert shown.code != 0
    assert len(error_lines(shown.err)) == 1
    assert shown.err.startswith("tcrm: error: deals/absurd.yaml:7: amount: ")
    check = run("check")
    assert check.code == 1
    assert [x for x in check.out.splitlines() if x.startswith("deals/absurd")] == [
        shown.err.strip().removeprefix("tcrm: error: ")
    ]


@pytest.mark.parametrize("amount", ["1" * 16, "12.1234567", "1e999999999"])
def test_deal_add_refuses_an_amount_outside_the_range(sample_ws: Path, amount: str) -> None:
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("deal", "add", "Huge", "--client", "acme-logistics", "--amount", amount)
    assert_refused(sample_ws, result, before, commits)


def test_ranges_are_the_models() -> None:
    """The bounds are inclusive, and the same for every date field and every amount."""
    ok = Task(title="t", due=date(1900, 1, 1), reminders=["366d"])
    assert ok.due == date(1900, 1, 1)
    Task(title="t", due="2200-12-31T23:59+14:00")
    for bad in ("1899-12-31", "2201-01-01", "1899-12-31T23:59"):
        with pytest.raises(ValueError, match="1900-2200"):
            Task(title="t", due=bad)
    with pytest.raises(ValueError, match="1900-2200"):
        Deal(title="d", client="c", pipeline="p", stage="s", close_date="9999-01-01")
    assert parse_amount("999999999999999.999999") == Decimal("999999999999999.999999")
    assert parse_amount("12.500000000") == Decimal("12.5")
    for bad in ("1000000000000000", "0.0000001", "1e16", "Infinity", "1" * 5000):
        with pytest.raises(ValueError, match="amount"):
            parse_amount(bad)
    assert parse_offset("366d").days == 366
    for bad in ("367d", "53w", "99999999999999999999w", "1" * 5000 + "m"):
        with pytest.raises(ValueError, match="reminder"):
            parse_offset(bad)
    with pytest.raises(WhenError, match="1900-2200"):
        parse_when("+99999999d", NOW)
    assert parse_when("2200-12-31", NOW) == date(2200, 12, 31)


def test_merge_refuses_a_value_outside_the_range_like_check() -> None:
    """A teammate's side bringing year 1 is recorded as a conflict; mine keeps its date."""
    base = TASK.encode()
    mine = (TASK + "priority: high\n").encode()
    theirs = TASK.replace("2026-11-30", "0001-01-01").encode()
    merged = merge_file("tasks/t.yaml", base, mine, theirs)
    data = yamlio.load_fast(merged.data)
    assert data["due"] == "2026-11-30"
    assert [c.field for c in merged.conflicts] == ["due"]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("USD: 0.86", "USD: 1e999999999", "rates.USD"),
        ("target: 20", "target: 1" + "0" * 25, "goals"),
    ],
)
def test_settings_numbers_are_held_to_the_amount_range(sample_ws: Path, old, new, field) -> None:
    settings = sample_ws / "tcrm.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(n for n, x in enumerate(settings.read_text().splitlines(), 1) if new in x)
    check = run("check")
    assert check.code == 1
    assert check.out.startswith(f"tcrm.yaml:{line}: {field}"), check.out
    assert "outside the accepted range of amounts" in check.out
    report = run("report", "forecast", "--currency", "EUR")
    assert report.code != 0 and len(error_lines(report.err)) == 1


# --- item 8: duplicate keys (above), file modes, CSV cells -------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_record_files_follow_the_umask(sample_ws: Path, umask: int, mode: int) -> None:
    """git checks files out by the umask; tcrm's writes (new, edited, many at once) too."""
    old = os.umask(umask)
    try:
        added = run("task", "add", "Mode check", "--due", "2026-12-01")
        assert added.code == 0, added.err
        task_id = added.out.strip().splitlines()[-1]
        path = sample_ws / "tasks" / f"{task_id}.yaml"
        assert path.stat().st_mode & 0o777 == mode
        assert run("task", "edit", task_id, "--set", "priority=high").code == 0
        assert path.stat().st_mode & 0o777 == mode
        rows = "name\n" + "".join(f"Umask Client {n}\n" for n in range(70))
        (sample_ws.parent / "many.csv").write_text(rows, encoding="utf-8")
        imported = run("import", "csv", sample_ws.parent / "many.csv")
        assert imported.code == 0, imported.err
        made = sample_ws / "clients" / "umask-client-42.yaml"
        assert made.stat().st_mode & 0o777 == mode
    finally:
        os.umask(old)


def test_export_csv_of_a_long_text_imports_again(sample_ws: Path, tmp_path: Path) -> None:
    """A note of 300,000 characters (over csv's default 131,072) goes out and comes back."""
    notes = ("lorem ipsum " * 25_000).strip()
    put(sample_ws, "clients/longnotes.yaml", f"name: Long Notes Ltd\nnotes: {notes}\n")
    out = tmp_path / "clients.csv"
    assert run("export", "csv", "-o", out).code == 0
    git(sample_ws, "rm", "-q", "clients/longnotes.yaml")
    git(sample_ws, "commit", "-q", "-m", "gone")
    imported = run("import", "csv", out)  # the others are there: skipped as duplicates
    assert imported.code == 0, imported.err
    assert "Imported 1 client" in imported.err
    back = yamlio.load_fast((sample_ws / "clients" / "longnotes.yaml").read_text())
    assert back["notes"] == notes


def test_a_cell_over_the_limit_is_one_line_even_under_a_memory_limit(
    sample_ws: Path, tmp_path: Path
) -> None:
    """A 200 MB cell: one line naming the file and row, no MemoryError, nothing written."""
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("name,notes\nSmall Co,fine\nHuge Co,")
        chunk = "x" * 1_000_000
        for _ in range(200):
            handle.write(chunk)
        handle.write("\n")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = tcrm_limited(sample_ws, "import", "csv", str(big))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert error_lines(result.stderr) == [
        f"tcrm: error: big.csv: row 3 has a cell of more than {limits.MAX_CSV_CELL:,} "
        "characters, the most a record can hold"
    ]
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


@pytest.mark.parametrize("args", [("check",), ("task", "list", "--all", "--json")])
def test_a_huge_record_file_is_never_read_whole(sample_ws: Path, args) -> None:
    """A 4 GiB file (sparse: no disk used) in tasks/: refused from its first MiB, within
    1 GiB of memory, instead of read whole."""
    with (sample_ws / "tasks" / "thuge001.yaml").open("wb") as handle:
        handle.truncate(4 << 30)
    result = tcrm_limited(sample_ws, *args)
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    if args == ("check",):
        assert result.returncode == 1
        assert "tasks/thuge001.yaml: larger than 1,048,576 bytes" in result.stdout
    else:
        assert result.returncode == 0 and '"t2ejnwdx"' in result.stdout


# --- fuzz: random documents and random field values through every reader ----------------

FUZZ_ENV = "TCRM_FUZZ_INNER"
_WEIRD = [
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59+14:00",
    "1899-12-31T23:59",
    "2200-12-31T23:59-12:00",
    "1900-01-01",
    "2026-02-30",
    "1e999999999",
    "1" * 26,
    "-0",
    "NaN",
    "Infinity",
    "+99999999d",
    "99999999999w",
    "366d",
    "0m",
    "FREQ=DAILY;COUNT=99999999",
    "FREQ=SECONDLY",
    "Europe/Berlin",
    "Not/AZone",
    "\x1b[2J",
    "",
    "~",
    "<<",
    "&a",
    "*a",
    "!!str",
]
_SCALARS = st.one_of(
    st.sampled_from(_WEIRD),
    st.text(max_size=20),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = [
    *("status", "due", "timezone", "duration", "reminders", "repeat", "priority"),
    *("assignee", "clients", "deals", "created", "completed", "conflicts", "series", "notes"),
    *("client", "pipeline", "stage", "amount", "currency", "probability", "close_date"),
    *("closed", "lost_reason", "stage_history", "contacts", "owner", "tags"),
]
_RECORDS = st.fixed_dictionaries(
    {"title": st.sampled_from(["Fuzz", "", "x" * 3])},
    optional=dict.fromkeys(_FIELDS, _VALUES),
).map(lambda data: yamlio.dump_pyyaml(data))
_DOCUMENTS = st.text(
    alphabet=st.sampled_from(list("abc019-:,[]{}&*!<>|'\"#%@?~ \n\t")), max_size=120
).map(lambda text: "title: Fuzz\n" + text)


_INNER = (f"{__file__}::test_fuzz_inner", "-n", "0")


@pytest.mark.skipif(not os.environ.get(FUZZ_ENV), reason="run by test_fuzz, bounded")
@settings(
    max_examples=int(os.environ.get(FUZZ_ENV) or 1),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(_RECORDS, _DOCUMENTS), folder=st.sampled_from(["tasks", "deals"]))
def test_fuzz_inner(sample_ws: Path, text: str, folder: str) -> None:
    """One random file: every reader answers with data or one line, never a traceback."""
    rel = f"{folder}/fuzz0001.yaml"
    (sample_ws / rel).write_text(text, encoding="utf-8")
    try:
        yamlio.load_fast(text, rel)
    except ValidationError as exc:
        assert exc.problems and all(p.path == rel for p in exc.problems)
    for args in (
        ("check",),
        ("index", "status"),
        ("task", "list", "--all", "--json"),
        ("deal", "show", "fuzz0001") if folder == "deals" else ("task", "show", "fuzz0001"),
        ("today",),
        ("pipeline",),
        ("ics", "export", "--todo", "--closed"),
    ):
        result = run(*args)  # raises on an uncaught exception; asserts no traceback
        assert result.code in (0, 1, 2), (args, result)
        if result.code:
            assert len(error_lines(result.err)) >= 1


def test_fuzz(tmp_path: Path) -> None:
    """The fuzz run in its own process: at most 1 GiB of memory and 300 s, or it fails."""
    tmp = f"--basetemp={tmp_path}"
    env = {**os.environ, FUZZ_ENV: "6", "PYTHONPATH": str(Path(__file__).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *_INNER, tmp],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=_limit_memory,
        check=False,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    ("kind", "header", "row"),
    [
        ("tasks", "title,due", "Ancient,0001-01-01"),
        ("tasks", "title,due", "Far,31.12.9999"),
        ("deals", "title,client,amount", "Huge,acme-logistics," + "9" * 20),
    ],
)
def test_import_refuses_values_outside_the_range(
    sample_ws: Path, tmp_path: Path, kind: str, header: str, row: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"{header}\n{row}\n", encoding="utf-8")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", "-t", kind, source)
    assert result.code != 0
    assert "row 2" in result.err and "outside the accepted range" in result.err, result.err
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits
