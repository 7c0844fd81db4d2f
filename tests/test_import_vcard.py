"""``tcrm import vcard`` and ``tcrm export vcard``: address books in and out.

The export is read back with vobject, a parser independent of our hand-written writer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import vobject

from tcrm.io.vcardio import escape, fold
from tcrm.services.setup import init_workspace
from tests.clitools import (
    SAMPLE,
    assert_refused,
    commit_count,
    last_message,
    load,
    run,
    snapshot,
    status_clean,
)

# Three people of one company, one of them on two cards' worth of folded lines; vCard 3.0
# as Apple Contacts and Google write it (CRLF, TYPE lists, folded NOTE).
VCARD_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Nakamura;Hana;;;\r\n"
    "FN:Hana Nakamura\r\n"
    "ORG:Sakura Robotics GmbH;Research\r\n"
    "TITLE:Head of Research\r\n"
    "EMAIL;TYPE=INTERNET;TYPE=WORK:hana@sakura-robotics.example.org\r\n"
    "EMAIL;TYPE=INTERNET,HOME,pref:hana.n@gmail.com\r\n"
    "TEL;TYPE=CELL:+49 171 555 0101\r\n"
    "TEL;TYPE=WORK,VOICE:+49 30 555 0100\r\n"
    "NOTE:Met at Hannover Messe\\; wants a demo in January. This note is long enou\r\n"
    " gh to be folded over several lines\\, as RFC 6350 says.\r\n"
    "CATEGORIES:vip,enterprise\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Weber;Lukas;;;\r\n"
    "FN:Lukas Weber\r\n"
    "ORG:Sakura Robotics GmbH\r\n"
    "TITLE:CTO\r\n"
    "EMAIL;TYPE=WORK:lukas@sakura-robotics.example.org\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Okoro;Ifeoma;;;\r\n"
    "FN:Ifeoma Okoro\r\n"
    "ORG:Sakura Robotics\r\n"
    "EMAIL:ifeoma@sakura-robotics.example.org\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Svensson;Maja;;;\r\n"
    "FN:Maja Svensson\r\n"
    "EMAIL:maja@svensson.example.org\r\n"
    "END:VCARD\r\n"
)


def test_must_show_folded_cards_of_one_company_import_as_one_client_with_its_people(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(VCARD_30.encode("utf-8"))
    before = commit_count(sample_ws)
    result = run("import", "vcard", path, "--json")
    assert result.code == 0, result.err
    assert commit_count(sample_ws) == before + 1
    assert last_message(sample_ws) == "import: 2 clients from contacts.vcf"
    assert status_clean(sample_ws)
    sakura = load(sample_ws, "clients/sakura-robotics-gmbh.yaml")
    assert sakura["name"] == "Sakura Robotics GmbH"
    assert sakura["type"] == "company"
    assert sakura["tags"] == ["vip", "enterprise"]
    assert sakura["contacts"] == [
        {
            "name": "Hana Nakamura",
            "role": "Head of Research",
            # the preferred address first, then in file order
            "emails": ["hana.n@gmail.com", "hana@sakura-robotics.example.org"],
            "phones": ["+49 171 555 0101", "+49 30 555 0100"],
            "notes": "Met at Hannover Messe; wants a demo in January. This note is long "
            "enough to be folded over several lines, as RFC 6350 says.",
        },
        {"name": "Lukas Weber", "role": "CTO", "emails": ["lukas@sakura-robotics.example.org"]},
        {"name": "Ifeoma Okoro", "emails": ["ifeoma@sakura-robotics.example.org"]},
    ]
    maja = load(sample_ws, "clients/maja-svensson.yaml")
    assert maja == {
        "name": "Maja Svensson",
        "type": "person",
        "emails": ["maja@svensson.example.org"],
    }
    report = json.loads(result.out)
    assert [c["id"] for c in report["created"]] == ["sakura-robotics-gmbh", "maja-svensson"]
    assert report["duplicates"] == []


VCARD_40 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "KIND:org\r\n"
    "FN:Blue Harbor Foods\r\n"
    "ORG:Blue Harbor Foods\r\n"
    "URL:https://blueharbor.example.org\r\n"
    "ADR;TYPE=work:;;Kaistraße 5;Kiel;;24103;Germany\r\n"
    'TEL;VALUE=uri;TYPE="work,voice":tel:+49-431-555-0177\r\n'
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Tomás Ruiz\r\n"
    "ORG:Blue Harbor Foods\r\n"
    "EMAIL;PREF=2:tomas@blueharbor.example.org\r\n"
    "EMAIL;PREF=1:t.ruiz@blueharbor.example.org\r\n"
    "ROLE:Buyer\r\n"
    "END:VCARD\r\n"
)


def test_vcard_4_company_card_and_person_cards(sample_ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "v4.vcf"
    path.write_text(VCARD_40, encoding="utf-8", newline="")
    result = run("import", "vcard", path)
    assert result.code == 0, result.err
    assert last_message(sample_ws) == "import: 1 client from v4.vcf"
    client = load(sample_ws, "clients/blue-harbor-foods.yaml")
    assert client["website"] == "https://blueharbor.example.org"
    assert client["address"] == "Kaistraße 5, Kiel, 24103, Germany"
    assert client["phones"] == ["+49-431-555-0177"]
    assert client["contacts"] == [
        {
            "name": "Tomás Ruiz",
            "role": "Buyer",
            "emails": ["t.ruiz@blueharbor.example.org", "tomas@blueharbor.example.org"],
        }
    ]


def test_a_category_outside_the_tag_list_is_named(sample_ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nCATEGORIES:myContacts\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "vcard", path)
    assert result.code == 1
    assert result.err.startswith(
        "Values not in tcrm.yaml's lists:\n  tags: 'myContacts' (1 card)\n"
    )
    assert "--new-values add" in result.err
    assert snapshot(sample_ws) == before and commit_count(sample_ws) == commits


def test_the_same_cards_again_are_duplicates_and_make_no_commit(
    sample_ws: Path, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(VCARD_30.encode("utf-8"))
    assert run("import", "vcard", path).code == 0
    commits = commit_count(sample_ws)
    again = run("import", "vcard", path, "--json")
    assert again.code == 0, again.err
    report = json.loads(again.out)
    assert {d["duplicate_of"] for d in report["duplicates"]} == {
        "sakura-robotics-gmbh",
        "maja-svensson",
    }
    assert report["created"] == [] and report["commit"] is None
    assert commit_count(sample_ws) == commits
    plain = run("import", "vcard", path)
    assert "Imported 0 clients from contacts.vcf (2 duplicates skipped)." in plain.err


@pytest.mark.parametrize(
    "text",
    ["Name,Email\nAda,ada@x.example.org\n", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken\r\n"],
)
def test_a_file_without_readable_cards_is_refused(
    sample_ws: Path, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "bad.vcf"
    path.write_text(text, encoding="utf-8")
    before, commits = snapshot(sample_ws), commit_count(sample_ws)
    result = run("import", "vcard", path)
    assert_refused(sample_ws, result, before, commits)
    assert "bad.vcf" in result.err


# --- export, read back by vobject ----------------------------------------------------------


def _cards(text: str) -> list[Any]:
    return list(vobject.readComponents(text))


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_must_show_export_vcard_reads_back_in_an_independent_parser(
    sample_ws: Path, tmp_path: Path, version: str
) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(VCARD_30.encode("utf-8"))
    assert run("import", "vcard", path).code == 0
    out = tmp_path / "out.vcf"
    result = run(
        "export",
        "vcard",
        "--where",
        "name=Sakura Robotics GmbH",
        "--vcard-version",
        version,
        "-o",
        out,
    )
    assert result.code == 0, result.err
    assert "Exported 1 client to" in result.err
    raw = out.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    assert b"\n" not in raw.replace(b"\r\n", b"")
    cards = _cards(raw.decode("utf-8"))
    assert [c.fn.value for c in cards] == [
        "Sakura Robotics GmbH",
        "Hana Nakamura",
        "Lukas Weber",
        "Ifeoma Okoro",
    ]
    assert {c.version.value for c in cards} == {version}
    company, hana = cards[0], cards[1]
    assert company.org.value == ["Sakura Robotics GmbH"]
    assert company.categories.value == ["vip", "enterprise"]
    assert company.uid.value == "urn:tcrm:client:sakura-robotics-gmbh"
    assert hana.org.value == ["Sakura Robotics GmbH"]
    assert hana.title.value == "Head of Research"
    assert [e.value for e in hana.contents["email"]] == [
        "hana.n@gmail.com",
        "hana@sakura-robotics.example.org",
    ]
    assert hana.note.value.startswith("Met at Hannover Messe; wants a demo")
    assert hana.n.value.family == "Nakamura" and hana.n.value.given == "Hana"
    if version == "4.0":
        assert company.kind.value == "org"


def test_sample_clients_survive_export_vcard_then_import_vcard(
    sample_ws: Path, tmp_path: Path
) -> None:
    out = tmp_path / "all.vcf"
    assert run("export", "vcard", "-o", out).code == 0
    assert len(_cards(out.read_text(encoding="utf-8"))) > 25
    template = tmp_path / "template"
    template.mkdir()
    shutil.copy(SAMPLE / "tcrm.yaml", template / "tcrm.yaml")
    fresh = init_workspace(tmp_path / "fresh", template=template).root
    result = run("-w", fresh, "import", "vcard", out)
    assert result.code == 0, result.err
    assert last_message(fresh) == "import: 25 clients from all.vcf"
    for path in sorted((sample_ws / "clients").iterdir()):
        copy = fresh / "clients" / path.name
        assert copy.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


def test_escaping_and_folding_follow_rfc_6350() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "NOTE:" + "ü" * 60
    folded = fold(line)
    parts = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:-1])
    assert folded.replace("\r\n ", "").removesuffix("\r\n") == line  # never inside a character
