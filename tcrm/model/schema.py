"""JSON Schema of the files a person edits, generated from the models (for editors)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from tcrm.model.fields import FieldDef
from tcrm.model.records import RECORD_TYPES
from tcrm.model.settings import Settings

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _schema(model: type[BaseModel], title: str, description: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": SCHEMA_DRAFT,
        "title": title,
        "description": description,
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for ``schema/``: settings plus one per kind of record."""
    out = {
        "settings.schema.json": _schema(
            Settings, "tcrm.yaml", "tcrm workspace settings (format version 1)"
        )
    }
    for kind, model in RECORD_TYPES.items():
        out[f"{kind}.schema.json"] = _schema(
            model, f"tcrm {kind}", (model.__doc__ or kind).strip().splitlines()[0]
        )
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def field_schema(definition: FieldDef, members: list[str]) -> dict[str, Any]:
    """The JSON Schema of one custom field's stored value, as an editor reads the file
    (YAML 1.2: ``50`` is a number to it, ``2026-12-01`` text)."""
    kind = definition.type
    schema: dict[str, Any]
    if kind == "number":
        schema = {"type": ["string", "number"], "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
    elif kind == "money":
        schema = {"type": ["string", "number"], "pattern": r"^[0-9]+(\.[0-9]+)?$", "minimum": 0}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "choice":
        schema = {"enum": list(definition.choices)}
    elif kind == "multi":
        schema = {"type": "array", "items": {"enum": list(definition.choices)}, "uniqueItems": True}
    elif kind == "member" and members:
        schema = {"enum": members}
    else:
        schema = {"type": "string"}
    what = f"custom {kind} field" + (f" (a {definition.to} id)" if kind == "ref" else "")
    titled = {"title": definition.label} if definition.label else {}
    return {**titled, "description": what, **schema}


def workspace_schema(settings: Settings, kind: str) -> dict[str, Any]:
    """The schema of a record kind (or ``settings``) with this workspace's custom fields
    as known properties: what ``tcrm schema`` prints for yaml-language-server."""
    if kind == "settings":
        return json_schemas()["settings.schema.json"]
    schema = json_schemas()[f"{kind}.schema.json"]
    members = [m.id for m in settings.team]
    for name, definition in settings.fields.of(kind).items():
        schema["properties"][name] = field_schema(definition, members)
    schema["description"] += f" ({settings.name}: with its custom fields)"
    return schema
