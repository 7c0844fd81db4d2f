"""TAB completion answered before Typer is imported (tcrm.cli.completion.early_answer):
the same bytes as Typer's completion, for bash, zsh and fish, and Typer's own answer
for every command line the early path does not know."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tcrm.cli import completion
from tests.clitools import as_sample, copy_workspace, run
from tests.earlytools import heavy, settle, tcrm, typer_here

pytestmark = pytest.mark.xdist_group("completion_early")
"""One worker for the module: its module-scoped fixture is built once (``--dist loadgroup``)."""

DEAL = "acme-logistics-website-relaunch"


def declared() -> dict[tuple[str, ...], Any]:
    """What the Typer commands declare, in the shape of ``completion.EARLY``: for each
    command with a parameter completing through ``tcrm.cli.completion``, its arguments
    ``(completer, nargs)`` and its options naming such a completer."""
    import typer.main
    from typer.core import TyperArgument, TyperOption

    from tcrm.cli import main

    def completer(param: Any) -> str | None:
        custom = getattr(param, "_custom_shell_complete", None)
        for cell in getattr(custom, "__closure__", None) or ():
            fn = cell.cell_contents
            if callable(fn) and getattr(fn, "__module__", "") == completion.__name__:
                return str(fn.__name__)
        return None

    main.register_all()
    out: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
            return
        args = tuple(
            (completer(p), p.nargs) for p in command.params if isinstance(p, TyperArgument)
        )
        options = {
            name: completer(p)
            for p in command.params
            if isinstance(p, TyperOption) and completer(p)
            for name in p.opts
        }
        if options or any(name for name, _ in args):
            out[path] = (args, options)

    walk(typer.main.get_command(main.app), ())
    return out


def test_the_early_table_is_what_the_commands_declare() -> None:
    """completion.EARLY cannot drift from the Typer parameters' ``autocompletion``."""
    found = declared()
    assert found == completion.EARLY
    assert set(completion.COMPLETERS) == {n for _, o in found.values() for n in o.values()} | {
        n for a, _ in found.values() for n, _ in a if n
    }


def shell_env(shell: str, line: str, action: str = "get-args") -> dict[str, str]:
    """What the completion script of ``shell`` sets for ``line`` (the last word being
    completed; a trailing space: an empty word)."""
    if shell == "bash":
        words = line.split(" ")
        return {
            "_TCRM_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        }
    env = {"_TCRM_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = action
    return env


@pytest.fixture(scope="module")
def _indexed_template(_sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with an index (one `tcrm status`, in its own process), once
    for the module: each test gets a copy (same bytes, same folder stamps)."""
    root = tmp_path_factory.mktemp("indexed") / "ws"
    copy_workspace(_sample_template, root)
    with pytest.MonkeyPatch.context() as patch:
        as_sample(patch, root)
        settle(root)
        done, _ = tcrm("launch", ("status",), root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def indexed(_indexed_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the indexed sample workspace, as ``sample_ws`` sets one up, and the
    settings kept again (their key holds the file's inode and ctime, which a copy changes):
    one `tcrm status` through the Typer app, in this process."""
    root = tmp_path / "ws"
    copy_workspace(_indexed_template, root)
    as_sample(monkeypatch, root)
    assert run("status").code == 0
    return root


def both(root: Path, env: dict[str, str]) -> tuple[tuple[int, str, str], list[str]]:
    """The executable's answer (a fresh interpreter, early path first: its modules tell
    whether the early path answered) and the Typer app's, which it must equal."""
    early, modules = tcrm("launch", (), root, **env)
    got = (early.returncode, early.stdout, early.stderr)
    assert got == typer_here((), root, **env), env
    return got, heavy(modules)


EARLY_LINES = [
    ("tcrm task done t", "tasks"),
    ("tcrm client show acme", "ids"),
    ("tcrm client merge acme-logistics c", "second argument"),
    ("tcrm log caf", "clients then deals"),
    ("tcrm log x y --kind m", "activity kinds"),
    ("tcrm log x y --author b", "members"),
    (f"tcrm deal move {DEAL} ", "every stage"),
    ("tcrm deal list --stage p", "stages"),
    ("tcrm task list --client a", "option"),
    ("tcrm activity show a2", "activities"),
    ("tcrm ics export --assignee ", "every member"),
    ("tcrm task done zzz", "nothing"),
]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize(("line", "what"), EARLY_LINES, ids=[w for _, w in EARLY_LINES])
def test_the_early_answer_is_typers(indexed: Path, shell: str, line: str, what: str) -> None:
    (code, out, err), imported = both(indexed, shell_env(shell, line))
    assert code == 0 and err == ""
    assert imported == [], f"the early path was not taken for {line!r}"
    if what != "nothing":
        assert out.strip() not in ("", "_files")


def test_the_answers_themselves(indexed: Path) -> None:
    """Not only equal to Typer's: right (the sample workspace's ids, stages, members)."""

    def bash(line: str) -> list[str]:
        (_, out, _), _ = both(indexed, shell_env("bash", line))
        return out.split()

    assert bash("tcrm client show acme") == ["acme-logistics"]
    assert bash("tcrm log caf") == ["cafe-lumiere", "cafe-lumiere-website-and-table-booking"]
    assert bash("tcrm deal list --stage p") == ["pilot", "proposal"]
    assert bash("tcrm log x y --author b") == ["ben"]
    assert bash("tcrm log x y --kind m") == ["meeting"]
    tasks = sorted(p.stem for p in (indexed / "tasks").glob("t*.yaml"))
    assert bash("tcrm task done t") == tasks[: completion.MAX_IDS]
    (_, zsh, _), _ = both(indexed, shell_env("zsh", "tcrm client show acme"))
    assert zsh == "_arguments '*: :((\"acme-logistics\"))'\n"


@pytest.mark.parametrize("line", ["tcrm task done t", "tcrm task done zzz"])
def test_fish_asks_whether_there_are_arguments(indexed: Path, line: str) -> None:
    (code, out, _), imported = both(indexed, shell_env("fish", line, "is-args"))
    assert out == "" and code == (1 if line.endswith("zzz") else 0)
    assert imported == []


OTHER_LINES = [
    "tcrm cl",  # a command name
    "tcrm task done --",  # an option name
    "tcrm task add x --due ",  # a value the workspace does not complete
    "tcrm --workspace . task done t",  # a global option first
    "tcrm task list --status open --client a",  # another option before
    "tcrm team resolve ",  # completes from elsewhere (its own function)
]


@pytest.mark.parametrize("line", OTHER_LINES)
def test_other_lines_are_typers_to_complete(
    indexed: Path, line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The early path declines (``early_path.answer`` is what the executable asks first,
    and ``None`` sends it on to Typer) and prints nothing; Typer answers."""
    from tcrm.cli import early_path

    for shell in ("bash", "zsh", "fish"):
        with monkeypatch.context() as patch:
            patch.chdir(indexed)
            for var, value in shell_env(shell, line).items():
                patch.setenv(var, value)
            assert early_path.answer([]) is None, (shell, line)
        assert capsys.readouterr() == ("", ""), (shell, line)
        code, _, err = typer_here((), indexed, **shell_env(shell, line))
        assert code == 0 and err == "", (shell, line)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_executable_sends_other_lines_to_typer(indexed: Path, shell: str) -> None:
    """In a real process: the early path declined, Typer was imported and answered."""
    (code, out, _), imported = both(indexed, shell_env(shell, "tcrm cl"))
    assert code == 0 and "client" in out
    assert "typer" in imported


def test_stages_before_any_index_then_early(sample_ws: Path) -> None:
    """No index yet: Typer's path answers from tcrm.yaml (and builds no index); once an
    index exists, the first TAB keeps the settings in it and the next is early."""
    settle(sample_ws)
    env = shell_env("bash", "tcrm deal list --stage p")
    (_, out, _), imported = both(sample_ws, env)
    assert out.split() == ["pilot", "proposal"] and "typer" in imported
    assert not (sample_ws / ".tcrm" / "index.sqlite").exists()
    tcrm("launch", ("search", "acme"), sample_ws)  # builds the index (keeps no settings)
    (_, again, _), imported = both(sample_ws, env)
    assert again == out and "typer" in imported  # keeps the settings in it
    (_, third, _), imported = both(sample_ws, env)
    assert third == out and imported == []


def test_a_settings_change_is_seen_at_once(indexed: Path) -> None:
    settings = indexed / "tcrm.yaml"
    settings.write_text(settings.read_text().replace("- id: pilot", "- id: pioneer"))
    env = shell_env("bash", "tcrm deal list --stage pi")
    (_, out, _), imported = both(indexed, env)
    assert out.split() == ["pioneer"] and "typer" in imported
