"""The docs name only what exists: files, modules, links and commands.

docs/*.md and README.md are read against the repository and the real command tree, so a
module that moves, a doc that is renamed or a command that is dropped fails here instead
of sending a reader to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcrm.cli import main

pytestmark = pytest.mark.xdist_group("docs_links")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])

PATH = re.compile(r"(?<![\w./-])((?:tcrm|tests|scripts|benchmarks)/[\w/.-]*\w\.py)\b")
MODULE = re.compile(r"(?<![\w./@-])(tcrm(?:\.[A-Za-z_]\w*)+)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
WORD = re.compile(r"[a-z][a-z0-9-]*")
GLOBAL_FLAGS = {"--allow-detached", "--commit-hand-edits", "--version", "--help", "-h"}
GLOBAL_VALUED = {"-w", "--workspace"}


def rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def test_the_pages_are_found() -> None:
    names = {rel(p) for p in PAGES}
    assert {"README.md", "docs/architecture.md", "docs/sync.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_file_path_named_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = sorted({p for p in PATH.findall(text) if not (ROOT / p).is_file()})
    assert missing == [], f"{rel(page)} names files that do not exist"


def module_exists(dotted: str) -> bool:
    """``tcrm.store.index`` (a module or package), or ``tcrm.store.index.COLUMNS``: a
    module and one name it defines (a file extension such as ``tcrm.yaml`` is no module)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        base = ROOT.joinpath(*parts[:cut])
        source = base.with_suffix(".py")
        if not source.is_file():
            source = base / "__init__.py"
        if source.is_file():
            rest = parts[cut:]
            text = source.read_text(encoding="utf-8")
            return not rest or (len(rest) == 1 and re.search(rf"\b{rest[0]}\b", text) is not None)
    return False


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_module_named_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    named = {m.rstrip(".") for m in MODULE.findall(text)} - {"tcrm.yaml"}
    missing = sorted(m for m in named if not module_exists(m))
    assert missing == [], f"{rel(page)} names modules that do not exist"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_local_link_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:|#|\$", t)]
    missing = sorted({t for t in targets if not (page.parent / t.split("#")[0]).exists()})
    assert missing == [], f"{rel(page)} links to files that do not exist"


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped,
    spaces as hyphens (``## Re-imports: external ids`` -> ``re-imports-external-ids``)."""
    text = CODE_BLOCK.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_anchor_linked_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:|\$", target) or "#" not in target:
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file) if file else page
        if linked.is_file() and anchor not in anchors(linked):
            broken.append(target)
    assert broken == [], f"{rel(page)} links to headings that do not exist"


def test_anchors_are_made_as_github_makes_them() -> None:
    assert {"re-imports-external-ids", "a-plain-git-pull"} <= anchors(DOCS / "import.md") | (
        anchors(DOCS / "sync.md")
    )


def test_the_readme_lists_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {t.split("#")[0] for t in LINK.findall(readme)}
    unlisted = sorted(rel(p) for p in DOCS.glob("*.md") if rel(p) not in linked)
    assert unlisted == [], "README.md does not link to these docs"


def test_nothing_cites_a_design_file_the_repository_does_not_have() -> None:
    assert not (ROOT / "DESIGN.md").exists()
    sources = [*PAGES, *(ROOT / "tcrm").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
    here = Path(__file__).resolve()
    citing = sorted(
        rel(p)
        for p in sources
        if p.resolve() != here and "DESIGN.md" in p.read_text(encoding="utf-8")
    )
    assert citing == []


def code_of(text: str) -> Iterator[str]:
    """Every fenced block and every inline code span of a Markdown page."""
    for block in CODE_BLOCK.finditer(text):
        yield block.group(1)
    yield from CODE_SPAN.findall(CODE_BLOCK.sub("", text))


def invocations(code: str) -> Iterator[list[str]]:
    """The words after each ``tcrm`` that starts a shell command in ``code`` (a line, or
    after ``&&``, ``||``, `` | ``, ``$(``), past environment settings and global options;
    ``#`` comments and messages that merely mention tcrm are left alone."""
    for line in code.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line)
        for segment in re.split(r"&&|\|\||\s\|\s|\$\(|\(", line):
            words = segment.replace(")", " ").split()
            while words and (words[0] == "$" or re.fullmatch(r"[A-Z_]+=\S*", words[0])):
                words = words[1:]
            if not words or (words[0] != "tcrm" and not words[0].endswith("/tcrm")):
                continue
            rest = words[1:]
            while rest and (rest[0] in GLOBAL_FLAGS or rest[0] in GLOBAL_VALUED):
                rest = rest[2:] if rest[0] in GLOBAL_VALUED else rest[1:]
            yield rest


def unknown_commands(command: Any, words: list[str]) -> list[str]:
    """The words of ``words`` that name no (sub-)command where one is expected, and the
    ``--options`` the command they are given to does not take."""
    subs = getattr(command, "commands", None)
    if subs is None:
        return unknown_options(command, words) + unknown_choice(command, words)
    if not words:
        return []
    unknown = []
    for alternative in words[0].split("|"):
        if not WORD.fullmatch(alternative):
            continue  # a placeholder (CMD, ...), an option, a path
        if alternative not in subs:
            unknown.append(alternative)
        else:
            unknown.extend(unknown_commands(subs[alternative], words[1:]))
    return unknown


def argument_choices() -> dict[str, set[str]]:
    """Commands whose first argument is one of a fixed set: the reports, the help topics."""
    from tcrm.cli.search_cmds import TOPICS
    from tcrm.reports import NAMES

    return {"report": set(NAMES), "help": set(TOPICS) | set(main.COMMANDS)}


def unknown_choice(command: Any, words: list[str]) -> list[str]:
    choices = argument_choices().get(command.name)
    if choices is None or not words:
        return []
    return [w for w in words[0].split("|") if WORD.fullmatch(w) and w not in choices]


def unknown_options(command: Any, words: list[str]) -> list[str]:
    taken = {o for param in command.params for o in [*param.opts, *param.secondary_opts]}
    named = {w.split("=")[0] for w in words if re.fullmatch(r"--[a-z][a-z0-9-]*(=\S*)?", w)}
    return sorted(named - taken - GLOBAL_FLAGS - GLOBAL_VALUED)


@pytest.fixture(scope="module")
def command_tree() -> Any:
    main.register_all()
    return main.command()


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_command_shown_exists(page: Path, command_tree: Any) -> None:
    text = page.read_text(encoding="utf-8")
    unknown = sorted(
        {
            f"tcrm {' '.join(words[:2])}: {', '.join(unknown)}"
            for code in code_of(text)
            for words in invocations(code)
            if (unknown := unknown_commands(command_tree, words))
        }
    )
    assert unknown == [], f"{rel(page)} shows commands tcrm does not have"


def test_an_unknown_command_is_caught(command_tree: Any) -> None:
    """The check above would catch a stale command (it is not vacuous)."""
    assert unknown_commands(command_tree, ["client", "frobnicate"]) == ["frobnicate"]
    assert unknown_commands(command_tree, ["pipelines"]) == ["pipelines"]
    assert unknown_commands(command_tree, ["team", "add|list|rm"]) == []
    assert unknown_commands(command_tree, ["report", "funnel|churn", "NAME"]) == ["churn"]
    assert unknown_commands(command_tree, ["help", "dates"]) == []
    assert unknown_commands(command_tree, ["help", "colours"]) == ["colours"]
    assert unknown_commands(command_tree, ["log", "acme", "call", "--kind", "x"]) == []
    assert unknown_commands(command_tree, ["task", "list", "--overdue"]) == []
    assert unknown_commands(command_tree, ["task", "list", "--late"]) == ["--late"]
    assert list(invocations("a link; tcrm does not follow links")) == []
    assert list(invocations("tcrm undo  # your last tcrm change as a commit")) == [["undo"]]
    assert list(invocations("tcrm -w ~/crm --allow-detached task add")) == [["task", "add"]]
