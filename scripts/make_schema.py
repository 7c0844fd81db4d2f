"""Regenerate schema/*.json from the models: python scripts/make_schema.py"""

from __future__ import annotations

import sys
from pathlib import Path

from tcrm.model.schema import json_schemas, render

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    target = ROOT / "schema"
    target.mkdir(exist_ok=True)
    for name, schema in json_schemas().items():
        (target / name).write_text(render(schema), encoding="utf-8")
        print(f"wrote schema/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
