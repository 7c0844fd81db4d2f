"""``tcrm kb``: the team's knowledge base (``kb/*.md``) listed, read, searched and added to."""

from __future__ import annotations

from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.state import workspace
from tcrm.cli.terminal import out
from tcrm.errors import UsageError
from tcrm.services import kb as service

kb_app = typer.Typer(
    help="The knowledge base: the team's scripts, FAQs and playbooks in kb/*.md.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/json/kb.md).")]


def kb_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the pages, by title."""
    pages = service.list_pages(workspace(ctx))
    if as_json:
        render.emit_json([{"name": p.name, "title": p.title} for p in pages])
        return
    render.table(["Page", "Title"], [[p.name, p.title] for p in pages])


def kb_show(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="PAGE", help="The page's file name (.md optional).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Print a page."""
    page = service.read_page(workspace(ctx), name=name)
    if as_json:
        render.emit_json({"name": page.name, "title": page.title, "text": page.text})
        return
    out.print(page.text.rstrip("\n"), markup=False, highlight=False)


def kb_search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Words to find, any case.")],
    as_json: JsonOption = False,
) -> None:
    """Pages that contain the text, the most mentions first."""
    hits = service.search_pages(workspace(ctx), text=text)
    if as_json:
        render.emit_json(
            [
                {"name": h.page.name, "title": h.page.title, "count": h.count, "excerpt": h.excerpt}
                for h in hits
            ]
        )
        return
    render.table(
        ["Page", "Title", "Found", "Excerpt"],
        [[h.page.name, h.page.title, h.count, h.excerpt] for h in hits],
    )


def kb_new(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="The page's title.")],
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="The file name (default: from the title)."),
    ] = None,
) -> None:
    """Write a new page in $EDITOR (one commit when saved with text)."""
    from tcrm.cli.editor import run_editor

    ws = workspace(ctx)
    file_name = service.page_name(name or title)
    template = f"# {title}\n\n"
    text = run_editor(template, file_name)
    if text.strip() == template.strip():
        raise UsageError("the page was left as it was; nothing was written")
    page = service.new_page(ws, name=file_name, text=text)
    render.message(f"Added kb/{page.name} ({page.title})")


def register(app: typer.Typer) -> None:
    kb_app.command("list")(kb_list)
    kb_app.command("show")(kb_show)
    kb_app.command("search")(kb_search)
    kb_app.command("new")(kb_new)
    app.add_typer(kb_app, name="kb")


__all__ = ["register"]
