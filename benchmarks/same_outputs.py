"""Same outputs before and after: run one list of command lines with two tcrm code trees
and compare what each printed and committed. A script, not a test.

    python benchmarks/same_outputs.py --before DIR --after DIR [--size 1k] [--only TEXT ...]
                                      [--json FILE] [--list]

A refactor that claims "no behaviour change" (issue 24) is checked here as a user sees
it: each DIR is a code tree (e.g. ``git archive COMMIT tcrm | tar -x -C DIR``), put first
on ``PYTHONPATH`` as run.py's ``--code`` does. Every command line runs as a whole process
on fresh copies of the same workspaces, at the same paths, with a fixed clock
(``TCRM_NOW``), git identity, ``COLUMNS``, time zone and locale, and no user config:

- ``gen``: the generated workspace of run.py's cache (``tcrm dev generate --preset 1k``,
  made by this checkout's generator, so older trees read the same files);
- ``sample``: ``tcrm init --from sample_workspace`` of this checkout;
- ``broken``: the sample with a bad date, a dangling reference and unparsable YAML
  committed, for the error paths of reads and ``check``.

Reads run one after another in one copy per workspace and code tree; writes each get a
fresh copy. Compared for every line: exit code, stdout, stderr, and the commits it made
(tree id, author, message, changed files) with ``git status`` after; files written to
``{out}`` (exports, calendars, reports) byte for byte (an .xlsx member by member, its
creation time masked). New records' random ids are made deterministic as the tests make
them (tests/test_store.py): ``secrets.choice`` is a seeded ``random.Random`` in every
process, so both sides draw the same ids. Prints a table (line, same or DIFF, a unified
diff excerpt where different) and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import run  # noqa: E402  (the generated workspaces' cache, the import CSV, NOW)

TIMEOUT = 300.0
COLUMNS = "100"
IDENTITY = ("Ann Becker", "ann@northwind.studio")
"""The sample team's first member: `log` and `task add` default to her."""
BOOT = """\
import random, runpy, secrets, sys
secrets.choice = random.Random(24).choice  # new ids as the tests draw them: deterministic
sys.argv[0] = "tcrm"
runpy.run_module("tcrm", run_name="__main__", alter_sys=True)
"""
"""``python -m tcrm`` with seeded ids."""
EXCERPT = 24
"""Lines of unified diff shown per differing field."""


@dataclass(frozen=True)
class Case:
    """One command line; ``{client}``, ``{deal}``, ``{task}``, ``{won}``, ``{activity}``,
    ``{csv}`` and ``{out}`` are filled in per workspace."""

    ws: str
    args: tuple[str, ...]
    writes: bool = False
    env: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        line = " ".join(a if a and " " not in a else repr(a) for a in self.args)
        if self.env:
            line = f"TAB {dict(self.env)['COMP_WORDS']!r}"
        return f"{self.ws}: {line}"


def c(ws: str, *args: str, writes: bool = False) -> Case:
    return Case(ws, args, writes)


REPORTS = ("funnel", "forecast", "winrate", "velocity", "aging", "sources", "lost", "kpi", "abc")
REPORTS_ALL = (*REPORTS, "nps", "all")
KINDS = ("clients", "deals", "tasks", "activities")


def reads(ws: str) -> list[Case]:
    """Every read of run.py and the rest of the read surface, plain and --json."""
    cases = [
        c(ws, "today"),
        c(ws, "today", "--json"),
        c(ws, "today", "--assignee", "ben"),
        c(ws, "task", "list"),
        c(ws, "task", "list", "--json"),
        c(ws, "task", "list", "--today"),
        c(ws, "task", "list", "--overdue"),
        c(ws, "task", "list", "--week", "--assignee", "ann"),
        c(ws, "task", "list", "--all", "--client", "{client}"),
        c(ws, "task", "show", "{task}"),
        c(ws, "task", "show", "{task}", "--json"),
        c(ws, "deal", "list", "--stage", "proposal"),
        c(ws, "deal", "list", "--all", "--json"),
        c(ws, "deal", "list", "--stale"),
        c(ws, "deal", "list", "--won", "--owner", "ann"),
        c(ws, "deal", "show", "{deal}"),
        c(ws, "deal", "show", "{won}", "--json"),
        c(ws, "client", "list"),
        c(ws, "client", "list", "--json"),
        c(ws, "client", "show", "{client}"),
        c(ws, "client", "show", "{client}", "--json"),
        c(ws, "activity", "list", "--limit", "20"),
        c(ws, "activity", "show", "{activity}"),
        c(ws, "search", "logistics"),
        c(ws, "search", "logistics", "--json"),
        c(ws, "search", "call", "-k", "activity", "--limit", "5"),
        c(ws, "pipeline"),
        c(ws, "pipeline", "--json"),
        c(ws, "pipeline", "--owner", "ben"),
        *(c(ws, "report", name) for name in REPORTS_ALL),
        *(c(ws, "report", name, "--json") for name in REPORTS_ALL),
        c(ws, "report", "funnel", "--csv"),
        c(ws, "report", "kpi", "--owner", "ann", "--period", "quarter"),
        c(ws, "report", "forecast", "--since", "2026-01-01", "--period", "quarter"),
        c(ws, "report", "all", "-o", "{out}/report.html"),
        c(ws, "check"),
        c(ws, "check", "--json"),
        c(ws, "conflicts"),
        c(ws, "conflicts", "--json"),
        c(ws, "status"),
        c(ws, "status", "--json"),
        *(c(ws, "export", "csv", "-t", kind) for kind in KINDS),
        c(ws, "export", "json", "-t", "deals"),
        c(ws, "export", "csv", "-t", "deals", "--where", "amount>5000", "-o", "{out}/d.csv"),
        c(ws, "export", "vcard"),
        c(ws, "export", "xlsx", "-t", "tasks", "-o", "{out}/tasks.xlsx"),
        c(ws, "ics", "export"),
        c(ws, "ics", "export", "-o", "{out}/cal.ics"),
        c(ws, "ics", "export", "--todo", "--activities", "--closed", "-o", "{out}/all.ics"),
        c(ws, "history", "--since", "-400d"),
        c(ws, "history", "--json"),
        c(ws, "docs"),
        c(ws, "dedupe"),
        c(ws, "team", "list"),
        c(ws, "kb", "list"),
        c(ws, "remind"),
        c(ws, "index", "status"),
        c(ws, "--version"),
        Case(ws, (), env=run.tab("tcrm task done t")),
        Case(ws, (), env=run.tab("tcrm deal list --stage p")),
        Case(ws, (), env=run.tab("tcrm log x y --author ")),
    ]
    return cases


def errors(ws: str) -> list[Case]:
    """Bad input: one line, non-zero exit, nothing written (errors-as-data was issue 24's
    biggest change, so the wording is compared line by line)."""
    return [
        c(ws, "task", "add", "x", "--due", "someday"),
        c(ws, "task", "add", "x", "--due", "2026-13-45"),
        c(ws, "task", "add", "x", "--client", "no-such-client"),
        c(ws, "task", "add", "x", "--deal", "no-such-deal"),
        c(ws, "task", "add", "x", "--assignee", "nobody"),
        c(ws, "task", "add", "x", "--priority", "urgent"),
        c(ws, "task", "add", "x", "--repeat", "fortnightly"),
        c(ws, "task", "add", "x", "--remind", "soon", "--due", "tomorrow"),
        c(ws, "task", "add", "x", "--duration", "-5"),
        c(ws, "task", "add", "x", "--tz", "Mars/Olympus", "--due", "tomorrow 10:00"),
        c(ws, "task", "add", ""),
        c(ws, "task", "show", "no-such-task"),
        c(ws, "task", "done", "no-such-task"),
        c(ws, "task", "snooze", "{task}", "someday"),
        c(ws, "task", "list", "--bogus"),
        c(ws, "task", "edit", "{task}", "--priority", "low"),
        c(ws, "deal", "edit", "{deal}", "--amount", "12000.50"),
        c(ws, "task", "list", "--assignee", "nobody"),
        c(ws, "task", "edit", "{task}", "--due", "2026-02-30"),
        c(ws, "task", "update", "--where", "nosuch=1", "--set", "priority=high", "--dry-run"),
        c(ws, "deal", "move", "{deal}", "no-such-stage"),
        c(ws, "deal", "move", "{deal}", "negotiation"),
        c(ws, "deal", "move", "no-such-deal", "qualified"),
        c(ws, "deal", "move", "{won}", "proposal"),
        c(ws, "deal", "lost", "{deal}", "--reason", "no-such-reason"),
        c(ws, "deal", "add", "x", "--client", "no-such-client"),
        c(ws, "deal", "add", "x", "--client", "{client}", "--amount", "abc"),
        c(ws, "deal", "add", "x", "--client", "{client}", "--stage", "no-such-stage"),
        c(ws, "deal", "add", "x", "--client", "{client}", "--currency", "EURO"),
        c(ws, "deal", "add", "x", "--client", "{client}", "--probability", "150"),
        c(ws, "deal", "add", "x", "--client", "{client}", "--close-date", "soonish"),
        c(ws, "deal", "add", "x", "--client", "{client}", "--pipeline", "nope"),
        c(ws, "deal", "list", "--stage", "no-such-stage"),
        c(ws, "deal", "show", "no-such-deal"),
        c(ws, "client", "show", "no-such-client"),
        c(ws, "client", "add", "x", "--tag", "no-such-tag"),
        c(ws, "client", "add", "x", "--type", "robot"),
        c(ws, "client", "add", "x", "--owner", "nobody"),
        c(ws, "client", "add", "x", "--cadence", "-1"),
        c(ws, "client", "edit", "{client}", "--set", "no_such_field=1"),
        c(ws, "client", "rm", "{client}"),
        c(ws, "client", "list", "--status", "no-such-status"),
        c(ws, "log", "no-such-client", "call: x"),
        c(ws, "log", "{client}", "call: x", "--author", "nobody"),
        c(ws, "log", "{client}", "x", "--kind", "telepathy"),
        c(ws, "log", "{client}", "call: x", "--at", "yesterday-ish"),
        c(ws, "log", "{client}", "call: x", "--next", "y", "--next-due", "never"),
        c(ws, "activity", "show", "no-such-activity"),
        c(ws, "activity", "list", "--since", "garbage"),
        c(ws, "search"),
        c(ws, "search", "x", "-k", "robot"),
        c(ws, "pipeline", "--owner", "nobody"),
        c(ws, "report", "no-such-report"),
        c(ws, "report", "funnel", "--since", "garbage"),
        c(ws, "report", "funnel", "--since", "2026-12-01", "--until", "2026-01-01"),
        c(ws, "report", "kpi", "--period", "fortnight"),
        c(ws, "report", "funnel", "--pipeline", "nope"),
        c(ws, "report", "funnel", "--currency", "XXX"),
        c(ws, "report", "abc", "--abc", "50,60,70"),
        c(ws, "report", "funnel", "--by", "no_such_field"),
        c(ws, "report", "funnel", "-o", "{out}/r.txt"),
        c(ws, "export", "csv", "-t", "robots"),
        c(ws, "export", "csv", "--where", "garbage"),
        c(ws, "export", "csv", "--delimiter", ";;"),
        c(ws, "ics", "export", "-o", "/nonexistent/dir/x.ics"),
        c(ws, "ics", "export", "--since", "garbage"),
        c(ws, "history", "--since", "garbage"),
        c(ws, "today", "--assignee", "nobody"),
        c(ws, "status", "--format", "{nosuch}"),
        c(ws, "help", "no-such-topic"),
        c(ws, "no-such-command"),
    ]


def writes(ws: str) -> list[Case]:
    """Each on a fresh copy: run.py's writes and the everyday ones."""
    w = True
    return [
        c(ws, "task", "add", "bench", "--due", "tomorrow", writes=w),
        c(ws, "task", "add", "call back", "--due", "fri 10:00", "--client", "{client}",
          "--priority", "high", "--remind", "1h", "--assignee", "ben", writes=w),
        c(ws, "task", "add", "weekly", "--due", "mon", "--repeat", "weekly", writes=w),
        c(ws, "task", "done", "{task}", writes=w),
        c(ws, "task", "snooze", "{task}", "+3d", writes=w),
        c(ws, "task", "cancel", "{task}", writes=w),
        c(ws, "task", "edit", "{task}", "--set", "priority=low", "--set", "notes=edited", writes=w),
        c(ws, "log", "{client}", "call: bench", writes=w),
        c(ws, "log", "{client}", "meeting: plan", "--next", "send notes", "--json", writes=w),
        c(ws, "deal", "move", "{deal}", "qualified", writes=w),
        c(ws, "deal", "won", "{deal}", writes=w),
        c(ws, "deal", "lost", "{deal}", "--reason", "price", "--note", "too dear", writes=w),
        c(ws, "deal", "reopen", "{won}", writes=w),
        c(ws, "deal", "edit", "{deal}", "--set", "amount=12000.50", writes=w),
        c(ws, "deal", "add", "New site", "--client", "{client}", "--amount", "5000", writes=w),
        c(ws, "client", "add", "Zeta Widgets GmbH", "--email", "hi@zeta.example",
          "--tag", "smb", writes=w),
        c(ws, "client", "edit", "{client}", "--set", "tags+=vip", writes=w),
        c(ws, "task", "update", "--where", "assignee=ben", "--set", "priority=low", writes=w),
        c(ws, "deal", "update", "--where", "stage=proposal", "--add-tag", "vip", writes=w),
        c(ws, "team", "add", "dora", "--name", "Dora Diaz", writes=w),
        c(ws, "undo", writes=w),
    ]  # fmt: skip


def sample_reads() -> list[Case]:
    """The sample workspace's own data: kb pages, contact people, two pipelines."""
    ws = "sample"
    return [
        c(ws, "today"),
        c(ws, "task", "list"),
        c(ws, "deal", "list", "--all"),
        c(ws, "client", "list"),
        c(ws, "client", "show", "{client}"),
        c(ws, "deal", "show", "{deal}", "--json"),
        c(ws, "search", "acme"),
        c(ws, "pipeline"),
        c(ws, "report", "all", "--json"),
        c(ws, "report", "nps"),
        c(ws, "check"),
        c(ws, "export", "vcard"),
        c(ws, "ics", "export"),
        c(ws, "docs"),
        c(ws, "kb", "list"),
        c(ws, "kb", "show", "discovery-call-script"),
        c(ws, "kb", "search", "proposal"),
        Case(ws, (), env=run.tab("tcrm task done t")),
    ]


def broken_lines() -> list[Case]:
    """Reads and a write where hand edits left bad files: warnings and check's lines."""
    ws = "broken"
    lines = [
        c(ws, *args)
        for args in (
            ("check",),
            ("check", "--json"),
            ("today",),
            ("task", "list"),
            ("deal", "list", "--all"),
            ("client", "list"),
            ("client", "show", "acme-logistics"),
            ("pipeline",),
            ("report", "funnel"),
            ("search", "acme"),
            ("ics", "export"),
            ("export", "csv", "-t", "deals"),
            ("status",),
        )
    ]
    lines.append(c(ws, "task", "add", "x", "--due", "tomorrow", writes=True))
    return lines


RUN_PY_WRITES = (
    "task add bench --due tomorrow",
    "log {client} 'call: bench'",
    "deal move {deal} qualified",
)


def cases() -> list[Case]:
    """The generated workspace: every read, run.py's writes and the import; the sample:
    its reads, the error lines and the everyday writes; the broken sample."""
    gen_writes = [k for k in writes("gen") if k.label.removeprefix("gen: ") in RUN_PY_WRITES]
    return [
        *reads("gen"),
        *gen_writes,
        c("gen", "import", "csv", "{csv}", writes=True),
        c("gen", "import", "csv", "{csv}", "--dry-run"),
        *sample_reads(),
        *errors("sample"),
        *writes("sample"),
        *broken_lines(),
    ]


# --- the workspaces ------------------------------------------------------------------------


def prepare(tmp: Path, size: str) -> tuple[dict[str, Path], dict[str, dict[str, str]]]:
    """The base workspaces (never run in) and each one's placeholders."""
    gen, _ = run.workspace(size)
    sample = tmp / "base" / "sample"
    sample.parent.mkdir(parents=True)
    env = {**os.environ, **identity_env()}
    init = ["init", str(sample), "--from", str(ROOT / "sample_workspace")]
    subprocess.run(run.tcrm_cmd(*init), check=True, env=env, capture_output=True, cwd=tmp)
    broken = tmp / "base" / "broken"
    shutil.copytree(sample, broken, symlinks=True)
    for path in (broken / ".tcrm").glob(run.INDEX_GLOB):
        path.unlink()
    task = first(broken, "tasks", "status: open")
    text = task.read_text(encoding="utf-8")
    task.write_text(re.sub(r"(?m)^due: .*$", "due: 2026-02-30", text, count=1), encoding="utf-8")
    deal = broken / "deals" / "greenleaf-donation-platform.yaml"
    text = deal.read_text(encoding="utf-8")
    deal.write_text(re.sub(r"(?m)^client: .*$", "client: no-such-client", text), encoding="utf-8")
    (broken / "clients" / "broken.yaml").write_text("name: [unclosed\ntype: company\n")
    for args in (("add", "-A"), ("commit", "-q", "-m", "hand edits: a bad date, a dangling ref")):
        subprocess.run(["git", "-C", str(broken), *args], check=True, env=env)
    bases = {"gen": gen, "sample": sample, "broken": broken}
    fills = {}
    for name, base in bases.items():
        fills[name] = {
            "{client}": run.busiest_client(size) if name == "gen" else "acme-logistics",
            "{deal}": run.lead_deal(base),
            "{task}": first(base, "tasks", "status: open", "due: ").stem,
            "{won}": first(base, "deals", "status: won").stem,
            "{activity}": sorted((base / "activities").rglob("*.yaml"))[0].stem,
            "{csv}": str(run.import_csv()),
        }
    return bases, fills


def first(ws: Path, folder: str, *lines: str) -> Path:
    """The first record file (by name) with every one of ``lines`` starting a line."""
    for path in sorted((ws / folder).glob("*.yaml")):
        text = "\n" + path.read_text(encoding="utf-8")
        if all(f"\n{line}" in text for line in lines):
            return path
    raise SystemExit(f"no {folder} file with {lines} in {ws}")


def identity_env() -> dict[str, str]:
    name, email = IDENTITY
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def fresh_copy(base: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    run.copy_workspace(base, dest)
    run.drop_index(dest)  # each code tree builds its own index
    return dest


# --- running -------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    commits: list[str] = field(default_factory=list)
    status: str = ""
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    """Not compared: where the script's time goes."""


@dataclass
class Side:
    """One code tree's runs, all under the same paths as the other side's."""

    tree: Path
    tmp: Path

    def env(self, ws: Path, case: Case) -> dict[str, str]:
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
            "TERM": "dumb",
            "COLUMNS": COLUMNS,
            "LINES": "40",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PYTHONPATH": str(self.tree),
            "PYTHONPYCACHEPREFIX": str(run.PYCACHE),
            "PYTHONHASHSEED": "0",
            "TCRM_NOW": run.NOW,
            "TCRM_WORKSPACE": str(ws),
            **identity_env(),
            **dict(case.env),
        }

    def run(self, case: Case, ws: Path, fill: dict[str, str]) -> Outcome:
        out = self.tmp / "out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        values = {**fill, "{out}": str(out)}
        args = [expand(a, values) for a in case.args]
        head = git(ws, "rev-parse", "HEAD")
        cwd = self.tmp / "cwd"
        cwd.mkdir(exist_ok=True)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-c", BOOT, *args],
                env=self.env(ws, case),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=TIMEOUT,
            )
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired:
            code, stdout, stderr = -9, b"", f"(killed after {TIMEOUT:g} s)".encode()
        outcome = Outcome(
            code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
        )
        outcome.seconds = round(time.perf_counter() - started, 3)
        for commit in git(ws, "rev-list", "--reverse", f"{head}..HEAD").split():
            shown = git(ws, "show", "-s", "--format=tree %T%nauthor %an <%ae>%n%n%B", commit)
            changed = git(ws, "diff-tree", "-r", "--name-status", "--no-commit-id", commit)
            outcome.commits.append(f"{shown.rstrip()}\n{changed}")
        outcome.status = git(ws, "status", "--porcelain")
        for path in sorted(out.rglob("*")):
            if path.is_file():
                outcome.files[path.relative_to(out).as_posix()] = file_text(path)
        return outcome


def expand(arg: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        arg = arg.replace(key, value)
    return arg


def git(ws: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ws), *args], capture_output=True, text=True, env=git_env()
    )
    return done.stdout.strip() if args[0] == "rev-parse" else done.stdout


def git_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


XLSX_TIMES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def file_text(path: Path) -> str:
    """A written file as comparable text: an .xlsx member by member (its times masked)."""
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        parts = []
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            for name in sorted(book.namelist()):
                member = XLSX_TIMES.sub(rb"<dcterms:\1>(time)</dcterms:\1>", book.read(name))
                parts.append(f"--- {name}\n{member.decode('utf-8', 'replace')}")
        return "\n".join(parts)
    return data.decode("utf-8", "replace")


def run_side(
    side: Side, todo: list[Case], bases: dict[str, Path], fills: dict[str, dict[str, str]]
) -> list[Outcome]:
    """Reads in one copy per workspace (in list order), writes each in a fresh copy; the
    copies are at the same paths for both sides, so printed paths compare equal."""
    work = side.tmp.parent / "work"
    work.mkdir(exist_ok=True)
    copies: dict[str, Path] = {}
    results = []
    for n, case in enumerate(todo, 1):
        if case.writes:
            ws = fresh_copy(bases[case.ws], work / f"write-{case.ws}")
        else:
            if case.ws not in copies:
                copies[case.ws] = fresh_copy(bases[case.ws], work / case.ws)
            ws = copies[case.ws]
        results.append(side.run(case, ws, fills[case.ws]))
        if n % 25 == 0:
            run.say(f"  {n}/{len(todo)}")
    shutil.rmtree(work, ignore_errors=True)
    return results


# --- comparing -----------------------------------------------------------------------------

FIELDS = ("code", "stdout", "stderr", "commits", "status", "files")


def differences(before: Outcome, after: Outcome) -> list[str]:
    """A unified diff excerpt per field that differs (empty: the same)."""
    found = []
    for name in FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        if isinstance(old, dict):
            old, new = json.dumps(old, indent=1), json.dumps(new, indent=1)
        if isinstance(old, list):
            old, new = "\n".join(old), "\n".join(new)
        diff = list(
            difflib.unified_diff(
                str(old).splitlines(), str(new).splitlines(), "before", "after", lineterm="", n=1
            )
        )
        shown = diff[2 : 2 + EXCERPT]
        more = (
            f"\n      ... {len(diff) - 2 - EXCERPT} more diff lines"
            if len(diff) > 2 + EXCERPT
            else ""
        )
        found.append(f"    {name}:\n" + "\n".join(f"      {line}" for line in shown) + more)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="the old code tree (holds tcrm/)")
    parser.add_argument("--after", type=Path, help="the new code tree (holds tcrm/)")
    parser.add_argument("--size", default="1k", help="the generated workspace's preset [1k]")
    parser.add_argument("--only", nargs="+", default=[], help="only lines containing TEXT")
    parser.add_argument("--json", type=Path, help="write every line's outcomes to FILE")
    parser.add_argument("--list", action="store_true", help="print the command lines and exit")
    parser.add_argument("--all", action="store_true", help="list identical lines in the table too")
    args = parser.parse_args(argv)
    todo = [k for k in cases() if not args.only or any(o in k.label for o in args.only)]
    if args.list:
        print("\n".join(k.label for k in todo))
        return 0
    if args.before is None or args.after is None:
        parser.error("--before DIR and --after DIR are both needed")
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    for name, tree in trees.items():
        if not (tree / "tcrm" / "__init__.py").is_file():
            parser.error(f"--{name} {tree}: no tcrm/ package there")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tcrm-same-") as folder:
        tmp = Path(folder)
        bases, fills = prepare(tmp, args.size)
        outcomes = {}
        for name, tree in trees.items():
            run.say(f"{name}: {tree} ({len(todo)} command lines)")
            side_tmp = tmp / "side"
            shutil.rmtree(side_tmp, ignore_errors=True)
            side_tmp.mkdir()
            outcomes[name] = run_side(Side(tree, side_tmp), todo, bases, fills)
    rows = []
    for case, old, new in zip(todo, outcomes["before"], outcomes["after"], strict=True):
        rows.append((case, differences(old, new)))
    width = max(len(case.label) for case in todo)
    differ = [(case, diff) for case, diff in rows if diff]
    for case, diff in rows:
        if diff or args.all:
            print(f"{case.label:<{width}}  {'DIFF' if diff else 'same'}")
            for block in diff:
                print(block)
    seconds = time.perf_counter() - started
    print(
        f"{len(todo)} command lines, {len(todo) - len(differ)} same, {len(differ)} different "
        f"({trees['before']} -> {trees['after']}, {seconds:.0f} s)"
    )
    if args.json:
        data = [
            {"line": case.label, "same": not diff, "before": asdict(old), "after": asdict(new)}
            for (case, diff), old, new in zip(
                rows, outcomes["before"], outcomes["after"], strict=True
            )
        ]
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
