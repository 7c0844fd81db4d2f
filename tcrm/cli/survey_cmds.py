"""``tcrm survey``: customer satisfaction answers (0-10), logged as activities."""

from __future__ import annotations

from typing import Annotated

import typer

from tcrm.cli import render
from tcrm.cli.state import now, workspace
from tcrm.services import surveys as service

survey_app = typer.Typer(
    help="Customer satisfaction surveys: log an answer's score (0-10); see `tcrm report nps`.",
    no_args_is_help=True,
)


def survey_log(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            metavar="REF", help="The client, contact or deal who answered (id, prefix or name)."
        ),
    ],
    score: Annotated[
        int,
        typer.Option(
            "--score",
            help="The answer: 0 (not at all likely to recommend us) to 10 (extremely likely).",
            show_default=False,
        ),
    ],
    question: Annotated[
        str | None,
        typer.Option(help="The question asked (default: the NPS question).", metavar="TEXT"),
    ] = None,
    answer: Annotated[
        str | None, typer.Option(help="What they said besides the score.", metavar="TEXT")
    ] = None,
    author: Annotated[
        str | None, typer.Option(help="Who asked (default: you, by git identity).")
    ] = None,
) -> None:
    """Log a survey answer: an activity of kind survey with its score; prints its id."""
    activity = service.log_survey(
        workspace(ctx),
        ref=ref,
        score=score,
        question=question,
        answer=answer,
        author=author,
        now=now(ctx),
    )
    render.message(f"logged survey {activity.id}: {', '.join(activity.clients)} {score}/10")
    print(activity.id)


def register(app: typer.Typer) -> None:
    survey_app.command("log")(survey_log)
    app.add_typer(survey_app, name="survey")


__all__ = ["register"]
