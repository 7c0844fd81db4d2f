"""schema/ is generated from the models, and validates real files the way an editor would."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from tcrm.model.schema import json_schemas, render

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
SAMPLE = ROOT / "sample_workspace"
REGENERATE = "python scripts/make_schema.py"


def test_committed_schema_matches_the_models() -> None:
    expected = json_schemas()
    committed = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert committed == set(expected), f"schema/ is out of date: run `{REGENERATE}`"
    for name, schema in expected.items():
        on_disk = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert on_disk == render(schema), f"schema/{name} is out of date: run `{REGENERATE}`"


def _editor_view(value):
    """What a YAML 1.2 editor sees: dates are text, 12000.50 is a number."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _editor_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_editor_view(v) for v in value]
    return value


def _files():
    yield "settings", SAMPLE / "tcrm.yaml"
    for kind, folder in (
        ("client", "clients"),
        ("deal", "deals"),
        ("task", "tasks"),
        ("activity", "activities"),
    ):
        for path in sorted((SAMPLE / folder).rglob("*.yaml")):
            yield kind, path


def _validator(schema: dict) -> jsonschema.protocols.Validator:
    """What ``jsonschema.validate`` builds for ``schema`` (the schema itself checked
    first), made once per schema instead of once per file: checking a schema is most of
    the cost of a small file's validation."""
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_sample_files_validate_against_the_schema() -> None:
    yaml = YAML(typ="safe", pure=True)
    validators = {
        name.removesuffix(".schema.json"): _validator(json.loads((SCHEMA_DIR / name).read_text()))
        for name in json_schemas()
    }
    checked = 0
    for kind, path in _files():
        data = _editor_view(yaml.load(path.read_text(encoding="utf-8")))
        validators[kind].validate(data)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("deal", {"title": "x", "client": "acme", "pipeline": "sales", "stage": 3}),
        (
            "deal",
            {"title": "x", "client": "acme", "pipeline": "sales", "stage": "a", "amount": "abc"},
        ),
        ("task", {"title": "x", "status": "maybe"}),
        ("settings", {"name": "x"}),
    ],
)
def test_schema_rejects_what_the_models_reject(kind, data) -> None:
    schema = json_schemas()[f"{kind}.schema.json"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
