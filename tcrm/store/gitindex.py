"""git's index file, patched in place: only the entries of the paths a commit touches change.

Reading and rewriting a 100,000-entry index through dulwich takes ~2 s in Python; patching
its bytes takes a few tens of milliseconds. Every other entry is kept byte for byte. The
optional extensions (cache-tree, untracked cache, offset tables...) are dropped, because
their content would be out of date and git rebuilds them when it wants them. Anything this
module does not understand raises ``Unsupported`` before a byte is written, so the caller
can take the slow, general path instead. Pure Python: no dulwich here (see git.py).

Format: https://git-scm.com/docs/index-format (versions 2 and 3, SHA-1).
"""

from __future__ import annotations

import hashlib
import os
import struct
from bisect import bisect_left
from collections.abc import Mapping
from pathlib import Path

SIGNATURE = b"DIRC"
HEADER_SIZE = 12
HASH_SIZE = 20
FIXED_SIZE = 62  # ctime, mtime, dev, ino, mode, uid, gid, size, sha-1, flags
FLAGS_HIGH = 0xF0  # in the flags' first byte: assume-valid, extended, and the stage (2 bits)
NAME_MASK = 0x0FFF
_U32 = 0xFFFFFFFF
_FIELDS = struct.Struct(">10I20sH")


class Unsupported(Exception):
    """The index (or repository) uses something the fast path leaves to the general one."""


class IndexLocked(Exception):
    """``index.lock`` exists: another git process is changing the index."""


def entry_bytes(name: bytes, st: os.stat_result, mode: int, sha: bytes) -> bytes:
    """One stage-0 index entry for ``name``, with the file's stat data as git records it.

    Stat fields are truncated to 32 bits like git does; ``sha`` is the 20-byte blob id.
    """
    fields = _FIELDS.pack(
        st.st_ctime_ns // 1_000_000_000 & _U32,
        st.st_ctime_ns % 1_000_000_000,
        st.st_mtime_ns // 1_000_000_000 & _U32,
        st.st_mtime_ns % 1_000_000_000,
        st.st_dev & _U32,
        st.st_ino & _U32,
        mode,
        st.st_uid & _U32,
        st.st_gid & _U32,
        st.st_size & _U32,
        sha,
        min(len(name), NAME_MASK),
    )
    size = (FIXED_SIZE + len(name) + 8) & ~7  # NUL-padded to a multiple of 8
    return fields + name + b"\0" * (size - FIXED_SIZE - len(name))


class IndexFile:
    """An index's bytes and where each entry starts: enough to find, replace, insert and
    delete entries without decoding the others."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        if len(data) < HEADER_SIZE + HASH_SIZE or data[:4] != SIGNATURE:
            raise Unsupported("not a git index")
        self.version = int.from_bytes(data[4:8], "big")
        if self.version not in (2, 3):
            raise Unsupported(f"index version {self.version}")
        trailer = data[-HASH_SIZE:]
        body = memoryview(data)[:-HASH_SIZE]
        if trailer != b"\0" * HASH_SIZE and hashlib.sha1(body).digest() != trailer:
            raise Unsupported("index checksum mismatch")  # index.skipHash writes zeros
        self.offsets, self.end = self._walk(int.from_bytes(data[8:12], "big"))
        self._check_extensions()
        self._names: list[bytes] | None = None
        self._found: dict[bytes, tuple[int, bool]] = {}

    def _walk(self, count: int) -> tuple[list[int], int]:
        """Each entry's offset. The name length is in the flags' low 12 bits (0xFFF: longer,
        find its NUL); an entry is padded to 8 bytes. Unmerged entries (a conflict in
        progress) and per-entry flags we would have to carry over are refused."""
        data, limit = self.data, len(self.data) - HASH_SIZE
        offsets = [0] * count
        pos = HEADER_SIZE
        try:
            for i in range(count):
                offsets[i] = pos
                high = data[pos + 60]
                if high & FLAGS_HIGH:
                    raise Unsupported("index entries with flags or conflicts")
                length = ((high & 0x0F) << 8) | data[pos + 61]
                if length == NAME_MASK:
                    length = data.index(b"\0", pos + FIXED_SIZE) - pos - FIXED_SIZE
                pos += (FIXED_SIZE + length + 8) & ~7
        except IndexError:
            raise Unsupported("truncated index") from None
        if pos > limit:
            raise Unsupported("truncated index")
        return offsets, pos

    def _check_extensions(self) -> None:
        """Optional extensions (signature starting with A-Z) can be dropped; a mandatory one
        (split index ``link``, sparse ``sdir``...) changes what the entries mean."""
        data, pos, limit = self.data, self.end, len(self.data) - HASH_SIZE
        while pos < limit:
            if pos + 8 > limit:
                raise Unsupported("truncated index extension")
            signature = data[pos : pos + 4]
            if not b"A"[0] <= signature[0] <= b"Z"[0]:
                raise Unsupported(f"index extension {signature!r}")
            pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
        if pos != limit:
            raise Unsupported("truncated index extension")

    def __len__(self) -> int:
        return len(self.offsets)

    def name_at(self, i: int) -> bytes:
        start = self.offsets[i] + FIXED_SIZE
        return self.data[start : self.data.index(b"\0", start)]

    def entry_at(self, i: int) -> bytes:
        """The raw bytes of entry ``i``, padding included."""
        stop = self.offsets[i + 1] if i + 1 < len(self.offsets) else self.end
        return self.data[self.offsets[i] : stop]

    def load_names(self) -> None:
        """Decode every name once (~40 ms at 100k): cheaper than thousands of searches that
        decode 17 names each, when a batch of files changes."""
        if self._names is None:
            self._names = [self.name_at(i) for i in range(len(self.offsets))]

    def _position(self, name: bytes) -> int:
        if self._names is not None:
            return bisect_left(self._names, name)
        return bisect_left(range(len(self.offsets)), name, key=self.name_at)

    def find(self, name: bytes) -> tuple[int, bool]:
        """``(position, present)``: where ``name`` is, or would be inserted (entries are
        sorted by name)."""
        if name not in self._found:
            i = self._position(name)
            self._found[name] = i, i < len(self.offsets) and self.name_at(i) == name
        return self._found[name]

    def get(self, name: bytes) -> bytes | None:
        i, present = self.find(name)
        return self.entry_at(i) if present else None

    def has_under(self, folder: bytes) -> bool:
        """Whether an entry lies below ``folder`` (a directory where a file would go)."""
        prefix = folder + b"/"
        i = self._position(prefix)
        return i < len(self.offsets) and self.name_at(i).startswith(prefix)

    def patched(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        """New index bytes: ``{name: entry bytes, or None to remove it}`` applied, every other
        entry kept verbatim, optional extensions dropped, checksum recomputed."""
        edits = []  # (position, replaces an entry, new bytes)
        removed = added = 0
        for name in sorted(changes):
            i, present = self.find(name)
            new = changes[name]
            if new is None and not present:
                continue
            edits.append((i, present, new or b""))
            removed += present
            added += new is not None
        data = memoryview(self.data)
        bounds = [*self.offsets, self.end]
        chunks: list[bytes | memoryview] = [
            SIGNATURE + struct.pack(">II", self.version, len(self.offsets) - removed + added)
        ]
        previous = 0  # the first entry not yet copied
        for i, replaces, new in edits:
            chunks.append(data[bounds[previous] : bounds[i]])
            chunks.append(new)
            previous = i + 1 if replaces else i
        chunks.append(data[bounds[previous] : self.end])
        body = b"".join(chunks)
        return body + hashlib.sha1(body).digest()


class IndexLock:
    """``index.lock``, created exclusively like git does; ``commit`` renames it over the index.

    Held while reading, patching and writing, so no other git process changes the index
    in between. Leaving the block without ``commit`` removes the lock and changes nothing.
    """

    def __init__(self, index: Path) -> None:
        self.index = index
        self.path = index.with_name(index.name + ".lock")
        self._fd: int | None = None
        self._owned = False

    def __enter__(self) -> IndexLock:
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise IndexLocked(
                f"{self.path} exists: another git process is running; if none is, delete that file"
            ) from None
        self._owned = True
        return self

    def commit(self, data: bytes) -> os.stat_result:
        """Write ``data`` as the new index; its stat, to notice a later change by a hook."""
        assert self._fd is not None
        fd, self._fd = self._fd, None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(self.path, self.index)
        self._owned = False
        return os.stat(self.index)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._owned:  # not renamed: the index stays as it was
            self.path.unlink(missing_ok=True)
            self._owned = False


def write_index(index: Path, data: bytes) -> os.stat_result:
    """Replace the whole index with ``data`` through ``index.lock``."""
    with IndexLock(index) as lock:
        return lock.commit(data)
