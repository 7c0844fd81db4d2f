"""``tcrm docs``: Markdown that explains this workspace's configuration, from ``tcrm.yaml``
and its git history.

A CRM whose configuration documents itself: the pipelines with their stages,
probabilities, rotting thresholds, required fields and task templates, the transition
matrix, the reference lists, the team and goals, and a changelog of every configuration
change (who, when, which setting from what to what).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tcrm.errors import WorkspaceError
from tcrm.model.merge import FieldChange
from tcrm.model.settings import Pipeline, Settings
from tcrm.services.history import history
from tcrm.store import files
from tcrm.store.workspace import SETTINGS_FILE, Workspace


@dataclass(frozen=True)
class DocPage:
    name: str
    """The file name, e.g. ``pipelines.md``."""
    title: str
    markdown: str


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|")


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _pipeline(pipeline: Pipeline, settings: Settings) -> str:
    default = " (the default)" if settings.pipeline().id == pipeline.id else ""  # type: ignore[union-attr]
    out = [f"## {pipeline.name} (`{pipeline.id}`){default}", ""]
    rows = []
    for number, stage in enumerate(pipeline.stages, 1):
        tasks = "; ".join(
            f"{t.title} (within {t.due_in_days} days{', ' + t.priority if t.priority else ''})"
            for t in stage.tasks
        )
        rows.append(
            [
                number,
                stage.name,
                f"`{stage.id}`",
                f"{stage.probability}%",
                f"{stage.rotting_days} days" if stage.rotting_days else "never",
                ", ".join(stage.required) or "-",
                tasks or "-",
            ]
        )
    headers = ["#", "Stage", "Id", "Win probability", "Rots after", "Required", "Tasks on entry"]
    out += [table(headers, rows), ""]
    reasons = ", ".join(settings.lists.lost_reasons) or "none configured"
    out += [
        "Closing is a status, not a stage: a deal is **won** (it needs an amount) or "
        f"**lost** (it needs a reason: {reasons}) from any stage.",
        "",
        "### Transitions",
        "",
    ]
    ids = pipeline.stage_ids()
    if pipeline.transitions is None:
        out += ["No transition matrix: a deal may move from any stage to any other.", ""]
    else:
        out += ["Rows are the stage a deal is in, columns where it may move (✓).", ""]
    rows = []
    for source in ids:
        row: list[Any] = [f"**{source}**"]
        for target in ids:
            row.append(
                "—" if source == target else "✓" if pipeline.may_move(source, target) else ""
            )
        rows.append(row)
    out += [table(["from \\ to", *ids], rows), ""]
    return "\n".join(out)


def _pipelines_page(settings: Settings) -> DocPage:
    body = ["# Pipelines", ""]
    body += [_pipeline(p, settings) for p in settings.pipelines]
    return DocPage("pipelines.md", "Pipelines", "\n".join(body).rstrip() + "\n")


def _lists_page(settings: Settings) -> DocPage:
    body = [
        "# Reference lists",
        "",
        "A value outside its list is refused, so reports group cleanly. Edit them in "
        f"`{SETTINGS_FILE}` under `lists:`.",
        "",
    ]
    names = {
        "sources": "Sources (where clients and deals come from)",
        "tags": "Tags",
        "lost_reasons": "Lost reasons",
        "regions": "Regions",
        "client_statuses": "Client statuses",
        "activity_kinds": "Activity kinds",
    }
    lists = settings.lists.model_dump()
    for key, values in lists.items():
        body += [f"## {names.get(key, key)} (`{key}`)", ""]
        body += (
            [f"- {v}" for v in values] if values else ["(none configured: any value is refused)"]
        )
        body.append("")
    return DocPage("lists.md", "Reference lists", "\n".join(body).rstrip() + "\n")


def _team_page(settings: Settings) -> DocPage:
    body = ["# Team", ""]
    if settings.team:
        rows = [
            [f"`{m.id}`", m.name, m.email or "", m.timezone or f"{settings.timezone} (workspace)"]
            for m in settings.team
        ]
        body += [table(["Id", "Name", "Email", "Time zone"], rows), ""]
    else:
        body += ["No team members are configured.", ""]
    body += ["## Goals", ""]
    if settings.goals:
        rows = []
        for goal in settings.goals:
            metric = goal.metric + (f" ({goal.kind})" if goal.kind else "")
            target = f"{goal.target:g}"
            if goal.metric == "won_amount":
                target += f" {settings.currency}"
            rows.append([metric, target, f"per {goal.period}", goal.member or "every member"])
        body += [table(["Metric", "Target", "Period", "For"], rows), ""]
    else:
        body += ["No goals are configured.", ""]
    return DocPage("team.md", "Team and goals", "\n".join(body).rstrip() + "\n")


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return f"`{text[:77] + '...' if len(text) > 80 else text}`"


def _change(change: FieldChange) -> str:
    """``field: old → new``; for a list of values, what was added and removed."""
    old, new = change.old, change.new
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and not any(isinstance(v, dict | list) for v in (*old, *new))
    ):
        parts = [f"added {_value(v)}" for v in new if v not in old]
        parts += [f"removed {_value(v)}" for v in old if v not in new]
        if parts:
            return f"`{change.field}`: {', '.join(parts)}"
    return f"`{change.field}`: {_value(old)} → {_value(new)}"


def _changelog_page(ws: Workspace) -> DocPage:
    body = [
        "# Configuration changelog",
        "",
        f"Every change to `{SETTINGS_FILE}`, newest first, from the git history.",
        "",
    ]
    entries = history(ws, ref=SETTINGS_FILE)
    if not entries:
        body.append("No recorded changes.")
    for entry in entries:
        day = entry.when.strftime("%Y-%m-%d %H:%M")
        body += [
            f"## {day}: {entry.subject}",
            "",
            f"By {entry.author}, commit `{entry.commit[:8]}`.",
            "",
        ]
        if entry.action == "add":
            body.append("- created the settings")
        else:
            body += [f"- {_change(change)}" for change in entry.changes]
        body.append("")
    return DocPage("changelog.md", "Configuration changelog", "\n".join(body).rstrip() + "\n")


def _index_page(settings: Settings, pages: list[DocPage]) -> DocPage:
    default = settings.pipeline()
    rows: list[list[Any]] = [
        ["Name", settings.name],
        ["Format version", settings.version],
        ["Time zone", settings.timezone],
        ["Currency", settings.currency],
        ["Default pipeline", default.name if default else ""],
        ["Pipelines", ", ".join(p.name for p in settings.pipelines)],
        ["Team", ", ".join(m.name for m in settings.team) or "(none)"],
    ]
    body = [
        f"# {settings.name}: workspace documentation",
        "",
        f"Generated by `tcrm docs` from `{SETTINGS_FILE}` and its git history; "
        "regenerate it after changing the settings.",
        "",
        table(["Setting", "Value"], rows),
        "",
        "## Contents",
        "",
    ]
    body += [f"- [{p.title}]({p.name})" for p in pages]
    return DocPage("index.md", settings.name, "\n".join(body).rstrip() + "\n")


def workspace_docs(ws: Workspace) -> list[DocPage]:
    """Every page, the index first."""
    settings = ws.load_settings()
    pages = [
        _pipelines_page(settings),
        _lists_page(settings),
        _team_page(settings),
        _changelog_page(ws),
    ]
    return [_index_page(settings, pages), *pages]


def write_docs(ws: Workspace, *, out_dir: Path) -> list[Path]:
    """Write the pages into ``out_dir`` (created if needed); returns the files written.

    Nothing is committed: the pages are generated, and can be regenerated any time.
    """
    target = out_dir.expanduser().resolve()
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} exists and is not a directory")
    pages = workspace_docs(ws)
    written = []
    for page in pages:
        path = target / page.name
        files.atomic_write(path, page.markdown.encode("utf-8"))
        written.append(path)
    return written


__all__ = ["DocPage", "workspace_docs", "write_docs"]
