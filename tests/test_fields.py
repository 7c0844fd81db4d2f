"""Custom fields (issue 19): typed keys declared in tcrm.yaml ``fields:``, stored as
top-level keys of the record file, usable wherever a built-in field is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tcrm.services.setup import init_workspace
from tests.clitools import IDENTITY_ENV, commit_count, git, load, snapshot
from tests.clitools import run as cli

pytestmark = pytest.mark.xdist_group("fields")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

NOW = "2026-11-23T09:00:00+01:00"

FIELDS = """\
fields:
  client:
    industry: {type: choice, choices: [logistics, retail, health], label: Industry}
    employees: {type: number, label: Employees}
    revenue: {type: money}
    since: {type: date, label: Customer since}
    partner: {type: bool}
    channels: {type: multi, choices: [web, phone, shop]}
    manager: {type: member}
    parent: {type: ref}
    vat: {type: text, label: VAT number}
  deal:
    competitor: {type: text, required_in_stages: [negotiation]}
"""


@pytest.fixture(scope="module")
def _fields_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh workspace whose tcrm.yaml declares one custom field of each type, with
    three clients: made once per module by ``tcrm init`` and the CLI; tests get copies."""
    root = tmp_path_factory.mktemp("fields-template") / "ws"
    with pytest.MonkeyPatch.context() as patch:
        for var, value in IDENTITY_ENV.items():
            patch.setenv(var, value)
        init_workspace(root, name="Test Co")
        settings = root / "tcrm.yaml"
        settings.write_text(settings.read_text() + FIELDS)
        git(root, "commit", "-qam", "declare custom fields")
        patch.setenv("TCRM_WORKSPACE", str(root))
        patch.setenv("TCRM_NOW", NOW)
        for name in ("Acme", "Bolt", "Corner Shop"):
            assert cli("client", "add", name).code == 0
    return root


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _fields_template: Path) -> Path:
    """A copy of the template: a workspace of its own for each test."""
    root = tmp_path / "ws"
    shutil.copytree(_fields_template, root, symlinks=True)
    monkeypatch.setenv("TCRM_WORKSPACE", str(root))
    monkeypatch.setenv("TCRM_NOW", NOW)
    return root


def test_edit_set_writes_a_declared_field_as_a_top_level_key(ws: Path) -> None:
    """Before custom fields, ``--set industry=retail`` said "client has no field"."""
    before = commit_count(ws)
    result = cli("client", "edit", "acme", "--set", "industry=retail")
    assert result.code == 0, result.err
    assert load(ws, "clients/acme.yaml")["industry"] == "retail"
    assert commit_count(ws) == before + 1
    assert "industry" in git(ws, "show", "--stat", "--format=%s", "HEAD")


def _set(ref: str, *assignments: str) -> None:
    args = [a for text in assignments for a in ("--set", text)]
    result = cli("client", "edit", ref, *args)
    assert result.code == 0, result.err


def _ids(*args: str) -> list[str]:
    result = cli(*args, "--json")
    assert result.code == 0, result.err
    return sorted(item["id"] for item in json.loads(result.out))


@pytest.mark.parametrize(
    ("assignment", "stored"),
    [
        ("industry=Retail", "retail"),  # any case in, the list's spelling out
        ("employees=1,200", "1200"),
        ("revenue=12,000.50", "12000.50"),
        ("since=01/02/2026", "2026-02-01"),  # date_order DMY, as --due reads it
        ("since=+3d", "2026-11-26"),  # relative to the (faked) clock
        ("partner=yes", True),
        ("channels=web,shop", ["web", "shop"]),
        ("manager=ann", "ann"),
        ("parent=bolt", "bolt"),
        ("vat=DE 123 456", "DE 123 456"),
    ],
)
def test_set_parses_each_type(ws: Path, assignment: str, stored: object) -> None:
    root = ws
    settings = root / "tcrm.yaml"
    if "manager" in assignment:
        settings.write_text(
            settings.read_text().replace("team: []", "team:\n- id: ann\n  name: Ann\n")
        )
        git(root, "commit", "-qam", "team")
    _set("acme", assignment)
    name = assignment.split("=")[0]
    assert load(root, "clients/acme.yaml")[name] == stored
    assert cli("check").code == 0


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("industry=mining", "'mining' is not one of the choices (logistics, retail, health)"),
        ("employees=many", "'many' is not a number"),
        ("revenue=-5", "an amount cannot be negative"),
        ("since=31/02/2026", "does not fit date_order DMY"),
        ("partner=maybe", "'maybe' is not yes or no"),
        ("channels=web,fax", "'fax' is not one of the choices (web, phone, shop)"),
        ("parent=nobody", "unknown client 'nobody'"),
        ("industry+=retail", "industry is not a list"),
    ],
)
def test_set_refuses_a_bad_value_naming_the_field(ws: Path, assignment: str, message: str) -> None:
    before = snapshot(ws)
    commits = commit_count(ws)
    result = cli("client", "edit", "acme", "--set", assignment)
    assert result.code != 0
    assert message in result.err
    assert assignment.split("=")[0].rstrip("+") in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert snapshot(ws) == before
    assert commit_count(ws) == commits


def test_member_field_must_name_a_team_member(ws: Path) -> None:
    settings = ws / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("team: []", "team:\n- id: ann\n  name: Ann\n"))
    git(ws, "commit", "-qam", "team")
    result = cli("client", "edit", "acme", "--set", "manager=zed")
    assert result.code != 0
    assert "manager" in result.err and "'zed' is not a team member (ann)" in result.err


def test_multi_adds_and_removes_items_and_unset_removes_the_key(ws: Path) -> None:
    _set("acme", "channels=web")
    _set("acme", "channels+=phone,web")
    assert load(ws, "clients/acme.yaml")["channels"] == ["web", "phone"]
    _set("acme", "channels-=web")
    assert load(ws, "clients/acme.yaml")["channels"] == ["phone"]
    _set("acme", "channels=")
    assert "channels" not in load(ws, "clients/acme.yaml")


def test_add_sets_custom_fields_and_refuses_a_built_in_one(ws: Path) -> None:
    result = cli("client", "add", "Delta", "--set", "industry=health", "--set", "employees=7")
    assert result.code == 0, result.err
    data = load(ws, "clients/delta.yaml")
    assert (data["industry"], data["employees"]) == ("health", "7")
    refused = cli("client", "add", "Echo", "--set", "source=web")
    assert refused.code != 0 and "'source' is not a custom client field" in refused.err
    assert not (ws / "clients/echo.yaml").exists()
    deal = cli("deal", "add", "Site", "--client", "acme", "--set", "competitor=Globex")
    assert deal.code == 0, deal.err
    assert load(ws, f"deals/{deal.out.strip()}.yaml")["competitor"] == "Globex"


def test_filters_compare_each_type(ws: Path) -> None:
    _set("acme", "industry=logistics", "employees=120", "since=2025-01-10", "partner=true")
    _set("acme", "channels=web,phone", "revenue=900000", "vat=DE1")
    _set("bolt", "industry=retail", "employees=40", "since=2026-06-01", "partner=no")
    _set("bolt", "channels=shop", "revenue=1000", "parent=acme")
    assert _ids("client", "list", "industry:retail") == ["bolt"]
    assert _ids("client", "list", "industry.not:retail") == ["acme", "corner-shop"]
    assert _ids("client", "list", "employees:>50") == ["acme"]
    assert _ids("client", "list", "employees.le:40") == ["bolt"]
    assert _ids("client", "list", "revenue.gt:5000") == ["acme"]
    assert _ids("client", "list", "since.before:2026-01-01") == ["acme"]
    assert _ids("client", "list", "since:>01/03/2026") == ["bolt"]  # DMY, as --due
    assert _ids("client", "list", "partner:true") == ["acme"]
    assert _ids("client", "list", "partner:false") == ["bolt"]
    assert _ids("client", "list", "channels:phone") == ["acme"]
    assert _ids("client", "list", "parent:acme") == ["bolt"]
    assert _ids("client", "list", "vat.has:de") == ["acme"]
    assert _ids("client", "list", "has:industry") == ["acme", "bolt"]
    assert _ids("client", "list", "no:industry") == ["corner-shop"]
    refused = cli("client", "list", "employees:>many")
    assert refused.code != 0 and "'many' is not a number" in refused.err


def test_where_and_bulk_update_use_custom_fields(ws: Path) -> None:
    _set("acme", "employees=120")
    _set("bolt", "employees=40")
    result = cli("client", "update", "--where", "employees>50", "--set", "industry=health")
    assert result.code == 0, result.err
    assert load(ws, "clients/acme.yaml")["industry"] == "health"
    assert "industry" not in load(ws, "clients/bolt.yaml")
    before = snapshot(ws)
    bad = cli("client", "update", "--where", "employees>0", "--set", "industry=mining")
    assert bad.code != 0 and "not one of the choices" in bad.err
    assert snapshot(ws) == before


def test_show_prints_labels_and_json_carries_the_stored_values(ws: Path) -> None:
    _set("acme", "industry=retail", "employees=1200", "since=2026-02-01", "partner=yes")
    _set("acme", "channels=web,phone", "vat=DE1")
    card = cli("client", "show", "acme")
    assert card.code == 0, card.err
    lines = card.out.splitlines()
    for expected in (
        "Industry:     retail",
        "Employees:    1200",
        "Customer since:2026-02-01",
        "partner:      yes",
        "channels:     web, phone",
        "VAT number:   DE1",
    ):
        assert expected in lines, card.out
    data = json.loads(cli("client", "show", "acme", "--json").out)["client"]
    assert {k: data[k] for k in ("industry", "employees", "since", "partner", "channels")} == {
        "industry": "retail",
        "employees": "1200",
        "since": "2026-02-01",
        "partner": True,
        "channels": ["web", "phone"],
    }
    listed = json.loads(cli("client", "list", "--json").out)
    assert next(c for c in listed if c["id"] == "acme")["industry"] == "retail"
    deal = cli("deal", "add", "Site", "--client", "acme", "--set", "competitor=Globex").out.strip()
    assert "competitor:   Globex" in cli("deal", "show", deal).out.splitlines()
    assert json.loads(cli("deal", "show", deal, "--json").out)["competitor"] == "Globex"


# --- check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("industry: mining", "'mining' is not one of the choices (logistics, retail, health)"),
        ("employees: lots", "'lots' is not a number"),
        ("revenue: 12.5.0", "is not an amount"),
        ("since: 01/02/2026", "is not a date (write YYYY-MM-DD)"),
        ("partner: maybe", "'maybe' is not true or false"),
        ("channels: [web, fax]", "'fax' is not one of the choices (web, phone, shop)"),
        ("channels: web", "is not a list of choices"),
        ("parent: nobody", "unknown client 'nobody'"),
        ("vat: [a, b]", "is not a single text value"),
    ],
)
def test_check_names_file_line_and_field_of_a_bad_value(ws: Path, line: str, message: str) -> None:
    path = ws / "clients/acme.yaml"
    text = path.read_text()
    path.write_text(text + line + "\n")
    number = len(text.splitlines()) + 1
    result = cli("check")
    assert result.code == 1
    name = line.split(":")[0]
    assert f"clients/acme.yaml:{number}: {name}: " in result.out + result.err
    assert message in result.out + result.err


def test_check_warns_which_records_hold_a_removed_or_renamed_field(ws: Path) -> None:
    _set("acme", "industry=retail")
    _set("bolt", "industry=health", "employees=3")
    settings = ws / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("    industry:", "    sector:"))
    git(ws, "commit", "-qam", "rename industry to sector")
    result = cli("check")
    assert result.code == 0, result.out + result.err
    warned = [line for line in result.err.splitlines() if "no longer declared" in line]
    assert len(warned) == 2, result.err
    assert all("'industry'" in line for line in warned)
    assert any(line.startswith("tcrm: warning: clients/acme.yaml:") for line in warned)
    assert any(line.startswith("tcrm: warning: clients/bolt.yaml:") for line in warned)
    assert "employees" not in result.err  # still declared


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("    size: {type: huge}", "fields.client.size.type: 'huge' is not allowed"),
        ("    size: {type: choice}", "fields.client.size: a choice field needs its choices"),
        ("    name: {type: text}", "fields.client.name: field 'name' is a built-in client field"),
        ("    Size: {type: text}", "field name 'Size': use lower-case letters"),
        (
            "    size: {type: text, required_in_stages: [nowhere]}",
            "required_in_stages names unknown stage 'nowhere'",
        ),
    ],
)
def test_an_invalid_definition_is_one_line_naming_tcrm_yaml(
    ws: Path, definition: str, message: str
) -> None:
    settings = ws / "tcrm.yaml"
    text = settings.read_text()
    if "required_in_stages" in definition:
        text = text.replace("  deal:\n", "  deal:\n" + definition + "\n")
        message = "fields.deal.size.required_in_stages names unknown stage 'nowhere'"
    else:
        text = text.replace("  client:\n", "  client:\n" + definition + "\n")
    settings.write_text(text)
    line = text.splitlines().index(definition) + 1
    result = cli("client", "list")
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert message in result.err
    if "required_in_stages" in definition:  # on the line of fields: (pydantic's location)
        line = text.splitlines().index("fields:") + 1
    assert f"tcrm.yaml:{line}:" in result.err


def test_required_in_stages_refuses_the_move_like_a_built_in_required_field(ws: Path) -> None:
    deal = cli(
        "deal", "add", "Site", "--client", "acme", "--amount", "100", "--close-date", "2027-01-01"
    ).out.strip()
    before = snapshot(ws)
    refused = cli("deal", "move", deal, "negotiation")
    assert refused.code != 0
    assert "needs competitor to enter stage negotiation" in refused.err
    assert "--set competitor=..." in refused.err
    assert snapshot(ws) == before
    assert cli("deal", "edit", deal, "--set", "competitor=Globex").code == 0
    moved = cli("deal", "move", deal, "negotiation")
    assert moved.code == 0, moved.err
    assert load(ws, f"deals/{deal}.yaml")["stage"] == "negotiation"
    direct = cli("deal", "add", "Other", "--client", "acme", "--stage", "negotiation")
    assert direct.code != 0 and "--set competitor=..." in direct.err
    assert not [p for p in (ws / "deals").glob("*.yaml") if "other" in p.name]


# --- schema ---------------------------------------------------------------------------


def _editor_view(path: Path) -> object:
    """The file as a YAML 1.2 editor (yaml-language-server) sees it."""
    from ruamel.yaml import YAML

    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if hasattr(value, "isoformat") else value

    return plain(YAML(typ="safe").load(path.read_text()))


def test_workspace_schema_knows_each_custom_field(ws: Path, tmp_path: Path) -> None:
    import jsonschema

    _set("acme", "industry=retail", "employees=120", "revenue=10.5", "since=2026-01-02")
    _set("acme", "partner=true", "channels=web", "parent=bolt", "vat=X")
    out = tmp_path / "client.schema.json"
    result = cli("schema", "client", "-o", out)
    assert result.code == 0, result.err
    schema = json.loads(out.read_text())
    assert json.loads(cli("schema", "client").out) == schema
    props = schema["properties"]
    assert props["industry"]["enum"] == ["logistics", "retail", "health"]
    assert props["industry"]["title"] == "Industry"
    assert props["partner"]["type"] == "boolean"
    assert props["channels"]["items"]["enum"] == ["web", "phone", "shop"]
    assert props["since"]["format"] == "date"
    record = _editor_view(ws / "clients/acme.yaml")
    jsonschema.validate(record, schema)
    for key, bad in (
        ("industry", "mining"),
        ("partner", "maybe"),
        ("channels", ["fax"]),
        ("employees", "lots"),
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**record, key: bad}, schema)  # type: ignore[dict-item]
    settings = json.loads(cli("schema", "settings").out)
    jsonschema.validate(_editor_view(ws / "tcrm.yaml"), settings)
    refused = cli("schema", "clients")
    assert refused.code != 0 and "unknown kind 'clients'" in refused.err


# --- reports --------------------------------------------------------------------------


def _deal(client: str, title: str, *moves: str) -> str:
    added = cli("deal", "add", title, "--client", client, "--amount", "1000")
    assert added.code == 0, added.err
    deal = added.out.strip()
    for move in moves:
        args = ("deal", move, deal) if move == "won" else ("deal", "move", deal, move)
        assert cli(*args).code == 0
    return deal


def test_report_funnel_by_a_client_field_counted_by_hand(ws: Path) -> None:
    """Stages lead, qualified, proposal, negotiation, then won; all moves this month.

    logistics (acme): one deal at proposal, one at lead -> lead 2, qualified 1 (50%),
    proposal 1 (100%), negotiation 0 (0%), won 0. retail (bolt): one won deal -> 1 at
    every step. (none) (corner-shop): one deal at lead -> lead 1, then 0s.
    """
    _set("acme", "industry=logistics")
    _set("bolt", "industry=retail")
    _deal("acme", "Portal", "qualified", "proposal")
    _deal("acme", "Care plan")
    _deal("bolt", "Shop", "qualified", "won")
    _deal("corner-shop", "Flyers")
    result = cli("report", "funnel", "--by", "industry", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["by"] == "industry"
    groups = {g["value"]: g for g in report["groups"]}
    assert list(groups) == ["logistics", "retail", "(none)"]  # choices order, none last

    def reached(value: str) -> list[int]:
        return [s["reached"] for s in groups[value]["steps"]]

    assert reached("logistics") == [2, 1, 1, 0, 0]
    assert [s["conversion"] for s in groups["logistics"]["steps"]][1:4] == [50.0, 100.0, 0.0]
    assert reached("retail") == [1, 1, 1, 1, 1]
    assert reached("(none)") == [1, 0, 0, 0, 0]
    table = cli("report", "funnel", "--by", "industry")
    assert table.code == 0, table.err
    assert "funnel.steps.industry=logistics\tqualified\tQualified\t1\t50.0\t" in table.out
    assert "funnel.steps.industry=(none)\tlead\tLead\t1\t" in table.out


@pytest.mark.parametrize("name", ["forecast", "winrate", "sources"])
def test_other_reports_group_by_a_deal_field(ws: Path, name: str) -> None:
    competitor = cli(
        "deal", "add", "Portal", "--client", "acme", "--amount", "500", "--set", "competitor=Globex"
    )
    assert competitor.code == 0, competitor.err
    _deal("bolt", "Shop", "qualified", "won")
    result = cli("report", name, "--by", "competitor", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [g["value"] for g in report["groups"]] == ["Globex", "(none)"]
    alone = json.loads(cli("report", name, "--json").out)
    assert set(report["groups"][0]) - {"value"} == set(alone) - set(_header(alone))


def _header(report: dict) -> set[str]:
    return {"report", "title", "generated", "timezone", "period", "pipeline", "owner", "currency"}


def test_report_by_refuses_an_unknown_field_or_report(ws: Path) -> None:
    unknown = cli("report", "funnel", "--by", "size")
    assert unknown.code != 0 and "--by 'size' is not a custom deal or client field" in unknown.err
    other = cli("report", "kpi", "--by", "industry")
    assert other.code != 0 and "--by groups only the funnel" in other.err


# --- import and export ------------------------------------------------------------------


def test_import_reads_a_column_named_by_field_name_or_label(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Name,Industry,employees,Customer since,Partner,Channels,VAT number,Revenue,Parent,"
        "Manager\n"
        'Delta,Retail,"1,200",01/02/2026,yes,web; shop,DE9,"12,000.50",Acme,Ann Becker\n'
        "Echo,,,,,,,,,\n"
    )
    settings = ws / "tcrm.yaml"
    settings.write_text(
        settings.read_text().replace("team: []", "team:\n- id: ann\n  name: Ann Becker\n")
    )
    git(ws, "commit", "-qam", "team")
    result = cli("import", "csv", path, "--type", "clients")
    assert result.code == 0, result.err
    delta = load(ws, "clients/delta.yaml")
    names = ("industry", "employees", "since", "partner", "channels", "vat", "revenue")
    assert {k: delta[k] for k in (*names, "parent", "manager")} == {
        "industry": "retail",
        "employees": "1200",
        "since": "2026-02-01",
        "partner": True,
        "channels": ["web", "shop"],
        "vat": "DE9",
        "revenue": "12000.50",
        "parent": "acme",  # a client's name, as a client column takes it
        "manager": "ann",  # a member's name, as an owner column takes it
    }
    assert "industry" not in load(ws, "clients/echo.yaml")
    mapped = tmp_path / "mapped.csv"
    mapped.write_text("Name,Branche\nFoxtrot,health\n")
    result = cli("import", "csv", mapped, "--type", "clients", "--map", "Branche=industry")
    assert result.code == 0, result.err
    assert load(ws, "clients/foxtrot.yaml")["industry"] == "health"


def test_import_refuses_a_bad_custom_value_naming_row_and_column(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Name,Industry,Employees\nDelta,mining,3\nEcho,retail,many\n")
    before = snapshot(ws)
    result = cli("import", "csv", path, "--type", "clients")
    assert result.code != 0
    assert "row 2" in result.err and "Industry" in result.err and "'mining'" in result.err
    assert "row 3" in result.err and "Employees" in result.err and "'many'" in result.err
    assert snapshot(ws) == before


def test_export_has_a_column_per_custom_field_and_reads_back(ws: Path, tmp_path: Path) -> None:
    import csv

    from openpyxl import load_workbook

    _set("acme", "industry=retail", "employees=1200", "partner=yes", "channels=web,phone")
    _set("acme", "since=2026-02-01")
    out = tmp_path / "clients.csv"
    assert cli("export", "csv", "--type", "clients", "-o", out).code == 0
    rows = list(csv.DictReader(out.open()))
    header = next(csv.reader(out.open()))
    declared = ["industry", "employees", "revenue", "since", "partner", "channels", "manager"]
    assert header[header.index("industry") :][: len(declared)] == declared
    acme = next(r for r in rows if r["id"] == "acme")
    assert (acme["industry"], acme["employees"], acme["partner"], acme["channels"]) == (
        "retail",
        "1200",
        "true",
        "web; phone",
    )
    book = tmp_path / "clients.xlsx"
    assert cli("export", "xlsx", "--type", "clients", "-o", book).code == 0
    sheet = load_workbook(book).active
    cells = [c.value for c in sheet[1]]
    assert "industry" in cells and "channels" in cells
    exported = json.loads(cli("export", "json", "--type", "clients").out)
    assert next(r for r in exported if r["id"] == "acme")["channels"] == ["web", "phone"]
    # a tcrm export reads back into a workspace with the same fields
    git(ws, "rm", "-q", "clients/acme.yaml")
    git(ws, "commit", "-qm", "drop acme")
    back = cli("import", "csv", out, "--type", "clients")
    assert back.code == 0, back.err
    again = load(ws, "clients/acme.yaml")
    assert (again["employees"], again["partner"], again["since"]) == ("1200", True, "2026-02-01")


def test_task_add_and_log_set_their_kinds_custom_fields(ws: Path) -> None:
    settings = ws / "tcrm.yaml"
    settings.write_text(
        settings.read_text()
        + "  task:\n    effort: {type: number}\n"
        + "  activity:\n    mood: {type: choice, choices: [good, bad]}\n"
    )
    git(ws, "commit", "-qam", "task and activity fields")
    task = cli("task", "add", "Call", "--set", "effort=3")
    assert task.code == 0, task.err
    assert load(ws, f"tasks/{task.out.strip()}.yaml")["effort"] == "3"
    logged = cli("log", "acme", "call: fine", "--set", "mood=Good", "--json")
    assert logged.code == 0, logged.err
    assert json.loads(logged.out)["activity"]["mood"] == "good"
    before = snapshot(ws)
    bad = cli("log", "acme", "call: fine", "--set", "mood=meh")
    assert bad.code != 0 and "mood" in bad.err and "'meh'" in bad.err
    assert snapshot(ws) == before


def test_deal_and_task_lists_filter_on_their_custom_fields(ws: Path) -> None:
    settings = ws / "tcrm.yaml"
    settings.write_text(settings.read_text() + "  task:\n    effort: {type: number}\n")
    git(ws, "commit", "-qam", "task field")
    globex = cli("deal", "add", "Portal", "--client", "acme", "--set", "competitor=Globex")
    assert globex.code == 0, globex.err
    assert cli("deal", "add", "Shop", "--client", "bolt").code == 0
    assert _ids("deal", "list", "competitor:globex") == [globex.out.strip()]
    assert _ids("deal", "list", "no:competitor") == ["bolt-shop"]
    big = cli("task", "add", "Big", "--set", "effort=8").out.strip()
    cli("task", "add", "Small", "--set", "effort=1")
    assert _ids("task", "list", "effort:>=5") == [big]
