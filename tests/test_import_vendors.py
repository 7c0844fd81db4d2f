"""Other CRMs' exports, shaped like the real ones (headers and quirks as each tool writes
them; made-up data), imported with no option but ``--new-values add``: the tool is
recognised from its headers (tcrm/services/vendors/*.yaml) and every record is exact.

Each tool's workspace has the team (names as the exports' owners) and that tool's default
pipeline stages, as a team moving from it would set up first (tests/vendortools.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tcrm.services import import_vendors
from tests.clitools import commit_count, git, run, snapshot, status_clean
from tests.vendortools import FIXTURES, records, vendor_workspace

CASES = {
    "hubspot": ("hubspot", ["clients:hubspot-companies.csv", "deals:hubspot-deals.csv"]),
    "hubspot_contacts": (None, ["clients:hubspot-contacts.csv"]),
    "pipedrive": (
        "pipedrive",
        ["clients:pipedrive-organizations.csv", "deals:pipedrive-deals.csv"],
    ),
    "pipedrive_persons": (None, ["clients:pipedrive-persons.csv"]),
    "salesforce": (
        "salesforce",
        ["clients:salesforce-accounts.csv", "deals:salesforce-opportunities.csv"],
    ),
    "zoho": ("zoho", ["clients:zoho-accounts.csv", "deals:zoho-deals.csv"]),
    "google": (None, ["clients:google-contacts.csv"]),
    "outlook": (None, ["clients:outlook-contacts.csv"]),
}
VENDOR_NAMES = {
    "hubspot": "HubSpot",
    "hubspot_contacts": "HubSpot",
    "pipedrive": "Pipedrive",
    "pipedrive_persons": "Pipedrive",
    "salesforce": "Salesforce",
    "zoho": "Zoho CRM",
    "google": "Google Contacts",
    "outlook": "Outlook",
}

EXPECTED = {
    "hubspot": {
        "client": {
            "kestrel-analytics": {
                "name": "Kestrel Analytics",
                "type": "company",
                "owner": "jane",
                "source": "Organic search",
                "website": "kestrel.example.com",
                "phones": ["+1 617 555 0142"],
                "created": "2026-03-02T09:14+00:00",
                "external_ids": {"hubspot": "10021"},
                "last_activity_date": "2026-11-20 16:02",
                "city": "Boston",
                "country_region": "United States",
                "industry": "COMPUTER_SOFTWARE",
            },
            "marlow-finch": {
                "name": "Marlow & Finch",
                "type": "company",
                "owner": "omar",
                "source": "Offline sources",
                "website": "marlowfinch.example.com",
                "created": "2026-04-11T13:40+00:00",
                "external_ids": {"hubspot": "10022"},
                "city": "Leeds",
                "country_region": "United Kingdom",
                "industry": "RETAIL",
            },
        },
        "deal": {
            "kestrel-data-platform": {
                "title": "Kestrel data platform",
                "client": "kestrel-analytics",
                "pipeline": "hubspot",
                "stage": "presentation-scheduled",
                "status": "open",
                "amount": "48000",
                "close_date": "2027-01-31",
                "owner": "jane",
                "created": "2026-10-01T10:00+00:00",
                "stage_history": [
                    {"at": "2026-10-01T10:00+00:00", "stage": "presentation-scheduled"}
                ],
                "external_ids": {"hubspot": "5501"},
            },
            "kestrel-support-plan": {
                "title": "Kestrel support plan",
                "client": "kestrel-analytics",
                "pipeline": "hubspot",
                "stage": "contract-sent",
                "status": "lost",
                "amount": "6000",
                "close_date": "2026-11-01",
                "owner": "jane",
                "lost_reason": "Went with a cheaper vendor",
                "closed": "2026-11-01",
                "created": "2026-08-03T14:05+00:00",
                "stage_history": [
                    {"at": "2026-08-03T14:05+00:00", "stage": "contract-sent", "status": "lost"}
                ],
                "external_ids": {"hubspot": "5503"},
            },
            "marlow-finch-loyalty-app": {
                "title": "Marlow & Finch loyalty app",
                "client": "marlow-finch",
                "pipeline": "hubspot",
                "stage": "contract-sent",
                "status": "won",
                "amount": "12500.50",
                "close_date": "2026-11-15",
                "owner": "omar",
                "closed": "2026-11-15",
                "created": "2026-09-12T08:30+00:00",
                "stage_history": [
                    {"at": "2026-09-12T08:30+00:00", "stage": "contract-sent", "status": "won"}
                ],
                "external_ids": {"hubspot": "5502"},
            },
        },
    },
    "hubspot_contacts": {
        "client": {
            "kestrel-analytics": {
                "name": "Kestrel Analytics",
                "type": "company",
                "status": "In Progress",
                "owner": "jane",
                "contacts": [
                    {
                        "name": "Priya Raman",
                        "role": "Head of Data",
                        "emails": ["priya@kestrel.example.com"],
                        "phones": ["+1 617 555 0199"],
                        "external_ids": {"hubspot": "301"},
                    }
                ],
                "created": "2026-03-05T11:00+00:00",
            },
            "tom-welles": {
                "name": "Tom Welles",
                "type": "person",
                "status": "New",
                "owner": "omar",
                "emails": ["tom.welles@mailbox.example.net"],
                "created": "2026-06-01T09:30+00:00",
                "external_ids": {"hubspot": "302"},
            },
        }
    },
    "pipedrive": {
        "client": {
            "harbor-vine": {
                "name": "Harbor & Vine",
                "type": "company",
                "owner": "jane",
                "tags": ["Hot lead"],
                "address": "Kaiserstraße 12, 60311 Frankfurt, Germany",
                "created": "2026-02-10T08:15+00:00",
                "external_ids": {"pipedrive": "7"},
                "organization_people": "1",
                "organization_open_deals": "1",
            },
            "kiln-studio": {
                "name": "Kiln Studio",
                "type": "company",
                "owner": "omar",
                "tags": ["Customer"],
                "created": "2026-03-22T17:02+00:00",
                "external_ids": {"pipedrive": "8"},
                "organization_people": "0",
                "organization_open_deals": "0",
            },
        },
        "deal": {
            "harbor-vine-seo-retainer": {
                "title": "Harbor & Vine SEO retainer",
                "client": "harbor-vine",
                "pipeline": "pipedrive",
                "stage": "qualified",
                "status": "lost",
                "amount": "3000",
                "currency": "USD",
                "owner": "omar",
                "lost_reason": "Budget cut",
                "closed": "2026-09-01",
                "created": "2026-05-06T14:00+00:00",
                "stage_history": [
                    {"at": "2026-05-06T14:00+00:00", "stage": "qualified", "status": "lost"}
                ],
                "external_ids": {"pipedrive": "103"},
                "deal_creator": "Omar Haddad",
                "deal_weighted_value": "0",
            },
            "harbor-vine-wine-club-app": {
                "title": "Harbor & Vine wine club app",
                "client": "harbor-vine",
                "pipeline": "pipedrive",
                "stage": "proposal-made",
                "status": "open",
                "amount": "24000",
                "currency": "EUR",
                "close_date": "2027-01-15",
                "owner": "jane",
                "contacts": ["Lena Vogt"],
                "created": "2026-03-01T09:00+00:00",
                "stage_history": [{"at": "2026-03-01T09:00+00:00", "stage": "proposal-made"}],
                "external_ids": {"pipedrive": "101"},
                "deal_creator": "Jane Doe",
                "deal_weighted_value": "12000",
            },
            "kiln-studio-shop-redesign": {
                "title": "Kiln Studio shop redesign",
                "client": "kiln-studio",
                "pipeline": "pipedrive",
                "stage": "negotiations-started",
                "status": "won",
                "amount": "8500",
                "currency": "EUR",
                "close_date": "2026-10-01",
                "owner": "omar",
                "closed": "2026-10-05",
                "created": "2026-04-02T11:30+00:00",
                "stage_history": [
                    {
                        "at": "2026-04-02T11:30+00:00",
                        "stage": "negotiations-started",
                        "status": "won",
                    }
                ],
                "external_ids": {"pipedrive": "102"},
                "deal_creator": "Jane Doe",
                "deal_weighted_value": "8500",
            },
        },
    },
    "pipedrive_persons": {
        "client": {
            "harbor-vine": {
                "name": "Harbor & Vine",
                "type": "company",
                "owner": "jane",
                "contacts": [
                    {
                        "name": "Lena Vogt",
                        "emails": ["lena@harborvine.example.de"],
                        "phones": ["+49 69 5550 1234"],
                        "external_ids": {"pipedrive": "41"},
                    }
                ],
                "created": "2026-02-10T08:20+00:00",
            },
            "mika-laine": {
                "name": "Mika Laine",
                "type": "person",
                "owner": "omar",
                "tags": ["Hot lead"],
                "emails": ["mika.laine@mail.example.fi"],
                "phones": ["+358 40 555 0172"],
                "created": "2026-05-19T12:45+00:00",
                "external_ids": {"pipedrive": "42"},
            },
        }
    },
    "salesforce": {
        "client": {
            "northgate-freight": {
                "name": "Northgate Freight",
                "type": "company",
                "owner": "jane",
                "website": "www.northgate.example.nl",
                "phones": ["+31 10 555 0100"],
                "created": "2026-03-14T00:00+00:00",
                "external_ids": {"salesforce": "0015g00000AbCdEAAV"},
                "account_type": "Customer - Direct",
                "billing_city": "Rotterdam",
                "billing_country": "Netherlands",
                "industry": "Transportation",
            }
        },
        "deal": {
            "northgate-driver-app": {
                "title": "Northgate driver app",
                "client": "northgate-freight",
                "pipeline": "salesforce",
                "stage": "negotiation-review",
                "status": "won",
                "amount": "18250.00",
                "currency": "USD",
                "probability": 100,
                "close_date": "2026-11-30",
                "owner": "omar",
                "source": "Web",
                "closed": "2026-11-30",
                "created": "2026-09-01T00:00+00:00",
                "stage_history": [
                    {"at": "2026-09-01T00:00+00:00", "stage": "negotiation-review", "status": "won"}
                ],
                "external_ids": {"salesforce": "0065g00000XyZaCAAV"},
                "fiscal_period": "Q4-2026",
                "age": "90",
                "opportunity_type": "Existing Business",
            },
            "northgate-fleet-portal": {
                "title": "Northgate fleet portal",
                "client": "northgate-freight",
                "pipeline": "salesforce",
                "stage": "proposal-price-quote",
                "status": "open",
                "amount": "64000.00",
                "currency": "USD",
                "probability": 75,
                "close_date": "2027-01-29",
                "owner": "jane",
                "source": "Partner Referral",
                "created": "2026-10-16T00:00+00:00",
                "stage_history": [
                    {"at": "2026-10-16T00:00+00:00", "stage": "proposal-price-quote"}
                ],
                "external_ids": {"salesforce": "0065g00000XyZaBAAV"},
                "fiscal_period": "Q1-2027",
                "age": "42",
                "next_step": "Send revised quote",
                "opportunity_type": "New Business",
            },
        },
    },
    "zoho": {
        "client": {
            "saffron-table": {
                "name": "Saffron Table",
                "type": "company",
                "owner": "jane",
                "tags": ["Hospitality", "Key account"],
                "website": "https://saffrontable.example.in",
                "phones": ["+91 80 5555 0101"],
                "created": "2026-01-20T10:05+00:00",
                "notes": "Restaurant group, 14 sites",
                "external_ids": {"zoho": "zcrm_4876876000000623001"},
                "account_type": "Customer",
                "industry": "Hospitality",
                "annual_revenue": "1200000",
                "billing_city": "Bengaluru",
                "billing_country": "India",
                "modified_time": "2026-11-02 16:40:00",
            }
        },
        "deal": {
            "saffron-table-loyalty": {
                "title": "Saffron Table loyalty",
                "client": "saffron-table",
                "pipeline": "zoho",
                "stage": "negotiation-review",
                "status": "lost",
                "amount": "120000",
                "probability": 0,
                "close_date": "2026-10-10",
                "owner": "omar",
                "source": "Web Download",
                "lost_reason": "Chose a competitor",
                "closed": "2026-10-10",
                "created": "2026-05-01T08:00+00:00",
                "stage_history": [
                    {
                        "at": "2026-05-01T08:00+00:00",
                        "stage": "negotiation-review",
                        "status": "lost",
                    }
                ],
                "external_ids": {"zoho": "zcrm_4876876000000624012"},
                "modified_time": "2026-10-10 18:30:00",
            },
            "saffron-table-ordering-kiosk": {
                "title": "Saffron Table ordering kiosk",
                "client": "saffron-table",
                "pipeline": "zoho",
                "stage": "negotiation-review",
                "status": "open",
                "amount": "950000",
                "probability": 90,
                "close_date": "2027-02-28",
                "owner": "jane",
                "source": "Trade Show",
                "contacts": ["Arjun Mehta"],
                "created": "2026-06-01T12:00+00:00",
                "stage_history": [{"at": "2026-06-01T12:00+00:00", "stage": "negotiation-review"}],
                "external_ids": {"zoho": "zcrm_4876876000000624011"},
                "modified_time": "2026-11-20 09:00:00",
            },
        },
    },
    "google": {
        "client": {
            "atlantico-surf-school": {
                "name": "Atlântico Surf School",
                "type": "company",
                "tags": ["Surf"],
                "website": "https://atlantico.example.pt",
                "contacts": [
                    {
                        "name": "Ines Duarte",
                        "role": "Founder",
                        "emails": ["ines@atlantico.example.pt", "ines.duarte@mail.example.com"],
                        "phones": ["+351 912 555 010"],
                        "notes": "Met at the Lisbon meetup",
                    }
                ],
            },
            "sam-okoro": {
                "name": "Sam Okoro",
                "type": "person",
                "emails": ["sam.okoro@mail.example.com"],
                "phones": ["+234 803 555 0199"],
                "birthday": "1990-04-02",
            },
        }
    },
    "outlook": {
        "client": {
            "kessler-maschinenbau-gmbh": {
                "name": "Kessler Maschinenbau GmbH",
                "type": "company",
                "tags": ["Suppliers", "vip"],
                "website": "https://kessler.example.de",
                "address": "Industriestr. 4",
                "contacts": [
                    {
                        "name": "Helga Brandt",
                        "role": "Procurement Lead",
                        "emails": ["h.brandt@kessler.example.de"],
                        "phones": ["+49 711 555 2040", "+49 171 555 2041"],
                        "notes": "Prefers calls before 10am",
                    }
                ],
                "courtesy_title": "Dr.",
                "department": "Purchasing",
                "business_city": "Stuttgart",
                "business_postal_code": "70565",
                "business_country_region": "Germany",
            },
            "raj-patel": {
                "name": "Raj Patel",
                "type": "person",
                "tags": ["Friends"],
                "emails": ["raj.patel@mail.example.co.uk", "raj@patel.example.co.uk"],
                "phones": ["+44 7700 900123"],
            },
        }
    },
}
"""The records each case gives: checked by hand against the fixtures (owners by name,
stages by name, ``Closed Won``/``won`` statuses, ids kept as ``external_ids``, footers
and placeholders left out, unknown columns kept as extra fields)."""


@pytest.mark.parametrize("case", list(CASES))
def test_each_tools_export_imports_with_only_new_values_add(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool, files = CASES[case]
    root = vendor_workspace(tmp_path, monkeypatch, tool)
    for entry in files:
        kind, name = entry.split(":")
        result = run("import", "csv", FIXTURES / name, "--type", kind, "--new-values", "add")
        assert result.code == 0, result.err
        assert f"Read as an export of {VENDOR_NAMES[case]} " in result.err
    assert status_clean(root)
    assert git(root, "fsck", "--strict") == ""
    commits = git(root, "log", "--format=%s").splitlines()
    assert len(commits) == 1 + len(files)  # one commit per import, after init
    got = {kind: records(root, kind) for kind in ("client", "deal") if records(root, kind)}
    assert got == EXPECTED[case]


def test_every_vendor_file_loads_and_names_its_tool() -> None:
    keys = {v.key: v.name for v in import_vendors.vendors()}
    assert keys == {
        "google": "Google Contacts",
        "hubspot": "HubSpot",
        "outlook": "Outlook",
        "pipedrive": "Pipedrive",
        "salesforce": "Salesforce",
        "zoho": "Zoho CRM",
    }


def test_a_plain_spreadsheet_is_no_tools_export() -> None:
    assert import_vendors.detect(["Company", "Email", "Phone", "Tags"]) is None
    assert import_vendors.detect(["ID", "Name", "Email"]) is None


def test_an_unknown_stage_is_refused_naming_the_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stages are matched by name or id, in any case; one the workspace lacks is refused
    with the stages it has, never added or guessed."""
    root = vendor_workspace(tmp_path, monkeypatch, None)  # stages: lead ... negotiation
    assert run("import", "csv", FIXTURES / "hubspot-companies.csv", "--new-values", "add").code == 0
    with (FIXTURES / "hubspot-deals.csv").open(newline="", encoding="utf-8") as f:
        rows = [row[:3] + row[4:] for row in csv.reader(f)]  # without the Pipeline column
    path = tmp_path / "deals.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    before, commits = snapshot(root), commit_count(root)
    result = run("import", "csv", path, "--type", "deals", "--new-values", "add")
    assert result.code == 1
    assert (
        "row 2, column Deal Stage: unknown stage 'Presentation Scheduled' in pipeline 'sales' "
        "(stages: lead, qualified, proposal, negotiation; or won, lost)"
    ) in result.err
    assert snapshot(root) == before and commit_count(root) == commits


def test_an_export_saved_as_a_workbook_gives_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HubSpot exports XLSX too: the same tool recognised, the same records."""
    from openpyxl import Workbook

    root = vendor_workspace(tmp_path, monkeypatch, "hubspot")
    for kind, name in (("clients", "hubspot-companies.csv"), ("deals", "hubspot-deals.csv")):
        book = Workbook()
        sheet = book.active
        with (FIXTURES / name).open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                sheet.append(row)
        path = tmp_path / name.replace(".csv", ".xlsx")
        book.save(path)
        result = run("import", "xlsx", path, "--type", kind, "--new-values", "add")
        assert result.code == 0, result.err
        assert "Read as an export of HubSpot " in result.err
    got = {kind: records(root, kind) for kind in ("client", "deal")}
    assert got == EXPECTED["hubspot"]
