#!/usr/bin/env bash
# Proves the floors in pyproject.toml: installs every runtime dependency at the version
# constraints-min.txt pins (the lowest each range admits) in a fresh venv and runs the
# tests that exercise exactly what each floor is for, plus a short end-to-end smoke.
# .ci/run runs it beside the main suite (about a minute on 2 cores, install included).
#
#   bash scripts/check_min_versions.sh [VENV_DIR]     (default: a temporary directory)
#
# A floor is right when this passes and the release below it fails (see constraints-min.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
venv="${1:-$scratch/venv-min}"
rm -rf "$venv"
SECONDS=0

# A venv without ensurepip's pip and setuptools (the slow part of making one), given a
# current pip: it reads the big index pages (pydantic-core, hypothesis) several times
# faster than the pip Python 3.11 bundles.
python3 -m venv --without-pip "$venv"
if ! python3 -m pip --python "$venv/bin/python" install -q --no-compile pip 2>/dev/null; then
    # no pip beside python3 (or one older than --python): the venv's own, then upgraded
    "$venv/bin/python" -m ensurepip >/dev/null
    "$venv/bin/python" -m pip install -q --no-compile -U pip
fi

# What is installed: the runtime dependencies exactly as pyproject.toml declares them, held
# to their floors by constraints-min.txt, and the test runner at the versions CI uses
# (constraints.txt), with hypothesis and jsonschema, which test modules below import. Not the
# whole [test] extra: mypy, ruff and the snapshot plugin prove nothing here. tcrm itself runs from the checkout (PYTHONPATH): no wheel to build, and
# no build backend to fetch.
mapfile -t deps < <(python3 -c 'import tomllib; [print(d) for d in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]]')
tools=(pytest pytest-xdist hypothesis jsonschema)
grep -iE '^(pytest|pytest-xdist|execnet|iniconfig|pluggy|packaging|hypothesis|sortedcontainers|attrs|jsonschema|jsonschema-specifications|referencing|rpds-py)==' \
    constraints.txt >"$scratch/constraints-tools.txt"
"$venv/bin/pip" install -q --no-compile -c constraints-min.txt -c "$scratch/constraints-tools.txt" \
    "${deps[@]}" "${tools[@]}"
installed=$SECONDS

# The pins took (a resolver that silently picked another version would prove nothing),
# and every floor in pyproject.toml is pinned, at exactly that version.
"$venv/bin/python" - <<'EOF'
import re
import tomllib
from importlib.metadata import version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pins = {}
for line in open("constraints-min.txt", encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, pinned = re.split(r"==", line)
        pins[canonicalize_name(name)] = pinned
wrong = [
    f"{name}: {version(name)} installed, {pinned} pinned"
    for name, pinned in pins.items()
    if Version(version(name)) != Version(pinned)
]
for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    req = Requirement(dep)
    floors = [s.version for s in req.specifier if s.operator == ">="]
    pinned = pins.get(canonicalize_name(req.name))
    if floors and (pinned is None or Version(pinned) != Version(floors[0])):
        wrong.append(f"{req.name}: pyproject.toml's floor is {floors[0]}, pinned {pinned}")
if wrong:
    raise SystemExit("constraints-min.txt not honoured: " + "; ".join(wrong))
EOF

# Each floor's own test (the API constraints-min.txt names), then the smoke. Node ids, not
# whole modules: the modules' other tests use the same APIs again. A skipped test proves
# nothing, so skips are listed (-rs): the ssh test needs sshd (.ci/run installs it).
tests=(
    # typer 0.29 (TyperOption.display_type) and rich: every group's --help rendered
    "tests/test_cli_help.py::test_no_short_help_is_cut_mid_sentence[80]"
    # pydantic 2.11: the JSON schema schema/ holds, and the models' validation
    tests/test_schema.py::test_committed_schema_matches_the_models
    tests/test_schema.py::test_schema_rejects_what_the_models_reject
    tests/test_models.py
    # ruamel.yaml (round-trip edits keep comments) and PyYAML (the C loader and dumper)
    tests/test_yaml_dialect.py::test_dump_fast_writes_what_pyyaml_writes_for_a_record
    tests/test_yaml_dialect.py::test_ambiguous_scalars_stay_text
    tests/test_yaml_dialect.py::test_direct_build_agrees_with_the_loader_on_every_unusual_document
    tests/test_yaml_dialect.py::test_what_the_loader_would_take_but_a_record_may_not_hold_is_refused
    tests/test_store.py::test_editing_one_field_changes_only_its_line
    tests/test_cli_deals.py::test_move_keeps_hand_comments_and_changes_only_its_lines
    # dulwich 1.2.20: ssh's own refusal reaches the error (a real sshd); commits
    # (Repo.object_format), smart HTTP, history, a sync over a local bare remote
    tests/test_remotes_real.py::test_ssh_without_a_key_the_server_accepts_is_one_line
    tests/test_remotes_real.py::test_a_wrong_http_password_is_one_line_and_changes_nothing
    tests/test_store.py::test_a_transaction_makes_exactly_one_commit
    tests/test_store.py::test_a_refused_commit_puts_every_file_back
    tests/test_history.py::test_history_of_a_deal_lists_each_stage_change_with_author_and_date
    tests/test_sync.py::test_two_clones_adding_acme_both_survive
    # icalendar 6.1 (Timezone.from_tzid: the VTIMEZONEs of the export), read back by vobject
    tests/test_ics_export.py::test_sample_calendar_reads_back_in_icalendar_and_vobject
    tests/test_ics_export.py::test_own_tasks_around_dst_changes_in_two_zones
    # vobject 0.9.8: vCard import and the export read back by it
    tests/test_import_vcard.py::test_must_show_folded_cards_of_one_company_import_as_one_client_with_its_people
    tests/test_import_vcard.py::test_must_show_export_vcard_reads_back_in_an_independent_parser
    # openpyxl 3.1 and defusedxml 0.7: workbooks read (typed cells, formulas' saved values)
    # and written
    tests/test_xlsx.py::test_must_show_dates_and_amounts_as_excel_stores_them
    tests/test_xlsx.py::test_must_show_a_formula_column_is_read_as_its_saved_value
    tests/test_xlsx.py::test_export_types_cells_freezes_the_header_and_never_writes_a_formula
    # textual 8.0: App.get_screen_stack(mode) (every mode's data screens), Footer(compact=)
    # on every screen, a form's compact Buttons and Inputs, a command's commit
    tests/test_tui_pilot.py::test_a_reload_marks_the_data_screens_of_every_mode_shown
    tests/test_tui_pilot.py::test_a_duplicate_client_is_refused_in_the_form
    tests/test_tui_pilot.py::test_done_completes_the_task_in_one_commit
    # smoke, end to end through the CLI: add, list, move, log, import csv
    tests/test_cli_tasks.py::test_add_prints_the_id_and_commits_once
    tests/test_cli_tasks.py::test_list_default_is_open_tasks_overdue_first_undated_last
    tests/test_cli_deals.py::test_move_records_history_and_creates_stage_tasks_in_one_commit
    tests/test_cli_log.py::test_log_next_creates_the_follow_up_task_in_the_same_commit
    tests/test_import_csv.py::test_must_show_bom_semicolons_multiline_note_amount_and_duplicate_rows
)
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" \
    "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider -n 2 "${tests[@]}"
echo "min-versions: floors proven in ${SECONDS}s (install ${installed}s, tests $((SECONDS - installed))s)"
