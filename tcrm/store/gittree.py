"""git trees edited in place, and loose objects read and written: a commit that changes one
file rewrites only the trees on the path to it.

A record folder's tree has one entry per record (40,000 in ``tasks/`` at 100k records, 1.6
MB). Decoding it into Python objects and serialising it back costs ~0.1 s through dulwich;
here the raw bytes are split with one C-speed regular expression and the new entries are
spliced in, so the untouched entries are copied, never rebuilt. Pure Python: dulwich stays
in git.py, which hands this module a function that reads packed objects.
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
import secrets
import struct
import zlib
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from pathlib import Path

from tcrm.store.gitindex import Unsupported

TREE_MODE = 0o40000
MODES = frozenset({b"100644", b"100755", b"120000", b"160000", b"40000"})
"""The modes git writes; a zero-padded one (old tools) would sort wrongly here."""
_ENTRY = re.compile(rb"([0-7]{5,6}) ([^\x00/]+)\x00.{20}", re.DOTALL)
_FIXED = 22  # the space, the NUL and the 20-byte id around each entry's mode and name

Change = tuple[int, bytes] | None
"""A file's new ``(mode, 20-byte blob id)``, or None to delete it."""
Nested = dict[bytes, "Nested | Change"]
"""Changes grouped by folder: ``{b"tasks": {b"t1.yaml": (mode, id)}}``."""


def object_id(kind: bytes, data: bytes) -> bytes:
    """The 20-byte SHA-1 git names an object by."""
    digest = hashlib.sha1(b"%s %d\x00" % (kind, len(data)))
    digest.update(data)
    return digest.digest()


def read_loose(objects: Path, sha: bytes) -> tuple[bytes, bytes] | None:
    """``(kind, data)`` of a loose object, or None when it is not stored loose."""
    hexsha = sha.hex()
    try:
        raw = zlib.decompress((objects / hexsha[:2] / hexsha[2:]).read_bytes())
    except FileNotFoundError:
        return None
    except zlib.error:
        raise Unsupported(f"corrupt loose object {hexsha}") from None
    header, _, data = raw.partition(b"\x00")
    kind, _, size = header.partition(b" ")
    if not size.isdigit() or int(size) != len(data):
        raise Unsupported(f"corrupt loose object {hexsha}")
    return kind, data


def write_loose(objects: Path, kind: bytes, data: bytes, level: int, fsync: bool) -> bytes:
    """Store an object as git does (zlib, temporary file, rename); its 20-byte id.

    An object that is already there is only freshened (its mtime), so a concurrent
    ``git gc`` does not prune it before a ref points at it.
    """
    sha = object_id(kind, data)
    hexsha = sha.hex()
    folder = objects / hexsha[:2]
    path = folder / hexsha[2:]
    try:
        os.utime(path)
        return sha
    except FileNotFoundError:
        pass
    except PermissionError:  # someone else's object in a shared repository: write ours
        pass
    folder.mkdir(exist_ok=True)
    packer = zlib.compressobj(level)
    body = packer.compress(b"%s %d\x00" % (kind, len(data))) + packer.compress(data)
    _write_new(path, body + packer.flush(), fsync)
    return sha


def write_pack(objects: Path, blobs: list[bytes], level: int, fsync: bool) -> list[bytes]:
    """Store many blobs as one pack and its index (version 2), like ``git fast-import``:
    one file instead of thousands of loose ones, which would also make the next commit
    start a garbage collection. Their 20-byte ids, in the order given."""
    ids = [object_id(b"blob", data) for data in blobs]
    unique = dict(zip(ids, blobs, strict=True))  # a pack holds each object once
    pack = [b"PACK" + struct.pack(">II", 2, len(unique))]
    entries = []  # (id, crc32, offset)
    offset = len(pack[0])
    for sha, data in unique.items():
        record = _pack_header(3, len(data)) + zlib.compress(data, level)
        entries.append((sha, zlib.crc32(record), offset))
        pack.append(record)
        offset += len(record)
    body = b"".join(pack)
    pack_sha = hashlib.sha1(body).digest()
    index = _pack_index(sorted(entries), pack_sha)
    folder = objects / "pack"
    folder.mkdir(exist_ok=True)
    stem = f"pack-{pack_sha.hex()}"
    _write_new(folder / f"{stem}.pack", body + pack_sha, fsync)  # the index makes it visible
    _write_new(folder / f"{stem}.idx", index, fsync)
    return ids


def _pack_index(entries: list[tuple[bytes, int, int]], pack_sha: bytes) -> bytes:
    """A version 2 ``.idx`` for ``(id, crc32, offset)`` sorted by id."""
    fanout = [0] * 256
    for sha, _, _ in entries:
        fanout[sha[0]] += 1
    large = [o for _, _, o in entries if o >= 0x80000000]  # past 2 GiB: a second table
    where = {o: 0x80000000 | n for n, o in enumerate(large)}
    small = [where.get(o, o) for _, _, o in entries]
    index = b"".join(
        [
            b"\377tOc" + struct.pack(">I", 2),
            struct.pack(">256I", *accumulate(fanout)),
            *(sha for sha, _, _ in entries),
            struct.pack(f">{len(entries)}I", *(crc for _, crc, _ in entries)),
            struct.pack(f">{len(small)}I", *small),
            struct.pack(f">{len(large)}Q", *large),
            pack_sha,
        ]
    )
    return index + hashlib.sha1(index).digest()


def _pack_header(kind: int, size: int) -> bytes:
    """A packed object's type and size: 4 bits of size in the first byte, then 7 per byte."""
    out = bytearray([(kind << 4) | (size & 0x0F)])
    size >>= 4
    while size:
        out[-1] |= 0x80
        out.append(size & 0x7F)
        size >>= 7
    return bytes(out)


def _write_new(path: Path, data: bytes, fsync: bool) -> None:
    """A read-only file written under a temporary name, then renamed into place."""
    tmp = path.with_name(f"tmp_{secrets.token_hex(6)}_{path.name}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def tree_entry(mode: int, name: bytes, sha: bytes) -> bytes:
    return b"%o %s\x00%s" % (mode, name, sha)


@dataclass
class Tree:
    """A tree's raw bytes with its entries' modes and names, in git's order (a folder sorts
    as if its name ended with ``/``)."""

    raw: bytes
    modes: list[bytes] = field(default_factory=list)
    names: list[bytes] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: bytes) -> Tree:
        """Refuses a tree whose entries do not cover its bytes exactly (a name with ``/``
        leaves a gap) or are out of order, so a splice never lands in the wrong place."""
        found = _ENTRY.findall(raw)
        modes = [mode for mode, _ in found]
        names = [name for _, name in found]
        tree = cls(raw, modes, names)
        if tree.offsets[-1] + _FIXED * len(names) != len(raw):
            raise Unsupported("a tree git would not write")
        keys = tree.keys
        if not all(map(operator.lt, keys, keys[1:])) or not MODES.issuperset(modes):
            raise Unsupported("a tree git would not write")
        return tree

    @cached_property
    def keys(self) -> list[bytes]:
        pairs = zip(self.modes, self.names, strict=True)
        return [name + b"/" if mode == b"40000" else name for mode, name in pairs]

    @cached_property
    def offsets(self) -> list[int]:
        """Cumulative length of modes and names; entry i starts at ``offsets[i] + 22 * i``."""
        lengths = map(operator.add, map(len, self.modes), map(len, self.names))
        return list(accumulate(lengths, initial=0))

    def start(self, i: int) -> int:
        return self.offsets[i] + _FIXED * i

    def locate(self, name: bytes, folder: bool) -> tuple[int, bool]:
        """``(position, present)`` of ``name`` as a folder or a file. A name present as the
        other kind is refused: git records a file replacing a folder as two changes."""
        other = name if folder else name + b"/"
        j = bisect_left(self.keys, other)
        if j < len(self.keys) and self.keys[j] == other:
            raise Unsupported(f"{name!r} changes between file and folder")
        key = name + b"/" if folder else name
        i = bisect_left(self.keys, key)
        return i, i < len(self.keys) and self.keys[i] == key

    def sha_at(self, i: int) -> bytes:
        end = self.start(i + 1)
        return self.raw[end - 20 : end]

    def spliced(self, edits: list[tuple[int, bool, bytes]]) -> bytes:
        """The raw tree with ``(position, replaces the entry there, new bytes)`` applied;
        edits sorted by position, inserts before a replacement at the same position."""
        raw = memoryview(self.raw)
        chunks: list[bytes | memoryview] = []
        copied = 0  # entries before this one are already in chunks
        for i, replaces, new in edits:
            chunks.append(raw[self.start(copied) : self.start(i)])
            chunks.append(new)
            copied = i + 1 if replaces else i
        chunks.append(raw[self.start(copied) :])
        return b"".join(chunks)


EMPTY = Tree(b"")


class TreeEditor:
    """Builds the tree of a new commit from its parent's and a set of changed files.

    ``read(sha)`` returns a tree's raw bytes, ``write(raw)`` stores a tree and returns its
    id. Each touched folder is read and written once, whatever the number of changes in it.
    """

    def __init__(
        self,
        read: Callable[[bytes], bytes],
        write: Callable[[bytes], bytes],
        parsed: dict[bytes, Tree] | None = None,
    ) -> None:
        self._read = read
        self._write = write
        self._parsed: dict[bytes, Tree] = {} if parsed is None else parsed
        """Trees parsed so far, by id (a tree never changes: another editor's serve)."""

    def tree(self, sha: bytes | None) -> Tree:
        if sha is None:
            return EMPTY
        if sha not in self._parsed:
            self._parsed[sha] = Tree.parse(self._read(sha))
        return self._parsed[sha]

    def lookup(self, root: bytes, path: bytes) -> tuple[int, bytes] | None:
        """``(mode, id)`` of ``path`` in the tree ``root``, or None."""
        *folders, name = path.split(b"/")
        tree = self.tree(root)
        for folder in folders:
            i, present = _find(tree, folder, True)
            if not present:
                return None
            tree = self.tree(tree.sha_at(i))
        for is_folder in (True, False):
            i, present = _find(tree, name, is_folder)
            if present:
                return int(tree.modes[i], 8), tree.sha_at(i)
        return None

    def build(self, root: bytes, changes: Mapping[bytes, Change]) -> bytes:
        """The id of ``root`` with ``changes`` (``{path: (mode, id) or None}``) applied; a
        folder whose last file goes disappears, like in git."""
        nested: Nested = {}
        for path, change in changes.items():
            *folders, name = path.split(b"/")
            if any(part in (b"", b".", b"..", b".git") for part in (*folders, name)):
                raise Unsupported(f"path {path!r}")
            level = nested
            for folder in folders:
                level = level.setdefault(folder, {})  # type: ignore[assignment]
                if not isinstance(level, dict):
                    raise Unsupported(f"{path!r} is below a changed file")
            if isinstance(level.get(name), dict):
                raise Unsupported(f"{path!r} is above a changed file")
            level[name] = change
        new = self._rewrite(root, nested)
        return new if new is not None else self._write(b"")  # an empty root stays a tree

    def _rewrite(self, sha: bytes | None, changes: Nested) -> bytes | None:
        tree = self.tree(sha)
        edits: list[tuple[int, bytes, bool, bytes]] = []
        for name, change in changes.items():
            folder = isinstance(change, dict)
            i, present = tree.locate(name, folder)
            if isinstance(change, dict):
                sub = self._rewrite(tree.sha_at(i) if present else None, change)
                new = None if sub is None else tree_entry(TREE_MODE, name, sub)
            else:
                new = None if change is None else tree_entry(change[0], name, change[1])
            if new is None and not present:
                continue
            edits.append((i, name + b"/" if folder else name, present, new or b""))
        if not edits:
            return sha
        edits.sort()
        raw = tree.spliced([(i, present, new) for i, _, present, new in edits])
        return self._write(raw) if raw else None


def _find(tree: Tree, name: bytes, folder: bool) -> tuple[int, bool]:
    key = name + b"/" if folder else name
    i = bisect_left(tree.keys, key)
    return i, i < len(tree.keys) and tree.keys[i] == key
