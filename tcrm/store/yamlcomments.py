"""The comments of a YAML file, anchored to the keys they belong to, and merged three ways.

A merge of two versions of a record decides the data field by field
(:mod:`tcrm.model.merge`) and writes it onto *my* text, which keeps my comments; this
module carries over every comment of the other side too.

A comment belongs to a node of the document (its *anchor*): full-line comments to the
key or list item on the next line that holds one, an end-of-line comment to the key or
item on its line. Comments before the first node are the file's header, and comments
after the last node its footer; neither goes away. An anchor is the path of labels to
the node (``("contacts", "jo@x.com", "role")``); list items are labelled by the
identity the data merge matches them by, so a comment follows its item wherever it
moves. Three-way, per anchor: lines either side added are kept, lines a side removed go,
and an anchor that is not in the merged document takes its comments with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from tcrm.model.merge import canonical, identity_of, merge_lines
from tcrm.store.yamlio import FastLoader, YamlSyntaxError, load_fast

Anchor = tuple[str, ...]
HEADER: Anchor = ("\x00header",)
FOOTER: Anchor = ("\x00footer",)

_EOL = re.compile(r"^[\s:?-]*?\s(#.*)$")


@dataclass
class Comments:
    """Where the comments of one text are: lines, positions and anchors."""

    lines: list[str]
    leading: dict[Anchor, list[int]] = field(default_factory=dict)
    """The full-line comments of each anchor (line indexes, in order)."""
    eol: dict[Anchor, tuple[int, int]] = field(default_factory=dict)
    """The end-of-line comment of each anchor: ``(line index, column of '#')``."""
    node_line: dict[Anchor, int] = field(default_factory=dict)
    """The line each anchor's node starts on."""
    no_eol: set[int] = field(default_factory=set)
    """Lines that cannot take an end-of-line comment (a multi-line scalar starts there)."""

    def leading_text(self, anchor: Anchor) -> list[str]:
        return [self.lines[i].strip() for i in self.leading.get(anchor, [])]

    def eol_text(self, anchor: Anchor) -> str | None:
        where = self.eol.get(anchor)
        return self.lines[where[0]][where[1] :].rstrip() if where else None


def _label(list_key: str | None, items: list[Any], item: Any) -> str:
    ident = identity_of(list_key, items)
    return ident(item) if ident is not None else canonical(item)


def _walk(
    node: yaml.Node, data: Any, path: Anchor, list_key: str | None
) -> Iterator[tuple[Anchor, yaml.Node]]:
    """Every key and list item below ``node`` as ``(anchor, node that starts its line)``."""
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for (knode, vnode), key in zip(node.value, data, strict=False):
            here = (*path, str(key))
            yield here, knode
            yield from _walk(vnode, data[key], here, str(key))
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for inode, item in zip(node.value, data, strict=False):
            here = (*path, _label(list_key, data, item))
            yield here, inode
            yield from _walk(inode, item, here, list_key)


def _spans(node: yaml.Node, out: dict[str, Any]) -> None:
    """Lines inside multi-line scalars, and where code ends on each line."""
    ends: dict[int, int] = out["ends"]
    if isinstance(node, yaml.ScalarNode):
        start, end = node.start_mark, node.end_mark
        ends[end.line] = max(ends.get(end.line, 0), end.column)
        if end.line > start.line:
            out["no_eol"].add(start.line)
            last = end.line if end.column > 0 else end.line - 1
            out["inside"].update(range(start.line + 1, last + 1))
        return
    if getattr(node, "flow_style", False):
        ends[node.end_mark.line] = max(ends.get(node.end_mark.line, 0), node.end_mark.column)
        if node.end_mark.line > node.start_mark.line:
            out["no_eol"].update(range(node.start_mark.line, node.end_mark.line))
    children = node.value if isinstance(node.value, list) else []
    for child in children:
        for part in child if isinstance(child, tuple) else (child,):
            _spans(part, out)


def comments_of(text: str) -> Comments:
    """Every comment of ``text``, by anchor (a text that is not YAML raises
    :class:`YamlSyntaxError`)."""
    lines = text.splitlines()
    out = Comments(lines)
    if not text.strip():
        return out
    data = load_fast(text)
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError as exc:  # pragma: no cover - load_fast refused it already
        raise YamlSyntaxError([]) from exc
    if root is None:
        return out
    spans: dict[str, Any] = {"ends": {}, "inside": set(), "no_eol": set()}
    _spans(root, spans)
    out.no_eol = spans["no_eol"]
    first_on: dict[int, Anchor] = {}
    last_on: dict[int, Anchor] = {}
    for anchor, node in _walk(root, data, (), None):
        line = node.start_mark.line
        out.node_line.setdefault(anchor, line)
        first_on.setdefault(line, anchor)
        last_on[line] = anchor
    pending: list[int] = []
    seen_node = False
    for index, line in enumerate(lines):
        if index in spans["inside"]:
            continue
        if index in first_on:
            out.leading[first_on[index] if seen_node else HEADER] = pending
            pending = []
            seen_node = True
            if index not in out.no_eol:
                code_end = spans["ends"].get(index, 0)
                match = _EOL.match(line[code_end:])
                if match:
                    column = code_end + match.start(1)
                    out.eol[last_on[index]] = (index, column)
            continue
        if line.lstrip().startswith("#"):
            pending.append(index)
    if pending:
        out.leading[FOOTER if seen_node else HEADER] = pending
    out.leading = {k: v for k, v in out.leading.items() if v}
    return out


def _merge_seq(base: list[str], mine: list[str], theirs: list[str]) -> list[str]:
    """Comment lines of one anchor, three ways: diff3, else every line of both, once."""
    merged = merge_lines(base, mine, theirs)
    if merged is not None:
        return merged
    out = [line for line in mine if line in theirs or line not in base]
    out += [line for line in theirs if line not in out and line not in base]
    return out


def _merge_one(base: str | None, mine: str | None, theirs: str | None) -> tuple[str | None, str]:
    """An end-of-line comment, three ways: ``(kept, the other one to keep as a line)``."""
    if mine == theirs or theirs == base:
        return mine, ""
    if mine == base:
        return theirs, ""
    if mine is None:
        return theirs, ""
    return mine, theirs or ""


def merge_comments(
    merged: str, base: str | None, mine: str, theirs: str, *, check: Callable[[str], bool]
) -> str:
    """``merged`` (written onto ``mine``'s text) with the comments of both sides, merged.

    ``check(text)`` tells whether a rewritten text still holds the merged data; if not,
    ``merged`` is returned as it was (comments never cost data).
    """
    now = comments_of(merged)
    sides = [comments_of(t) for t in (base or "", mine, theirs)]
    b, m, t = sides
    anchors = [HEADER, *now.node_line, FOOTER]
    remove: set[int] = set()
    insert: dict[int, list[str]] = {}
    append: list[str] = []
    eol_set: dict[int, tuple[int | None, str | None]] = {}
    for anchor in anchors:
        wanted = _merge_seq(b.leading_text(anchor), m.leading_text(anchor), t.leading_text(anchor))
        eol, extra = _merge_one(b.eol_text(anchor), m.eol_text(anchor), t.eol_text(anchor))
        line = now.node_line.get(anchor)
        if eol is not None and (line is None or line in now.no_eol):
            wanted, eol = [*wanted, eol], None
        if extra:
            wanted = [*wanted, extra]
        if wanted != now.leading_text(anchor):
            remove.update(now.leading.get(anchor, []))
            if anchor == FOOTER:
                append = wanted
            else:
                at = 0 if anchor == HEADER else now.node_line[anchor]
                indent = "" if anchor == HEADER else _indent(now.lines[at])
                insert.setdefault(at, []).extend(indent + c for c in wanted)
        if line is not None and eol != now.eol_text(anchor):
            column = now.eol[anchor][1] if anchor in now.eol else None
            eol_set[line] = (column, eol)
    if not (remove or insert or append or eol_set):
        return merged
    out: list[str] = []
    for index, text in enumerate(now.lines):
        out.extend(insert.get(index, []))
        if index in remove:
            continue
        if index in eol_set:
            column, eol = eol_set[index]
            code = text[:column].rstrip() if column is not None else text.rstrip()
            text = f"{code}  {eol}" if eol else code
        out.append(text)
    out.extend(insert.get(len(now.lines), []))
    out.extend(append)
    result = "\n".join(out) + "\n"
    return result if check(result) else merged


def _indent(line: str) -> str:
    """The indentation of a node's line (a list item's dash counts as indentation)."""
    match = re.match(r"^[ ]*", line)
    return match.group(0) if match else ""


__all__ = ["FOOTER", "HEADER", "Comments", "comments_of", "merge_comments"]
