#!/usr/bin/env bash
# Proves the floors in pyproject.toml: installs every runtime dependency at the version
# constraints-min.txt pins (the lowest each range admits) in a fresh venv and runs the
# tests that exercise each library. Snapshot tests are left out: they compare Textual's
# exact rendering, which changes between releases by design.
#
#   bash scripts/check_min_versions.sh [VENV_DIR]     (default: a temporary directory)
#
# A floor is right when this passes and the release below it fails (see constraints-min.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
venv="${1:-$(mktemp -d)/venv-min}"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q -c constraints-min.txt -e ".[test]"
# The pins took: a resolver that silently picked another version would prove nothing.
"$venv/bin/python" - <<'EOF'
import re
from importlib.metadata import version

wrong = []
for line in open("constraints-min.txt", encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, pinned = re.split(r"==", line)
    if version(name) != pinned:
        wrong.append(f"{name}: {version(name)} installed, {pinned} pinned")
if wrong:
    raise SystemExit("constraints-min.txt not honoured: " + "; ".join(wrong))
EOF
# One or more modules per library: typer/rich (CLI, help), pydantic (models, schema),
# ruamel.yaml/PyYAML (dialect, store), dulwich (sync, real remotes), icalendar, vobject,
# openpyxl/defusedxml (xlsx), textual (pilot-driven TUI tests).
"$venv/bin/python" -m pytest -q -p no:cacheprovider -n 2 \
    tests/test_startup.py tests/test_cli_help.py tests/test_cli_tasks.py \
    tests/test_models.py tests/test_schema.py tests/test_yaml_dialect.py tests/test_store.py \
    tests/test_sync.py tests/test_remotes_real.py tests/test_history.py \
    tests/test_ics_export.py tests/test_import_vcard.py tests/test_xlsx.py \
    tests/test_tui_pilot.py tests/test_tui_gaps.py
