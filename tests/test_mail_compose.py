"""Drafts and templates (tcrm.mail.compose): what the editor shows reads back the same,
and no text from a record can add a recipient or a header."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcrm.errors import UsageError
from tcrm.mail.compose import (
    Draft,
    MissingValue,
    build_message,
    check_fields,
    draft_text,
    fill,
    read_draft,
    read_template,
)
from tests.mailtools import NOW

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(name=texts, subject=texts, body=texts)
def test_a_draft_reads_back_with_its_one_recipient_whatever_the_record_text(
    name: str, subject: str, body: str
) -> None:
    draft = Draft((("", "jo@acme.example"),), (), subject, body + "\nHello\n")
    shown = draft_text(Draft(((name, "jo@acme.example"),), (), subject, draft.body))
    try:
        back = read_draft(shown)
    except UsageError as exc:  # an empty subject is refused: never a traceback
        assert "Subject" in str(exc)
        return
    assert [address for _, address in back.to] == ["jo@acme.example"]
    assert back.cc == ()
    message = build_message(back, sender=("Ann", "ann@ourco.example"), now=NOW)
    assert message.get_all("To") and len(message.get_all("To")) == 1
    assert message["Cc"] is None and message["Bcc"] is None
    assert "\n" not in str(message["Subject"])


def test_templates_split_the_subject_and_name_the_line_of_an_unknown_field() -> None:
    template = read_template("Subject: Hi {{client.name}}\n\nDear {{contact.first_name}},\n"
                             "about {{deal.title}}\n", "kb/x.md")  # fmt: skip
    assert (template.subject, template.body_line) == ("Hi {{client.name}}", 3)
    with pytest.raises(UsageError, match=r"kb/x\.md:4: unknown field \{\{deal\.title\}\}"):
        check_fields(template.body, template.source, {"name"}, template.body_line)
    check_fields("{{ client.name }} {{me.email}}", "s", {"name"})
    with pytest.raises(UsageError, match="unknown field"):
        check_fields("{{client}}", "s", {"name"})
    assert fill("Dear {{contact.first_name}}", {"contact.first_name": "Jo"}, "acme") == "Dear Jo"
    with pytest.raises(MissingValue, match=r"acme has no client\.website"):
        fill("{{client.website}}", {"client.website": " "}, "acme")


def test_a_draft_without_recipient_subject_or_body_is_refused() -> None:
    for text, says in [
        ("Subject: x\n\nbody\n", "no To:"),
        ("To: jo@acme.example\n\nbody\n", "no Subject:"),
        ("To: jo@acme.example\nSubject: x\n\n  \n", "body is empty"),
        ("To: not an address\nSubject: x\n\nbody\n", "is not an email address"),
        ("# tcrm: only comments\n", "empty"),
    ]:
        with pytest.raises(UsageError, match=says):
            read_draft(text)
