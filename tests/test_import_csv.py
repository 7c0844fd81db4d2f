"""``tcrm import csv``: real files, a real workspace, the real git CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcrm.services.imports import (
    commit_message,
    header_key,
    import_rows,
    parse_amount_text,
    parse_date_text,
    plan_columns,
)
from tcrm.store.workspace import Workspace
from tests.clitools import (
    assert_refused,
    changed_files,
    commit_count,
    git,
    last_message,
    load,
    run,
    snapshot,
    status_clean,
)


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# --- amounts and dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1234", "1234", None),
        ("1234.5", "1234.5", None),
        ("1,234.50", "1234.50", None),
        ("1 234,50", "1234.50", None),
        ("1.234,50", "1234.50", None),
        ("1\u00a0234,50", "1234.50", None),
        ("1\u202f234,50", "1234.50", None),
        ("1'234.50", "1234.50", None),
        ("1,234,567.89", "1234567.89", None),
        ("1.234.567,89", "1234567.89", None),
        ("1,5", "1.5", None),
        ("0,500", "0.500", None),
        ("1,234", "1234", None),
        ("€ 1.234,50", "1234.50", "EUR"),
        ("1234,50 EUR", "1234.50", "EUR"),
        ("$12,000", "12000", "USD"),
        ("GBP 99.99", "99.99", "GBP"),
    ],
)
def test_amounts_as_spreadsheets_write_them(text: str, amount: str, currency: str | None) -> None:
    assert parse_amount_text(text) == (Decimal(amount), currency)


@pytest.mark.parametrize("text", ["abc", "-5", "1.2.3", "12,34.5", "1,2,3", "", "€", "1e5", "5 -"])
def test_what_is_not_an_amount_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount_text(text)


def _grouped(whole: int, sep: str) -> str:
    text = f"{whole:,}"
    return text.replace(",", sep)


@given(
    whole=st.integers(min_value=0, max_value=10**12),
    cents=st.integers(min_value=0, max_value=99),
    style=st.sampled_from(
        [(",", "."), (".", ","), (" ", ","), ("\u00a0", ","), ("'", "."), ("", ".")]
    ),
)
def test_every_common_notation_of_an_amount_reads_back_exactly(
    whole: int, cents: int, style: tuple[str, str]
) -> None:
    group, mark = style
    text = f"{_grouped(whole, group) if group else whole}{mark}{cents:02d}"
    assert parse_amount_text(text) == (Decimal(f"{whole}.{cents:02d}"), None)


@given(whole=st.integers(min_value=1000, max_value=10**9))
def test_grouped_whole_amounts_read_as_whole_numbers(whole: int) -> None:
    for sep in (",", " ", "'"):
        assert parse_amount_text(_grouped(whole, sep))[0] == Decimal(whole)


def test_dates_iso_then_day_first_then_given_formats() -> None:
    assert parse_date_text("2026-12-01") == date(2026, 12, 1)
    assert parse_date_text("01/12/2026") == date(2026, 12, 1)
    assert parse_date_text("1.12.2026") == date(2026, 12, 1)
    assert parse_date_text("01.12.2026 14:30") == datetime(2026, 12, 1, 14, 30)
    assert parse_date_text("2026-12-01T10:00+01:00").utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert parse_date_text("12/01/2026", ["%m/%d/%Y"]) == date(2026, 12, 1)
    with pytest.raises(ValueError, match="--date-format"):
        parse_date_text("31/02/2026")
    with pytest.raises(ValueError, match="expected %m/%d/%Y"):
        parse_date_text("2026/12/01", ["%m/%d/%Y"])


def test_the_commit_message_counts_with_thousands_separators() -> None:
    assert commit_message("client", "contacts.csv", 9812, 0) == (
        "import: 9,812 clients from contacts.csv"
    )
    assert commit_message("deal", "d.csv", 1, 3) == "import: 1 deal from d.csv, 3 updated"
    assert commit_message("task", "t.csv", 0, 0) is None


# --- recognising headers ---------------------------------------------------------------


def _targets(kind: str, headers: list[str]) -> dict[str, str | None]:
    return {c.header: c.target for c in plan_columns(kind, headers, {})}


def test_hubspot_pipedrive_google_and_spreadsheet_headers_are_recognised() -> None:
    assert header_key("E-mail 1 - Value") == "e mail 1 value"
    hubspot = _targets(
        "deal",
        ["Deal Name", "Amount", "Close Date", "Deal Stage", "Associated Company", "Record ID"],
    )
    assert hubspot == {
        "Deal Name": "title",
        "Amount": "amount",
        "Close Date": "close_date",
        "Deal Stage": "stage",
        "Associated Company": "client",
        "Record ID": "record_id",
    }
    pipedrive = _targets(
        "deal",
        [
            "Deal - Title",
            "Deal - Value",
            "Deal - Organization",
            "Deal - Expected close date",
            "Deal - Lost reason",
        ],
    )
    assert list(pipedrive.values()) == ["title", "amount", "client", "close_date", "lost_reason"]
    google = _targets(
        "client",
        [
            "First Name",
            "Last Name",
            "Organization Name",
            "Organization Title",
            "E-mail 1 - Label",
            "E-mail 1 - Value",
            "Phone 1 - Value",
            "Labels",
            "Notes",
        ],
    )
    assert google == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Organization Name": "name",
        "Organization Title": "contact_role",
        "E-mail 1 - Label": None,
        "E-mail 1 - Value": "emails",
        "Phone 1 - Value": "phones",
        "Labels": "tags",
        "Notes": "notes",
    }
    sheet = _targets("client", ["COMPANY ", "e-mail", "Telephone", "Web Site", "Annual Revenue"])
    assert sheet == {
        "COMPANY ": "name",
        "e-mail": "emails",
        "Telephone": "phones",
        "Web Site": "website",
        "Annual Revenue": "annual_revenue",
    }
    # A "Name" beside a company column is the person's; alone it is the client's.
    assert _targets("client", ["Name", "Company"])["Name"] == "contact_name"
    assert _targets("client", ["Name", "Email"])["Name"] == "name"


# --- the Must-show file ---------------------------------------------------------------

DEALS_HEADER = "Deal Name;Company;Amount;Close Date;Stage;Notes;Budget Owner\r\n"
DEALS_ROWS = [
    "Brand refresh;Acme Logistics;1 234,50;01/12/2026;Qualified;"
    '"Call Jana first.\r\nShe decides by Friday.";CFO\r\n',
    "Brand refresh;ACME LOGISTICS;1 234,50;01/12/2026;qualified;;\r\n",
    "Intranet;Greenleaf Foundation;12.000,00;15/01/2027;Lead;;\r\n",
    "Menu app;Café Lumière;900;2026-12-20;lead;;\r\n",
    "Shop audit;Pixelforge Games;2.500;28/02/2027;Lead;;\r\n",
    "Care plan;Zenith Fitness Studios;480,00;31/12/2026;Lead;;\r\n",
]


def test_must_show_bom_semicolons_multiline_note_amount_and_duplicate_rows(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "deals.csv", DEALS_HEADER + "".join(DEALS_ROWS), bom=True)
    before = commit_count(sample_ws)
    result = run("import", "csv", path, "--type", "deals", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "import: 5 deals from deals.csv"
    assert status_clean(sample_ws)
    assert [d["title"] for d in report["created"]] == [
        "Brand refresh",
        "Intranet",
        "Menu app",
        "Shop audit",
        "Care plan",
    ]
    assert report["duplicates"] == [
        {
            "row": 3,
            "duplicate_of": None,
            "duplicate_of_row": 2,
            "reason": "same client and title",
            "score": 1.0,
            "action": "skip",
        }
    ]
    deal = load(sample_ws, "deals/acme-logistics-brand-refresh.yaml")
    assert deal["amount"] == "1234.50"
    assert deal["close_date"] == "2026-12-01"
    assert deal["stage"] == "qualified"
    assert deal["client"] == "acme-logistics"
    assert deal["notes"] == "Call Jana first.\nShe decides by Friday."
    assert deal["budget_owner"] == "CFO"  # an unknown column, kept
    assert deal["stage_history"] == [{"at": "2026-11-23T09:00+01:00", "stage": "qualified"}]
    assert load(sample_ws, "deals/greenleaf-foundation-intranet.yaml")["amount"] == "12000.00"
    assert load(sample_ws, "deals/pixelforge-games-shop-audit.yaml")["amount"] == "2.500"
    assert len(changed_files(sample_ws)) == 5
    assert "multi" not in result.err


def test_must_show_one_bad_date_in_row_7_writes_nothing_and_names_row_7(
    sample_ws: Path, tmp_path: Path
) -> None:
    rows = list(DEALS_ROWS)
    # Spreadsheet row 7 (header = row 1), though line 8 of the file: row 2's note has 2 lines.
    rows[5] = "Care plan;Zenith Fitness Studios;480,00;31/02/2027;Lead;;\r\n"
    path = write(tmp_path / "deals.csv", DEALS_HEADER + "".join(rows), bom=True)
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path, "--type", "deals")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("row 7, column Close Date: '31/02/2027' is not a date")
    assert lines[-1].startswith("tcrm: error: 1 invalid row in deals.csv; nothing was imported")
    assert len(lines) == 2
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits
    assert not (tmp_path / "deals.rejected.csv").exists()


def test_every_invalid_row_is_listed_with_its_column(sample_ws: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "deals.csv",
        "Title,Company,Amount,Stage,Owner\n"
        "Ok,Acme Logistics,10,lead,ann\n"
        "Bad amount,Acme Logistics,ten,lead,ann\n"
        "Nobody,No Such Company,10,lead,ann\n"
        "Odd stage,Acme Logistics,10,closing,ann\n"
        "Stranger,Acme Logistics,10,lead,zoe\n",
    )
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path, "--type", "deals")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[:4] == [
        "row 3, column Amount: 'ten' is not an amount "
        "(e.g. 1234.50, 1,234.50, 1.234,50 or 1 234,50)",
        "row 4, column Company: no client 'No Such Company' in the workspace (import the clients "
        "first, or use an id)",
        "row 5, column Stage: unknown stage 'closing' in pipeline 'sales' (stages: lead, "
        "qualified, proposal, negotiation; or won, lost)",
        "row 6, column Owner: 'zoe' is not a team member (ann, ben, chloe)",
    ]
    assert lines[4].startswith("tcrm: error: 4 invalid rows in deals.csv")
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejects_beside_the_input(
    sample_ws: Path, tmp_path: Path
) -> None:
    rows = list(DEALS_ROWS)
    rows[5] = "Care plan;Zenith Fitness Studios;480,00;31/02/2027;Lead;;\r\n"
    path = write(tmp_path / "deals.csv", DEALS_HEADER + "".join(rows), bom=True)
    result = run("import", "csv", path, "--type", "deals", "--skip-invalid", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert last_message(sample_ws) == "import: 4 deals from deals.csv"
    assert status_clean(sample_ws)
    rejected = tmp_path / "deals.rejected.csv"
    assert report["rejected_file"] == str(rejected)
    assert report["rejected"] == [
        {
            "row": 7,
            "errors": [
                "column Close Date: '31/02/2027' is not a date (expected "
                "YYYY-MM-DD or DD/MM/YYYY (date_order: DMY in tcrm.yaml); for others give "
                "--date-format, e.g. "
                "--date-format %m/%d/%Y)"
            ],
        }
    ]
    data = rejected.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # as the input: BOM and `;`
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [*DEALS_HEADER.strip().split(";"), "error"]
    assert table[1][:4] == ["Care plan", "Zenith Fitness Studios", "480,00", "31/02/2027"]
    assert "is not a date" in table[1][-1]


# --- clients: people, duplicates, mapping ------------------------------------------------

GOOGLE = (
    "First Name,Last Name,Organization Name,Organization Title,E-mail 1 - Label,"
    "E-mail 1 - Value,Phone 1 - Value,Labels,Notes,Birthday\n"
    "Ada,Lovelace,Analytical Engines Ltd,CTO,* Work,ada@engines.example.org,"
    "+44 20 7946 0001,vip,,1815-12-10\n"
    "Charles,Babbage,Analytical Engines,CEO,Work,charles@engines.example.org,,"
    "vip ::: enterprise,Founder,\n"
    "Grace,Hopper,,,Home,grace@navy.example.org,+1 202 555 0199,,,\n"
    "Ada,Lovelace,Analytical Engines Ltd,CTO,Work,ada@engines.example.org,,,,\n"
    "Jana,Krüger,Acme Logistics GmbH,Head of Marketing,,jana.kruger@acme-logistics.de,,,,\n"
)


def test_people_of_one_company_become_its_contacts_and_duplicates_are_skipped(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "contacts.csv", GOOGLE)
    result = run("import", "csv", path, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert last_message(sample_ws) == "import: 2 clients from contacts.csv"
    assert status_clean(sample_ws)
    engines = load(sample_ws, "clients/analytical-engines-ltd.yaml")
    assert engines["name"] == "Analytical Engines Ltd"
    assert engines["tags"] == ["vip", "enterprise"]
    assert engines["contacts"] == [
        {
            "name": "Ada Lovelace",
            "role": "CTO",
            "emails": ["ada@engines.example.org"],
            "phones": ["+44 20 7946 0001"],
        },
        {
            "name": "Charles Babbage",
            "role": "CEO",
            "emails": ["charles@engines.example.org"],
            "notes": "Founder",
        },
    ]
    assert engines["birthday"] == "1815-12-10"  # unknown column kept, snake_case
    grace = load(sample_ws, "clients/grace-hopper.yaml")
    assert grace["type"] == "person"
    assert grace["emails"] == ["grace@navy.example.org"]
    actions = {
        (d["row"], d["action"], d["duplicate_of"], d["reason"]) for d in report["duplicates"]
    }
    # Ada's second row joined her company's group (and her own entry): no new contact.
    assert actions == {(6, "skip", "acme-logistics", "same email jana.kruger@acme-logistics.de")}


def test_on_duplicate_update_fills_empty_fields_and_adds_list_items(
    sample_ws: Path, tmp_path: Path
) -> None:
    before = load(sample_ws, "clients/acme-logistics.yaml")
    path = write(
        tmp_path / "acme.csv",
        "Company,Email,Phone,Website,Region,Industry\n"
        "ACME Logistics GmbH,sales@acme-logistics.de,+49 40 3802 7228,https://other.example,Nordics,Freight\n",
    )
    result = run("import", "csv", path, "--on-duplicate", "update")
    assert result.code == 0, result.err
    assert last_message(sample_ws) == "import: 0 clients from acme.csv, 1 updated"
    assert status_clean(sample_ws)
    after = load(sample_ws, "clients/acme-logistics.yaml")
    assert after["emails"] == [*before["emails"], "sales@acme-logistics.de"]
    assert after["phones"] == before["phones"]  # the same number, not twice
    assert after["website"] == before["website"]  # set already: kept
    assert after["region"] == before["region"]
    assert after["industry"] == "Freight"
    assert after["contacts"] == before["contacts"]
    assert "Imported 0 clients from acme.csv (1 updated)." in result.err


def test_on_duplicate_create_adds_it_anyway_with_a_fresh_id(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "acme.csv", "Company\nAcme Logistics\n")
    result = run("import", "csv", path, "--on-duplicate", "create", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [c["id"] for c in report["created"]] == ["acme-logistics-2"]
    assert report["duplicates"][0]["action"] == "create"
    assert (sample_ws / "clients/acme-logistics-2.yaml").is_file()


def test_importing_the_same_file_twice_finds_every_row_the_second_time(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "contacts.csv", GOOGLE)
    assert run("import", "csv", path).code == 0
    commits = commit_count(sample_ws)
    again = run("import", "csv", path, "--json")
    assert again.code == 0, again.err
    report = json.loads(again.out)
    assert report["created"] == [] and report["commit"] is None
    assert commit_count(sample_ws) == commits
    assert status_clean(sample_ws)


def test_map_overrides_and_leaves_out_columns_dry_run_writes_nothing(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "leads.csv", "Firm Title;Contact Mail;Secret\nNova Labs;hi@nova.example.org;x\n"
    )
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run(
        "import",
        "csv",
        path,
        "--map",
        "Firm Title=name",
        "--map",
        "contact mail=emails",
        "--map",
        "Secret=",
        "--dry-run",
        "--json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["dry_run"] is True and report["commit"] is None
    assert report["columns"] == [
        {"column": "Firm Title", "field": "name", "how": "mapped"},
        {"column": "Contact Mail", "field": "emails", "how": "mapped"},
        {"column": "Secret", "field": None, "how": "ignored"},
    ]
    assert report["created"] == [
        {
            "id": "nova-labs",
            "name": "Nova Labs",
            "type": "company",
            "emails": ["hi@nova.example.org"],
        }
    ]
    assert snapshot(sample_ws) == before
    assert commit_count(sample_ws) == commits


def test_dry_run_without_json_shows_how_each_column_is_read(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "c.csv", "Company,Email,Shoe Size\nNova Labs,hi@nova.example.org,44\n")
    result = run("import", "csv", path, "--dry-run")
    assert result.code == 0, result.err
    assert "Company\tname" in result.out
    assert "shoe size\tkept as extra field shoe_size" in result.out.lower()
    assert "Would import 1 client from c.csv." in result.err
    assert "Dry run: nothing was written." in result.err


def test_dates_in_other_formats_with_date_format(sample_ws: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv",
        "Subject,Due Date,Priority,Company\nCall back,12/01/2026,Urgent,Acme Logistics\n",
    )
    result = run("import", "csv", path, "--type", "tasks", "--date-format", "%m/%d/%Y", "--json")
    assert result.code == 0, result.err
    task = json.loads(result.out)["created"][0]
    assert task["due"] == "2026-12-01"
    assert task["priority"] == "high"
    assert task["clients"] == ["acme-logistics"]
    assert last_message(sample_ws) == "import: 1 task from t.csv"


def test_activities_in_the_workspace_zone_and_list_values_any_case(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "a.csv",
        "Type,Date,Subject,Organization,User\n"
        "Call,2026-11-20 14:30,Intro call,Café Lumière,Ann Becker\n",
    )
    result = run("import", "csv", path, "--type", "activities", "--json")
    assert result.code == 0, result.err
    activity = json.loads(result.out)["created"][0]
    assert activity["kind"] == "call"
    assert activity["at"] == "2026-11-20T14:30+01:00"
    assert activity["author"] == "ann"
    assert activity["clients"] == ["cafe-lumiere"]
    assert (sample_ws / "activities/2026" / f"{activity['id']}.yaml").is_file()


def test_a_stage_that_needs_an_amount_refuses_unless_forced(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "d.csv", "Title,Company,Stage\nBig one,Acme Logistics,Proposal\n")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    refused = run("import", "csv", path, "--type", "deals")
    assert refused.code == 1
    assert "row 2, column Stage: stage proposal needs amount" in refused.err
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits
    forced = run("import", "csv", path, "--type", "deals", "--force", "--json")
    assert forced.code == 0, forced.err
    assert json.loads(forced.out)["created"][0]["stage_history"][0]["forced"] is True


def test_won_and_lost_stage_words_close_the_deal(sample_ws: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.csv",
        "Deal Name,Associated Company,Amount,Deal Stage,Close Date,Closed Lost Reason\n"
        "Old site,Acme Logistics,5000,Closed Won,2026-03-01,\n"
        "Old app,Acme Logistics,,closedlost,2026-04-01,Price\n",
    )
    result = run("import", "csv", path, "--type", "deals", "--json")
    assert result.code == 0, result.err
    won, lost = json.loads(result.out)["created"]
    assert (won["status"], won["closed"], won["stage"]) == ("won", "2026-03-01", "negotiation")
    assert (lost["status"], lost["lost_reason"]) == ("lost", "price")


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "Company=nmae"], "client has no field 'nmae'; did you mean 'name'?"),
        (["--map", "Nope=name"], "--map names column 'nope', which the file lacks"),
        (["--type", "invoices"], "unknown record type 'invoices'"),
        (["--on-duplicate", "merge"], "--on-duplicate 'merge': one of skip, update, create"),
        (["--type", "activities"], "no column gives the activity's at (e.g. Date)"),
        (["--encoding", "klingon"], "--encoding 'klingon' is not an encoding"),
        (["--delimiter", "ab"], "--delimiter 'ab': give one character"),
    ],
)
def test_bad_options_are_refused_in_one_line(
    sample_ws: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    path = write(tmp_path / "c.csv", "Company,Title\nNova Labs,Shop\n")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path, *args)
    assert_refused(sample_ws, result, before, commits)
    assert message in result.err


def test_a_file_that_is_not_utf8_names_the_encoding_option(sample_ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Company\nMüller\n".encode("cp1252"))
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "csv", path)
    assert_refused(sample_ws, result, before, commits)
    assert "--encoding cp1252" in result.err
    ok = run("import", "csv", path, "--encoding", "cp1252", "--json")
    assert ok.code == 0, ok.err
    assert json.loads(ok.out)["created"][0]["name"] == "Müller"


def test_a_row_with_more_cells_than_headers_is_a_problem(sample_ws: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "Company,Email\nNova,hi@nova.example.org,extra\n")
    result = run("import", "csv", path)
    assert result.code == 1
    assert "row 2: has 3 cells but the header names 2 columns" in result.err


# --- the service: progress, speed-minded id allocation ---------------------------------


def test_progress_is_reported_and_one_commit_holds_every_file(
    sample_ws: Path, tmp_path: Path
) -> None:
    from tcrm.io import csvio

    lines = ["Company,Email"] + [f"Firm {i},info{i}@firm{i}.example.org" for i in range(450)]
    path = write(tmp_path / "many.csv", "\n".join(lines) + "\n")
    source, _, _ = csvio.read_table(path)
    calls: list[tuple[int, int]] = []
    ws = Workspace(sample_ws)
    result = import_rows(
        ws, kind="client", source=source, progress=lambda d, t: calls.append((d, t))
    )
    assert len(result.created) == 450
    assert calls.count((450, 450)) == 2  # rows read, then files written
    assert all(0 < done <= total for done, total in calls)
    assert last_message(sample_ws) == "import: 450 clients from many.csv"
    assert len(changed_files(sample_ws)) == 450
    assert status_clean(sample_ws)
    assert git(sample_ws, "fsck", "--no-progress").strip() == ""


# --- the delimiter -----------------------------------------------------------------------


def _sniff_reference(text: str) -> str:
    """The delimiter as read before the header shortcut: the Sniffer always asked."""
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in ",;\t|"}
    try:
        sniffed: str | None = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        sniffed = None
    if sniffed and counts.get(sniffed, 0) > 0:
        return sniffed
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Company;Notes\nAcme;one, two, three, four\nBeta;five, six, seven\n", ";"),
        ('Company,Notes\nAcme,"a; b; c; d; e"\nBeta,"f; g; h; i"\n', ","),
        ("Company\nAcme, Inc.\nBeta; Gamma\n", ","),
        ("Name\tNotes\nAcme\tx|y|z\n", "\t"),
        ("a,b,c;d\n1;2\n3;4\n5;6\n", ";"),  # several in the header: the Sniffer decides
        ("Company;Notes, remarks\nAcme;one, two\nBeta;three, four\n", ","),
    ],
)
def test_the_header_line_decides_the_delimiter_unless_it_holds_several(
    text: str, expected: str
) -> None:
    from tcrm.io import csvio

    assert csvio.sniff_delimiter(text) == expected == _sniff_reference(text)


@given(
    st.lists(
        st.lists(st.text(alphabet="ab ,;\t|\"'x", max_size=6), min_size=1, max_size=4),
        min_size=1,
        max_size=6,
    )
)
def test_the_delimiter_is_what_the_sniffer_and_header_together_always_chose(
    rows: list[list[str]],
) -> None:
    from tcrm.io import csvio

    text = "\n".join(",".join(cells) for cells in rows) + "\n"
    assert csvio.sniff_delimiter(text) == _sniff_reference(text)
