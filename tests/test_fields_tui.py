"""Custom fields in the TUI's edit forms: the widget each type calls for, checked as
``--set`` checks it, saved in one commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select
from textual.widgets.select import InvalidSelectValueError

from tcrm.model.records import Client, Deal
from tcrm.store.workspace import Workspace
from tcrm.tui.screens.forms import ClientEditForm, DealEditForm
from tests.clitools import commit_count, git, load
from tests.test_fields import FIELDS
from tests.test_tui_pilot import drive, field_error, make_app, settle, type_into

TEAM = "team:\n- id: ann\n  name: Ann Becker\n- id: ben\n  name: Ben Okafor\n"


def _workspace(workspace: Workspace) -> Path:
    root = workspace.root
    settings = root / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("team: []", TEAM) + FIELDS)
    (root / "clients").mkdir(exist_ok=True)
    (root / "clients/acme.yaml").write_text("name: Acme\nemployees: '12'\n")
    (root / "clients/bolt.yaml").write_text("name: Bolt\n")
    (root / "deals").mkdir(exist_ok=True)
    (root / "deals/acme-site.yaml").write_text(
        "title: Site\nclient: acme\npipeline: sales\nstage: lead\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fields, team and records")
    return root


def test_client_edit_form_has_the_widget_of_each_type(workspace: Workspace) -> None:
    root = _workspace(workspace)
    app = make_app(root)
    commits = commit_count(root)

    async def scenario(pilot: Pilot[Any]) -> None:
        client = app.ws.get("client", "acme")
        assert isinstance(client, Client)
        app.push_screen(ClientEditForm(client))
        await settle(pilot)
        form = app.screen
        assert isinstance(form.query_one("#field-industry"), Select)
        assert isinstance(form.query_one("#field-manager"), Select)
        assert isinstance(form.query_one("#field-partner"), Checkbox)
        since = form.query_one("#field-since", Input)
        assert "fri" in since.placeholder  # read as --due reads a date
        assert form.query_one("#field-employees", Input).value == "12"
        manager = form.query_one("#field-manager", Select)
        assert len(manager.query_one(OptionList).options) == 3  # (none), ann, ben
        for member in ("ann", "ben"):
            manager.value = member  # each team member is offered
        with pytest.raises(InvalidSelectValueError):
            manager.value = "zed"  # and nobody else
        manager.value = Select.NULL
        await type_into(pilot, "#field-employees", "many")
        await settle(pilot)
        assert "'many' is not a number" in field_error(app, "employees")
        await type_into(pilot, "#field-employees", "1,200")
        await type_into(pilot, "#field-since", "+3d")
        await type_into(pilot, "#field-channels", "web, shop")
        form.query_one("#field-industry", Select).value = "retail"
        form.query_one("#field-manager", Select).value = "ben"
        form.query_one("#field-partner", Checkbox).value = True
        await settle(pilot)
        assert field_error(app, "employees") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClientEditForm)

    drive(app, scenario)
    data = load(root, "clients/acme.yaml")
    assert {k: data.get(k) for k in ("employees", "since", "channels", "industry")} == {
        "employees": "1200",
        "since": "2026-11-26",
        "channels": ["web", "shop"],
        "industry": "retail",
    }
    assert (data["manager"], data["partner"]) == ("ben", True)
    assert "revenue" not in data and "vat" not in data  # untouched fields stay unset
    assert commit_count(root) == commits + 1


def test_an_unticked_checkbox_leaves_an_unset_bool_unset(workspace: Workspace) -> None:
    """A checkbox cannot show "unset": saving a form whose box was never ticked must not
    write ``partner: false`` into a client that had no value."""
    root = _workspace(workspace)
    app = make_app(root)
    commits = commit_count(root)

    async def scenario(pilot: Pilot[Any]) -> None:
        client = app.ws.get("client", "bolt")
        assert isinstance(client, Client)
        app.push_screen(ClientEditForm(client))
        await settle(pilot)
        assert app.screen.query_one("#field-partner", Checkbox).value is False
        await type_into(pilot, "#field-vat", "DE1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        deal = app.ws.get("deal", "acme-site")
        assert isinstance(deal, Deal)
        app.push_screen(DealEditForm(deal))
        await settle(pilot)
        await type_into(pilot, "#field-competitor", "Globex")
        await pilot.press("ctrl+s")
        await settle(pilot)

    drive(app, scenario)
    client = load(root, "clients/bolt.yaml")
    assert client["vat"] == "DE1"
    assert "partner" not in client
    assert load(root, "deals/acme-site.yaml")["competitor"] == "Globex"
    assert commit_count(root) == commits + 2
