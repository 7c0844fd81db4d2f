"""``tcrm check``: silent-ish when all is well, ``path:line: message`` for every problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import git, run_tcrm
from tests.clitools import run as cli

ACME = "name: Acme\ntype: company\nstatus: active\n"
WEBSITE = "title: Website\nclient: acme\npipeline: sales\nstage: lead\nstatus: open\n"
BROKEN = "name: Broken Ltd\ntype: company\ntags: [vip, smb\nwebsite: https://broken.example\n"
BAD_STAGE = "title: Bad stage\nclient: acme\npipeline: sales\nstage: closing\n"
ORPHAN = "title: Orphan\nclient: ghost\npipeline: sales\nstage: lead\n"
BAD_AMOUNT = (
    "title: Bad amount\nclient: acme\npipeline: sales\nstage: lead\nstatus: open\n"
    "amount: abc\ncurrency: EUR\n"
)


def line_of(text: str, start: str) -> int:
    """The 1-based number of the first line of ``text`` starting with ``start``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def valid_ws(workspace):
    """A workspace with one client and one deal of it, committed."""
    write(workspace.root, "clients/acme.yaml", ACME)
    write(workspace.root, "deals/acme-website.yaml", WEBSITE)
    git(workspace.root, "add", "-A")
    git(workspace.root, "commit", "-q", "-m", "records")
    return workspace


@pytest.fixture
def broken_ws(valid_ws):
    root = valid_ws.root
    write(root, "clients/broken.yaml", BROKEN)
    write(root, "deals/bad-stage.yaml", BAD_STAGE)
    write(root, "deals/orphan.yaml", ORPHAN)
    write(root, "deals/bad-amount.yaml", BAD_AMOUNT)
    return valid_ws


EXPECTED_PREFIXES = [
    # the line of the unclosed bracket, not the next one where the parser gave up
    f"clients/broken.yaml:{line_of(BROKEN, 'tags: [')}: invalid YAML: ",
    f"deals/bad-amount.yaml:{line_of(BAD_AMOUNT, 'amount:')}: amount: 'abc' is not an amount",
    f"deals/bad-stage.yaml:{line_of(BAD_STAGE, 'stage:')}: stage: unknown stage 'closing'",
    f"deals/orphan.yaml:{line_of(ORPHAN, 'client:')}: client: unknown client 'ghost'",
]


def test_a_new_workspace_checks_ok(workspace) -> None:
    result = cli("-w", workspace.root, "check")
    assert result.code == 0
    assert result.out == ""
    assert result.err == "ok: no records\n"


def test_a_valid_workspace_checks_ok_with_a_one_line_summary(valid_ws) -> None:
    result = cli("-w", valid_ws.root, "check")
    assert result.code == 0
    assert result.out == ""
    assert result.err.splitlines() == ["ok: 1 client, 1 deal"]


def test_every_problem_is_listed_as_path_line_message(broken_ws) -> None:
    result = cli("-w", broken_ws.root, "check")
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == len(EXPECTED_PREFIXES), result.out
    for line, prefix in zip(lines, EXPECTED_PREFIXES, strict=True):
        assert line.startswith(prefix), (line, prefix)
    assert lines[0].endswith("in the [...] list that starts here")  # the bracket's line
    assert "(lead, qualified, proposal, negotiation)" in lines[2]  # names what exists
    assert result.err.splitlines() == ["4 problem(s)"]


def test_check_changes_nothing(broken_ws) -> None:
    root = broken_ws.root
    head = git(root, "rev-parse", "HEAD")
    status = git(root, "status", "--porcelain")
    cli("-w", root, "check")
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == status
    assert (root / "deals" / "bad-amount.yaml").read_text(encoding="utf-8") == BAD_AMOUNT


def test_check_json_parses_and_names_each_problem(broken_ws) -> None:
    result = cli("-w", broken_ws.root, "check", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["ok"] is False
    assert report["counts"] == {"client": 1, "deal": 3}  # the files that parsed
    located = [(p["path"], p["line"]) for p in report["problems"]]
    assert located == [
        ("clients/broken.yaml", 3),
        ("deals/bad-amount.yaml", 6),
        ("deals/bad-stage.yaml", 4),
        ("deals/orphan.yaml", 2),
    ]
    for problem, prefix in zip(report["problems"], EXPECTED_PREFIXES, strict=True):
        assert f"{problem['path']}:{problem['line']}: {problem['message']}".startswith(prefix)


def test_check_json_on_a_valid_workspace(valid_ws) -> None:
    result = cli("-w", valid_ws.root, "check", "--json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "ok": True,
        "counts": {"client": 1, "deal": 1},
        "problems": [],
        "warnings": [],
    }


def test_check_as_a_separate_process(broken_ws) -> None:
    result = run_tcrm("-w", str(broken_ws.root), "check")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED_PREFIXES)
    for line, prefix in zip(lines, EXPECTED_PREFIXES, strict=True):
        assert line.startswith(prefix)
    piped = run_tcrm("-w", str(broken_ws.root), "check", "--json")
    assert [p["line"] for p in json.loads(piped.stdout)["problems"]] == [3, 6, 4, 2]


def test_bad_settings_timezone_is_located_in_tcrm_yaml(workspace) -> None:
    path = workspace.root / "tcrm.yaml"
    text = path.read_text(encoding="utf-8").replace("timezone: UTC", "timezone: Mars/Olympus")
    path.write_text(text, encoding="utf-8")
    result = cli("-w", workspace.root, "check")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"tcrm.yaml:{line_of(text, 'timezone:')}: timezone: 'Mars/Olympus' is not an IANA "
        "time zone (e.g. Europe/Berlin, America/New_York, UTC)"
    ]


def test_newer_settings_version_says_to_upgrade(workspace) -> None:
    path = workspace.root / "tcrm.yaml"
    text = path.read_text(encoding="utf-8").replace("version: 1", "version: 2")
    path.write_text(text, encoding="utf-8")
    result = cli("-w", workspace.root, "check")
    assert result.code == 1
    [line] = result.out.splitlines()
    assert line.startswith(f"tcrm.yaml:{line_of(text, 'version:')}: version: ")
    assert line.endswith("upgrade tcrm")


def test_broken_settings_yaml_is_located(workspace) -> None:
    path = workspace.root / "tcrm.yaml"
    text = path.read_text(encoding="utf-8").replace("currency: EUR", "currency: 'EUR")
    path.write_text(text, encoding="utf-8")
    result = cli("-w", workspace.root, "check")
    assert result.code == 1
    [line] = result.out.splitlines()
    assert line.startswith(f"tcrm.yaml:{line_of(text, 'currency:')}: invalid YAML: ")


def test_a_misspelt_field_is_pointed_out(valid_ws) -> None:
    root = valid_ws.root
    # an optional field that is unset, spelt nearly like its name: a typo
    client = "name: Typo Ltd\ntype: company\nnotse: call back\nfavourite_colour: blue\n"
    write(root, "clients/typo.yaml", client)
    # a required field misspelt: the deal lacks it, and the misspelt key is the reason
    deal = "title: Typo deal\nclient: acme\npipeline: sales\nstgae: lead\n"
    write(root, "deals/typo.yaml", deal)
    # a custom field next to a set field of a similar name is left alone
    write(root, "clients/custom.yaml", "name: Custom\nstatus: active\nstatuss: gold\n")
    result = cli("-w", root, "check")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"clients/typo.yaml:{line_of(client, 'notse:')}: notse: unknown field 'notse': "
        "did you mean 'notes'?",
        f"deals/typo.yaml:{line_of(deal, 'stgae:')}: stgae: unknown field 'stgae': "
        "did you mean 'stage'? (it is required)",
    ]


def test_reference_list_values_and_ids_are_checked(valid_ws) -> None:
    root = valid_ws.root
    text = "name: Tv Co\ntype: company\nsource: tv\ntags:\n- vip\n- shiny\n"
    write(root, "clients/tv-co.yaml", text)
    write(root, "clients/Bad Name.yaml", "name: Bad\n")
    result = cli("-w", root, "check")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("clients/Bad Name.yaml:1: id: ")
    assert "'Bad Name' is not a valid id" in lines[0]
    assert lines[1].startswith(f"clients/tv-co.yaml:{line_of(text, 'source:')}: source: 'tv' ")
    assert lines[2].startswith("clients/tv-co.yaml:6: tags[1]: 'shiny' is not one of the tags")
    assert len(lines) == 3


def test_check_outside_a_workspace_is_one_line_error(tmp_path) -> None:
    (tmp_path / "plain").mkdir()
    result = cli("-w", tmp_path / "plain", "check")
    assert result.code == 1
    assert result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("tcrm: error: ")
    assert "is not a tcrm workspace" in line


def test_a_big_workspace_is_checked_on_every_core_with_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    """From 4,000 files on, chunks of files are checked in forked processes; the report
    (problems, their order, the counts) is the one a single process makes."""
    from tcrm.devtools.generate import write_generated_workspace
    from tcrm.services.check import check_workspace
    from tcrm.store import parallel
    from tcrm.store.workspace import Workspace

    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Ann Tester")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ann@example.com")
    root = tmp_path / "ws"
    write_generated_workspace(root, clients=500, deals=1000, tasks=2000, activities=1000)
    write(root, "clients/broken.yaml", BROKEN)
    write(root, "deals/orphan.yaml", ORPHAN)
    write(root, "deals/bad-stage.yaml", BAD_STAGE)
    write(root, "tasks/tzz-typo.yaml", "title: A typo\nntoes: by hand\n")
    shared = check_workspace(Workspace(root))
    assert pools == [1]
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10**9)
    alone = check_workspace(Workspace(root))
    assert pools == [1]
    assert shared.problems == alone.problems
    assert (
        shared.counts
        == alone.counts
        == {
            "client": 500,
            "deal": 1002,
            "task": 2001,
            "activity": 1000,
        }
    )
    messages = [f"{p.path}: {p.message}" for p in shared.problems]
    assert any(m.startswith("clients/broken.yaml") for m in messages)
    assert any("ghost" in m for m in messages if m.startswith("deals/orphan.yaml"))
    assert any("ntoes" in m for m in messages if m.startswith("tasks/tzz-typo.yaml"))
