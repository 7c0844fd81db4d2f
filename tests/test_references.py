"""Names that should match do (issue 17, item 9): a unique case-insensitive prefix of a
client's name, a deal's or task's title, or a contact person's name names the record;
an ambiguous one is refused, listing the candidates. Everywhere references are resolved:
``--client``, record references of ``show``/``done``..., ``log``'s target, ``--contact``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clitools import assert_refused, commit_count, load, run, snapshot


def _json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _refused(root: Path, *args: str) -> str:
    before, commits = snapshot(root), commit_count(root)
    result = run(*args)
    assert_refused(root, result, before, commits)
    return result.err


def _new_file(root: Path, folder: str, before: set[str]) -> dict[str, Any]:
    added = [p for p in (root / folder).rglob("*.yaml") if p.name not in before]
    assert len(added) == 1, added
    return load(root, added[0].relative_to(root).as_posix())


def _names(root: Path, folder: str) -> set[str]:
    return {p.name for p in (root / folder).rglob("*.yaml")}


# --- a prefix of a name -------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["Lumen Robotics", "lumen robotics", "LUMEN ROB"])
def test_client_show_by_a_prefix_of_the_name(sample_ws: Path, ref: str) -> None:
    assert _json("client", "show", ref)["client"]["id"] == "lumen-robotics-inc"


def test_client_option_takes_a_prefix_of_the_name(sample_ws: Path) -> None:
    kolibri = {
        d["id"] for d in _json("deal", "list", "--all") if d["client"] == "kolibri-reisen-gmbh"
    }
    assert kolibri
    assert {
        d["id"] for d in _json("deal", "list", "--all", "--client", "Kolibri Reisen")
    } == kolibri
    tasks = _json("task", "list", "--all", "--client", "kolibri reisen")
    assert tasks == _json("task", "list", "--all", "--client", "kolibri-reisen-gmbh")
    activities = _json("activity", "list", "--client", "Kolibri Reisen")
    assert activities == _json("activity", "list", "--client", "kolibri-reisen-gmbh")
    assert activities


def test_deal_add_client_by_a_prefix_of_the_name(sample_ws: Path) -> None:
    before = _names(sample_ws, "deals")
    result = run("deal", "add", "Robot fleet app", "--client", "Lumen Robotics")
    assert result.code == 0, result.err
    assert _new_file(sample_ws, "deals", before)["client"] == "lumen-robotics-inc"


def test_task_add_client_by_a_prefix_of_the_name(sample_ws: Path) -> None:
    before = _names(sample_ws, "tasks")
    result = run("task", "add", "Call about the fleet", "--client", "Lumen Robotics")
    assert result.code == 0, result.err
    assert _new_file(sample_ws, "tasks", before)["clients"] == ["lumen-robotics-inc"]


def test_log_target_by_a_prefix_of_the_name(sample_ws: Path) -> None:
    before = _names(sample_ws, "activities")
    result = run("log", "Lumen Robotics", "call: wants a demo")
    assert result.code == 0, result.err
    assert _new_file(sample_ws, "activities", before)["clients"] == ["lumen-robotics-inc"]


def test_deal_and_task_by_a_prefix_of_the_title(sample_ws: Path) -> None:
    deal = _json("deal", "show", "Acme Logistics website")
    assert deal["id"] == "acme-logistics-website-relaunch"
    task = _json("task", "show", "Hand over the Acme")
    assert task["title"] == "Hand over the Acme Logistics website documentation"


# --- a prefix of a contact person's name --------------------------------------------------


def test_client_by_a_prefix_of_a_contact_name(sample_ws: Path) -> None:
    assert _json("client", "show", "Stefanie Hu")["client"]["id"] == "kolibri-reisen-gmbh"


def test_log_contact_by_a_prefix_of_the_name(sample_ws: Path) -> None:
    before = _names(sample_ws, "activities")
    result = run("log", "stefanie", "call: brochure")
    assert result.code == 0, result.err
    activity = _new_file(sample_ws, "activities", before)
    assert activity["clients"] == ["kolibri-reisen-gmbh"]
    assert activity["contacts"] == ["Stefanie Huber"]


def test_contact_option_takes_a_prefix_of_the_name(sample_ws: Path) -> None:
    before = _names(sample_ws, "tasks")
    result = run("task", "add", "Send the brochure", "--contact", "Stefanie")
    assert result.code == 0, result.err
    task = _new_file(sample_ws, "tasks", before)
    assert task["contacts"] == ["Stefanie Huber"]
    assert task["clients"] == ["kolibri-reisen-gmbh"]
    before = _names(sample_ws, "deals")
    result = run("deal", "add", "Brochure", "--client", "kolibri", "--contact", "stef")
    assert result.code == 0, result.err
    assert _new_file(sample_ws, "deals", before)["contacts"] == ["Stefanie Huber"]


# --- ambiguous: refused, listing the candidates --------------------------------------------


@pytest.fixture
def two_blue_bottles(sample_ws: Path) -> Path:
    for name in ("Blue Bottle Coffee", "Blue Bottle Bakery"):
        result = run("client", "add", name, "--force")
        assert result.code == 0, result.err
    return sample_ws


def test_a_unique_prefix_among_similar_names(two_blue_bottles: Path) -> None:
    assert _json("client", "show", "Blue Bottle C")["client"]["id"] == "blue-bottle-coffee"
    assert _json("client", "show", "blue bottle b")["client"]["id"] == "blue-bottle-bakery"


@pytest.mark.parametrize(
    "args",
    [
        ("deal", "add", "Beans", "--client", "Blue Bottle"),
        ("task", "add", "Call", "--client", "Blue Bottle"),
        ("log", "Blue Bottle", "call: hello"),
        ("client", "show", "Blue Bottle"),
        ("deal", "list", "--client", "Blue Bottle"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_ambiguous_prefix_is_refused_listing_the_candidates(
    two_blue_bottles: Path, args: tuple[str, ...]
) -> None:
    error = _refused(two_blue_bottles, *args)
    assert "Blue Bottle" in error
    assert "blue-bottle-coffee" in error
    assert "blue-bottle-bakery" in error


def test_an_ambiguous_contact_prefix_is_refused_listing_the_candidates(sample_ws: Path) -> None:
    person = "Stefanie Ziegler <sz@zeta.example>"
    assert run("client", "add", "Zeta Works", "--contact", person, "--force").code == 0
    for args in (
        ("task", "add", "Call", "--contact", "Stefanie"),
        ("log", "stefanie", "call: brochure"),
        ("client", "show", "Stefanie"),
    ):
        error = _refused(sample_ws, *args)
        assert "Stefanie Huber" in error or "kolibri-reisen-gmbh" in error, error
        assert "Stefanie Ziegler" in error or "zeta-works" in error, error
    before = _names(sample_ws, "tasks")
    result = run("task", "add", "Call", "--contact", "Stefanie Z")
    assert result.code == 0, result.err
    task = _new_file(sample_ws, "tasks", before)
    assert task["contacts"] == ["Stefanie Ziegler"]
    assert task["clients"] == ["zeta-works"]


def test_an_exact_name_beats_a_longer_one_it_starts(sample_ws: Path) -> None:
    for name in ("Nova", "Nova Systems"):
        assert run("client", "add", name, "--force").code == 0
    assert _json("client", "show", "nova")["client"]["id"] == "nova"
    assert _json("client", "show", "Nova S")["client"]["id"] == "nova-systems"
