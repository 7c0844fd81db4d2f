"""The YAML dialect of a workspace, with two engines that agree byte for byte.

Dialect: only ``true``/``false`` and ``null``/``~``/empty resolve implicitly; every other
plain scalar is text. So ``NO`` (Norway) stays a string, ``01234`` keeps its zero, a phone
``+49 30 1234`` is not a number, and ``12000.50`` reaches ``Decimal`` without a float.
The models parse dates, amounts and numbers from that text.

Engines:
- *fast* (PyYAML with its C parser/emitter, ~15x ruamel): bulk reads and new files;
- *round-trip* (ruamel.yaml): editing one existing file while keeping the comments,
  the key order and the keys a person added by hand. It is imported on first use
  (~45 ms), so commands that only read never pay for it.
A test checks that both write the same bytes for the same data.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import yaml

from tcrm.errors import Problem, ValidationError
from tcrm.model.limits import MAX_DEPTH, MAX_RECORD_BYTES

if TYPE_CHECKING:
    import threading

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

WIDTH = 4096  # never fold long lines: a folded line makes diffs noisy

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOL_TAG, _NULL_TAG = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _rx, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
):
    for _ch in _first:
        _RESOLVERS.setdefault(_ch, []).append((_tag, _rx))


class YamlSyntaxError(ValidationError):
    """A file is not valid YAML; carries the line of the problem."""


_OPENED = {
    "while parsing a flow sequence": "the [...] list",
    "while parsing a flow mapping": "the {...} mapping",
    "while scanning a quoted scalar": "the quoted text",
}


def _syntax_problem(path: str, exc: Any) -> Problem:
    """Located where the fix most likely is: where an unclosed bracket or quote opens, not
    where the parser gave up (for an unclosed quote, that is past the end of the file)."""
    problem, context = exc.problem_mark, exc.context_mark
    if problem and context and exc.context in _OPENED and context.line < problem.line:
        message = (
            f"{exc.problem} on line {problem.line + 1}, in {_OPENED[exc.context]} that starts here"
        )
        return Problem(path, context.line + 1, f"invalid YAML: {message}")
    mark = problem or context
    return Problem(path, mark.line + 1 if mark else None, f"invalid YAML: {exc.problem}")


# --- fast engine (PyYAML, C) ---------------------------------------------------------

_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class FastLoader(_CLoader):  # type: ignore[misc, valid-type]
    yaml_implicit_resolvers = _RESOLVERS

    # libyaml's composer calls these back for every node; PyYAML's general versions
    # (path resolvers, wildcard lists) cost a third of reading a file. Same answers.
    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _RESOLVERS.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class FastDumper(_CDumper):  # type: ignore[misc, valid-type]
    yaml_implicit_resolvers = _RESOLVERS


class PyDumper(yaml.SafeDumper):
    """libyaml escapes characters beyond U+FFFF (emoji); the Python emitter does not."""

    yaml_implicit_resolvers = _RESOLVERS


def block_ok(text: str) -> bool:
    """Whether a multi-line string reads back unchanged from a ``|`` literal block."""
    if "\n" not in text or text != text.lstrip(" \n"):
        return False
    lines = text.split("\n")
    return all(line == line.rstrip() and line.isprintable() for line in lines)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if "\n" in value:  # both engines must pick the same style: decide it here
        style = "|" if block_ok(value) else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_int(dumper: yaml.SafeDumper, value: int) -> yaml.ScalarNode:
    # Numbers are text in the dialect; written plain they read back as the same text.
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value))


for _dumper in (FastDumper, PyDumper):
    _dumper.add_representer(str, _represent_str)
    _dumper.add_representer(int, _represent_int)


def load_fast(text: str | bytes, path: str = "") -> Any:
    """A file's data, as PyYAML's safe loader reads it in the dialect.

    Records are untrusted input (they arrive from teammates through git), so the file is
    first held to what a record may be (``guard``): no anchors, aliases, tags or merge
    keys, at most ``MAX_RECORD_BYTES`` and ``MAX_DEPTH`` levels, no key twice. libyaml
    composes the node tree in C; the data is then built from the nodes directly, twice
    as fast as PyYAML's general constructor, with the same answer (in the dialect every
    plain scalar resolves to text, true/false or null, and nothing else reaches here).
    """
    _check_size(text, path)
    if _may_have_properties(text):
        _refuse_properties(text, path)
    loader = FastLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError([_syntax_problem(path, exc)]) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError([Problem(path, None, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return None if node is None else _plain(node, path, 1)


guard = load_fast
"""What every reader of a record runs first: the round-trip reader and the merge too."""

ANCHORS = "anchors and aliases are not allowed in records"
TAGS = "tags are not allowed in records"
MERGE_KEYS = "merge keys (<<) are not allowed in records"


def _refused(path: str, mark: Any, message: str) -> YamlSyntaxError:
    return YamlSyntaxError([Problem(path, mark.line + 1 if mark else None, message)])


def _check_size(text: str | bytes, path: str) -> None:
    size = len(text)
    if size > MAX_RECORD_BYTES // 4 and isinstance(text, str):
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RECORD_BYTES:
        raise YamlSyntaxError(
            [Problem(path, None, f"larger than {MAX_RECORD_BYTES:,} bytes, {_TOO_BIG}")]
        )


_TOO_BIG = "the most a record file may hold"


def _may_have_properties(text: str | bytes) -> bool:
    """Whether an anchor (``&``), alias (``*``) or tag (``!``) can be in ``text`` at all.

    Most records hold none of the three characters; only those that do are scanned for
    them (the scan costs about what reading the file does)."""
    if isinstance(text, bytes):
        return b"&" in text or b"*" in text or b"!" in text
    return "&" in text or "*" in text or "!" in text


def _refuse_properties(text: str | bytes, path: str) -> None:
    """Refuse the first anchor, alias or tag, from libyaml's events: nothing is built,
    so an alias bomb costs its size, not its expansion. A syntax error is left to the
    composer, which reports it."""
    loader = FastLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _refused(path, event.start_mark, ANCHORS)
            if getattr(event, "tag", None) or getattr(event, "tags", None):
                raise _refused(path, event.start_mark, TAGS)
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def _plain(node: yaml.Node, path: str, depth: int) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if depth > MAX_DEPTH:
        raise _refused(path, node.start_mark, f"nested deeper than {MAX_DEPTH} levels")
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        out = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise _refused(path, key.start_mark, "a key must be a text, not a list or mapping")
            name = _plain(key, path, depth + 1)
            if name == "<<":
                raise _refused(path, key.start_mark, MERGE_KEYS)
            out[name] = _plain(value, path, depth + 1)
        if len(out) != len(node.value):
            raise _duplicate(node, path)
        return out
    if tag == _SEQ:
        return [_plain(item, path, depth + 1) for item in node.value]
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return node.value.lower() == "true"
    raise _refused(path, node.start_mark, TAGS)  # pragma: no cover - the dialect has no others


def _duplicate(node: yaml.MappingNode, path: str) -> YamlSyntaxError:
    """The second occurrence of a key, naming the line of the first: not last-wins."""
    first: dict[Any, int] = {}
    for key, _ in node.value:
        name = _plain(key, path, 0)
        line = key.start_mark.line + 1
        if name in first:
            shown = name if isinstance(name, str) else key.value
            return _refused(
                path, key.start_mark, f"duplicate key {shown!r} (first on line {first[name]})"
            )
        first[name] = line
    raise AssertionError("no duplicate")  # pragma: no cover


def dump_fast(data: Mapping[str, Any]) -> str:
    """A new file's text, in the stable form: model key order, block style.

    The text is ``dump_pyyaml``'s, byte for byte. The shapes records have (a mapping of
    one-line texts, numbers, booleans, lists of them and lists of such mappings) are
    written by a small emitter, ~15x faster than PyYAML's representer: it writes a text
    plain only when it can prove PyYAML would, and asks PyYAML (once per distinct text)
    for any other. Anything else, a multi-line text among them, is PyYAML's own.
    """
    try:
        return _emit(data)
    except _NeedsDumper:
        return dump_pyyaml(data)


def dump_pyyaml(data: Mapping[str, Any]) -> str:
    """The stable form as PyYAML writes it (libyaml's emitter where it can be)."""
    options: dict[str, Any] = {
        "sort_keys": False,
        "default_flow_style": False,
        "allow_unicode": True,
        "width": WIDTH,
    }
    text: str = yaml.dump(dict(data), Dumper=FastDumper, **options)
    if "\\U" in text:  # an escaped astral character, or a literal backslash-U: redo
        text = yaml.dump(dict(data), Dumper=PyDumper, **options)
    return text


# --- the small emitter behind dump_fast -----------------------------------------------------

_PLAIN = re.compile(r"[+A-Za-z0-9\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f .,_@/+()&'?:-]*")
"""Texts PyYAML writes plain (unless they hold ``": "``, end in a space or ``:``, or are
a keyword): letters, digits and common punctuation, none of YAML's indicators first."""
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset({"true", "false", "null"})
_LONGEST = 1000
"""Longer texts are PyYAML's: near ``WIDTH`` its choice depends on the indentation."""


class _NeedsDumper(Exception):
    """A value the small emitter leaves to PyYAML."""


class _Scalars(dict[str, str]):
    """How PyYAML writes a one-line text as a block value: plain when provably so, else
    asked of PyYAML once and remembered."""

    def __missing__(self, text: str) -> str:
        if len(text) > _LONGEST or "\n" in text:
            raise _NeedsDumper
        if (
            _PLAIN.fullmatch(text)
            and text[-1] not in " :"
            and ": " not in text
            and text.lower() not in _KEYWORDS
        ):
            return text  # not remembered: most of these are unique (names, emails)
        rendered = dump_pyyaml({"k": text})[3:-1]
        if "\n" in rendered:
            raise _NeedsDumper
        if len(self) < 10_000:
            self[text] = rendered
        return rendered


_SCALARS = _Scalars()


def _scalar(value: Any) -> str:
    if type(value) is str:
        return _SCALARS[value]
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    raise _NeedsDumper


def _key(key: Any) -> str:
    if type(key) is not str or not _KEY.fullmatch(key) or key.lower() in _KEYWORDS:
        raise _NeedsDumper
    return key


def _emit(data: Mapping[str, Any]) -> str:
    if not data:
        raise _NeedsDumper
    lines: list[str] = []
    _emit_pairs(data, lines.append, "", "", nested=False)
    lines.append("")
    return "\n".join(lines)


def _emit_pairs(
    pairs: Mapping[str, Any], add: Callable[[str], None], lead: str, indent: str, nested: bool
) -> None:
    """``key: value`` lines in block style, the first behind ``lead``, the others behind
    ``indent``; a list's items below its key (``- item``); a mapping in a top-level list
    as ``- key: value`` with its other keys indented."""
    for key, value in pairs.items():
        name = _key(key)
        if type(value) is not list:
            add(f"{lead}{name}: {_scalar(value)}")
        elif not value:
            add(f"{lead}{name}: []")
        else:
            add(f"{lead}{name}:")
            for item in value:
                if type(item) is dict and not nested:
                    if not item:
                        raise _NeedsDumper
                    _emit_pairs(item, add, "- ", "  ", nested=True)
                else:
                    add(f"{indent}- {_scalar(item)}")
        lead = indent


# --- round-trip engine (ruamel.yaml, imported on first use) -------------------------------


@functools.cache
def _threads() -> threading.local:
    import threading

    return threading.local()


def _rt() -> YAML:
    """This thread's configured round-trip ``YAML()``. ruamel keeps the state of a parse
    in the instance, so the TUI's workers reading files at once (a screen's load beside
    a sync) each need their own: one shared instance mixed their documents up."""
    mine = _threads()
    rt: YAML | None = getattr(mine, "rt", None)
    if rt is None:
        rt = mine.rt = _new_rt()
    return rt


def _new_rt() -> YAML:
    from ruamel.yaml import YAML
    from ruamel.yaml.resolver import VersionedResolver

    class _Resolver(VersionedResolver):
        @property
        def versioned_resolver(self) -> Any:
            return _RESOLVERS

    rt = YAML(typ="rt")
    rt.Resolver = _Resolver
    rt.width = WIDTH
    rt.preserve_quotes = True
    return rt


def load_rt(text: str, path: str = "") -> Any:
    """A file as ruamel's round-trip reader holds it, once ``guard`` accepted it: the
    same refusals as every other reader, before ruamel builds anything."""
    guard(text, path)
    rt = _rt()
    from ruamel.yaml.error import MarkedYAMLError

    try:
        return rt.load(text)
    except MarkedYAMLError as exc:
        raise YamlSyntaxError([_syntax_problem(path, exc)]) from None


def dump_rt(doc: Any) -> str:
    out = io.StringIO()
    _rt().dump(doc, out)
    return out.getvalue()


@functools.cache
def _styles() -> dict[str, Any]:
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    return {"'": SingleQuotedScalarString, '"': DoubleQuotedScalarString, "|": LiteralScalarString}


def _styled(text: str) -> Any:
    """``text`` quoted as the fast engine quotes it, so both engines agree on the bytes."""
    if text.isalnum() and text.isascii() and text.lower() not in ("true", "false", "null"):
        return text
    first = dump_pyyaml({"k": text})[3:4]
    style = _styles().get(first)
    return style(text) if style else text


def _rt_value(value: Any) -> Any:
    """Plain data as ruamel nodes, styled as the fast engine would write them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _rt_value(v)
        return node
    if isinstance(value, list):
        return CommentedSeq(_rt_value(v) for v in value)
    if isinstance(value, str):
        return _styled(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _same(old: Any, new: Any) -> bool:
    """Whether the file's value already says what the model says."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return list(old.keys()) == list(new.keys()) and all(_same(old[k], new[k]) for k in new)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, bool) or isinstance(new, bool) or old is None or new is None:
        return old is new
    if isinstance(new, int):  # the dialect reads numbers as text: "12" in the file is 12
        return isinstance(old, str) and old == str(new)
    # Records strip their text, so a hand-written `notes: |` block reads back without its
    # final newline: surrounding whitespace alone is no reason to rewrite a person's text.
    return isinstance(old, str) and isinstance(new, str) and old.strip() == new


def merge_into(
    doc: CommentedMap,
    data: Mapping[str, Any],
    owned: frozenset[str],
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Make ``doc`` hold ``data`` while touching as little of it as possible.

    Keys in ``owned`` (the model's fields) that ``data`` lacks are removed; other keys a
    person added are kept where they are, with their comments. A key new to the file goes
    right after the owned key that precedes it in ``data``, so the key order stays fixed.
    """
    for key in [k for k in doc if k in owned and k not in data]:
        del doc[key]
    previous: str | None = None
    for key, value in data.items():
        if key in doc:
            _update(doc, key, value)
        elif defaults and key in defaults and defaults[key] == value:
            continue  # a file that leaves a field at its default keeps leaving it out
        else:
            position = list(doc.keys()).index(previous) + 1 if previous in doc else 0
            doc.insert(position, key, _rt_value(value))
        previous = key


def _update(container: Any, key: Any, value: Any) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    old = container[key]
    if _same(old, value):
        return
    if isinstance(old, CommentedMap) and isinstance(value, Mapping):
        nested_owned = frozenset(old.keys()) | frozenset(value.keys())
        merge_into(old, value, nested_owned)
        return
    if isinstance(old, CommentedSeq) and isinstance(value, list):
        for i, item in enumerate(value):
            if i < len(old):
                _update(old, i, item)
            else:
                old.append(_rt_value(item))
        del old[len(value) :]
        return
    container[key] = _rt_value(value)


def edit_text(
    original: str,
    data: Mapping[str, Any],
    owned: frozenset[str],
    path: str = "",
    defaults: Mapping[str, Any] | None = None,
) -> str:
    """The new text of an existing file holding ``data``, comments and extra keys kept."""
    from ruamel.yaml.comments import CommentedMap

    doc = load_rt(original, path) if original.strip() else None
    if not isinstance(doc, CommentedMap):
        return dump_fast(data)
    merge_into(doc, data, owned, defaults)
    return dump_rt(doc)


def _trailing(item: Any) -> tuple[Any, Any] | None:
    """``(slot, comment)`` of the comment lines after a mapping item, held on its last key."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(item, CommentedMap) or not item:
        return None
    slot = item.ca.items.get(list(item.keys())[-1])
    if slot and len(slot) > 2 and slot[2] is not None:
        return slot, slot[2]
    return None


def append_item(doc: Any, key: str, item: Mapping[str, Any]) -> None:
    """Append a mapping to the list ``doc[key]`` (made if missing) in a round-trip document.

    The comment lines after the list (ruamel keeps them on its last item) stay after it,
    so the new item goes before the comment heading the next key, not after it.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entry = CommentedMap(item)
    seq = doc.get(key)
    if not isinstance(seq, CommentedSeq):
        doc[key] = CommentedSeq([entry])
        return
    moved = _trailing(seq[-1]) if len(seq) else None
    if moved is not None:
        slot, comment = moved
        slot[2] = None
        entry.ca.items[list(entry.keys())[-1]] = [None, None, comment, None]
    seq.append(entry)


def remove_item(doc: Any, key: str, index: int) -> None:
    """Delete ``doc[key][index]`` from a round-trip document, keeping the comments after it.

    ruamel keeps the comment lines that follow an item (often the comment heading the
    next key of the file) on the item's last key, so a plain ``del`` would take them along:
    they move to the item before, or after the emptied ``key: []``.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    seq = doc[key]
    removed = seq[index]
    trailing = None
    if isinstance(removed, CommentedMap) and removed:
        slot = removed.ca.items.get(list(removed.keys())[-1])
        trailing = slot[2] if slot and len(slot) > 2 else None
    del seq[index]
    if trailing is None:
        if not seq:
            empty = CommentedSeq()
            empty.fa.set_flow_style()
            doc[key] = empty
        return
    if not seq:
        empty = CommentedSeq()
        empty.fa.set_flow_style()
        empty.ca.comment = [trailing, None]
        doc[key] = empty
    elif index > 0 and isinstance(seq[index - 1], CommentedMap) and seq[index - 1]:
        before = seq[index - 1]
        last = list(before.keys())[-1]
        slot = before.ca.items.get(last)
        if slot and len(slot) > 2 and slot[2] is not None:
            slot[2].value = slot[2].value.rstrip("\n") + "\n" + trailing.value.lstrip("\n")
        else:
            before.ca.items[last] = [None, None, trailing, None]


def extend_lists(doc: Any, additions: Mapping[str, list[str]], key: str = "lists") -> None:
    """Append strings to the lists under ``doc[key]`` (each made if missing), in order.

    ruamel keeps the comment lines after a list's last item (often the comment heading
    the next key) on that item, so they move to the new last item and stay after the
    list, as ``append_item`` does for mappings.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    lists = doc.get(key)
    if not isinstance(lists, CommentedMap):
        lists = CommentedMap()
        doc[key] = lists
    for name, values in additions.items():
        if not values:
            continue
        seq = lists.get(name)
        if not isinstance(seq, CommentedSeq):
            lists[name] = CommentedSeq(values)
            continue
        if len(seq) and not seq.fa.flow_style():
            trailing = seq.ca.items.pop(len(seq) - 1, None)
            seq.extend(values)
            if trailing is not None:
                seq.ca.items[len(seq) - 1] = trailing
        else:
            seq.extend(values)


def line_of(text: str, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest part of ``path`` present in the document ``text``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    try:
        node = load_rt(text)
    except YamlSyntaxError:
        return None
    line: int | None = 1
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
        else:
            break
        node = node[part]
    return line
