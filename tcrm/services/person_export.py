"""Access request (GDPR Art. 15): ``tcrm export person`` writes everything the workspace
holds about one person or client, as JSON for machines and Markdown for the person.

What is "everything" is what erasure would touch (``erasure.plan_erasure``): the client
or contact entry, their deals, tasks and activities, and every other record or kb page
that names them. Private fields are decrypted when the exporting member may read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from tcrm.errors import UsageError
from tcrm.model.records import Client, Record
from tcrm.services import erasure
from tcrm.services.merging import FOLDER_KINDS
from tcrm.services.private import reveal
from tcrm.services.records import local_now
from tcrm.store import files
from tcrm.store.workspace import Workspace


@dataclass
class PersonExport:
    json_path: Path
    markdown_path: Path
    records: int
    pages: int


def outputs(output: Path) -> tuple[Path, Path]:
    """``FILE.json`` and ``FILE.md`` for ``-o FILE`` (a ``.json`` or ``.md`` suffix given
    is dropped first)."""
    base = output.with_suffix("") if output.suffix in (".json", ".md") else output
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".md")


def _record_of(ws: Workspace, path: str) -> Record | None:
    parts = PurePosixPath(path).parts
    kind = FOLDER_KINDS.get(parts[0]) if parts else None
    if kind is None or not path.endswith(".yaml"):
        return None
    record_id = PurePosixPath(path).stem
    try:
        return ws.get(kind, record_id)
    except Exception:  # an unreadable record is exported as text below
        return None


def person_data(ws: Workspace, ref: str, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about the person ``ref`` names, as plain data."""
    plan = erasure.plan_erasure(ws, ref)
    client, people = erasure.find_subject(ws, ref)
    if client is not None:
        subject: dict[str, Any] = {
            "kind": "client",
            "id": client.id,
            "name": client.name,
            "emails": list(client.emails),
            "phones": list(client.phones),
        }
    else:
        first = people[0][1]
        subject = {
            "kind": "contact",
            "name": first.name,
            "emails": sorted({e for _, p in people for e in p.emails}),
            "phones": sorted({n for _, p in people for n in p.phones}),
            "clients": [c.id for c, _ in people],
        }
    scrubber = plan.scrubber()
    records: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    for place in plan.places:
        record = _record_of(ws, place.path)
        if record is not None:
            shown = reveal(ws, record)
            data = shown.to_data()
            if client is None and isinstance(shown, Client):  # not the other contacts
                mine = [
                    c.model_dump(mode="json", exclude_defaults=True)
                    for c in shown.contacts
                    if scrubber.found(c.name)
                ]
                data = {"name": shown.name, "contacts": mine}
            records.append({"kind": record.KIND, "id": record.id, "path": place.path, "data": data})
            continue
        text = (ws.root / place.path).read_text(encoding="utf-8", errors="replace")
        lines = [line.rstrip() for line in text.splitlines() if scrubber.found(line)]
        pages.append({"path": place.path, "lines": lines})
    return {
        "subject": subject,
        "workspace": ws.settings.name,
        "exported_at": local_now(ws, now).replace(microsecond=0).isoformat(),
        "records": records,
        "pages": pages,
    }


def _value(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def markdown(data: dict[str, Any]) -> str:
    """The same data as a summary a person can read."""
    subject = data["subject"]
    out = [
        f"# Personal data held about {subject['name']}",
        "",
        f"Workspace: {data['workspace']}  ",
        f"Exported: {data['exported_at']}",
        "",
    ]
    for key in ("emails", "phones"):
        if subject.get(key):
            out.append(f"- {key.capitalize()}: {', '.join(subject[key])}")
    out.append("")
    titles = {"client": "Clients", "deal": "Deals", "task": "Tasks", "activity": "Activities"}
    for kind, title in titles.items():
        group = [r for r in data["records"] if r["kind"] == kind]
        if not group:
            continue
        out += [f"## {title}", ""]
        for record in group:
            out += [f"### {record['id']} ({record['path']})", ""]
            out += [f"- **{k}**: {_value(v)}" for k, v in record["data"].items()]
            out.append("")
    if data["pages"]:
        out += ["## Knowledge base pages that mention them", ""]
        for page in data["pages"]:
            out += [f"### {page['path']}", ""]
            out += [f"> {line}" for line in page["lines"]]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def export_person(
    ws: Workspace, *, ref: str, output: Path, now: datetime | None = None
) -> PersonExport:
    """Write ``FILE.json`` and ``FILE.md``; refused inside the workspace (a copy of
    personal data must not end up committed)."""
    json_path, md_path = outputs(output.expanduser().resolve())
    root = ws.root.resolve()
    if root == json_path.parent or root in json_path.parents:
        raise UsageError(
            f"-o {output}: write the export outside the workspace ({root}), so the copy of "
            "personal data is not committed"
        )
    if not json_path.parent.is_dir():
        raise UsageError(f"-o {output}: folder {json_path.parent} does not exist")
    data = person_data(ws, ref, now)
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    files.atomic_write(json_path, text.encode("utf-8"))
    files.atomic_write(md_path, markdown(data).encode("utf-8"))
    return PersonExport(json_path, md_path, len(data["records"]), len(data["pages"]))


__all__ = ["PersonExport", "export_person", "markdown", "outputs", "person_data"]
