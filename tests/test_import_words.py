"""The import's refusals name its options as the command line spells them (issue 24).

The import services name fields as data (``Field("map_value")``); these hold the words
a user reads to what they were when the services wrote the options themselves: the real
CLI on a real workspace, every refusal one line, nothing written, no commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clitools import assert_refused, commit_count, git, run, snapshot


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--map", "nonsense"],
            "--map 'nonsense': write HEADER=FIELD, e.g. --map \"Company Name=name\"",
        ),
        (["--map", "Company=nmae"], "--map 'Company=nmae': client has no field 'nmae'; did you"),
        (
            ["--map", "Nope=name"],
            "--map names column 'nope', which the file lacks (columns: Company, Title)",
        ),
        (
            ["--type", "activities"],
            "no column gives the activity's at (e.g. Date); "
            'name one with --map "HEADER=at" (columns: Company, Title)',
        ),
        (["--on-duplicate", "merge"], "--on-duplicate 'merge': one of skip, update, create"),
        (["--new-values", "guess"], "--new-values 'guess': one of reject, add, drop, map"),
        (
            ["--map-value", "bad"],
            "--map-value 'bad': write LIST:VALUE=LISTED, "
            'e.g. --map-value "source:Organic search=website"',
        ),
        (["--map-value", "colour:x=y"], "--map-value 'colour:x=y': no list 'colour' (lists: "),
        (
            ["--type", "tasks", "--map", "Company=title", "--map-value", "source:x=y"],
            "--map-value source:...: a task has no source (its lists: ",
        ),
    ],
)
def test_each_refusal_names_the_option(
    sample_ws: Path, tmp_path: Path, args: list[str], line: str
) -> None:
    path = write(tmp_path / "c.csv", "Company,Title\nNova Labs,Shop\n")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", str(path), *args)
    assert_refused(sample_ws, result, before, commits)
    assert result.err.startswith(f"tcrm: error: {line}"), result.err
    assert result.err.count("\n") == 1, result.err


def test_adding_values_to_a_hand_edited_settings_file_is_refused(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "c.csv", "Company,Source\nNova Labs,Carrier pigeon\n")
    settings = sample_ws / "tcrm.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", str(path), "--new-values", "add")
    assert_refused(sample_ws, result, before, commits)
    assert result.err == (
        "tcrm: error: tcrm.yaml has changes not committed, which --new-values add would "
        "commit with the import; commit or undo them first (git diff tcrm.yaml)\n"
    )


def test_a_mapping_for_another_type_names_the_type_option(sample_ws: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "Company,Title\nNova Labs,Shop\n")
    assert run("import", "csv", str(path), "--save-mapping", "weekly").code == 0, "saved"
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", str(path), "--mapping", "weekly", "--type", "deals")
    assert_refused(sample_ws, result, before, commits)
    assert result.err == (
        "tcrm: error: mapping is for clients, not deals: drop --type or use another mapping\n"
    )
    header = (sample_ws / "imports" / "weekly.yaml").read_text(encoding="utf-8").splitlines()
    assert header[:2] == [
        "# How tcrm reads a recurring import: `tcrm import csv FILE --mapping weekly`.",
        "# Written by --save-mapping; edit by hand if you like (see docs/import.md).",
    ]
    assert "weekly.yaml" in git(sample_ws, "log", "-1", "--name-only")


@pytest.mark.parametrize(
    ("text", "args", "words"),
    [
        (  # a date in no known shape: the way to read it is an option to type
            "Title,Due\nCall back,31.12.2026x\n",
            ["--type", "tasks"],
            "for others give --date-format, e.g. --date-format %m/%d/%Y)",
        ),
        (  # a stage that needs fields the file lacks: overridden with --force
            "Deal Name,Company,Stage\nBig one,Acme Logistics,proposal\n",
            ["--type", "deals"],
            "(add the column, or import anyway with --force)",
        ),
        (  # a contact without a name: worded as the cell's problem, no option in it
            "Company,Contacts\nNova Labs,jane@nova.example\n",
            [],
            "'jane@nova.example' has no name; "
            'write "Jane Doe <jane@nova.example>" or just a name',
        ),
    ],
)
def test_a_rows_problem_words_its_hint(
    sample_ws: Path, tmp_path: Path, text: str, args: list[str], words: str
) -> None:
    path = write(tmp_path / "rows.csv", text)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", str(path), *args)
    assert result.code != 0
    assert (snapshot(sample_ws), commit_count(sample_ws)) == (before, commits)
    assert words in result.err, result.err
    assert "--contact" not in result.err
