"""JSON Schema of the files a person edits, generated from the models (for editors)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

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
