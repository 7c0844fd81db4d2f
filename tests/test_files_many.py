"""``atomic_write_many``: the batched writer behind big imports, on real files.

Each file must end up whole (old or new bytes, never a mix or a truncation), no temp file
may be left in a record folder, and a failure must take its temp files with it.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tcrm.store.files import atomic_write, atomic_write_many


def test_writes_every_file_with_its_bytes_making_folders_once_and_leaving_no_temp_file(
    tmp_path: Path,
) -> None:
    tmp_dir = tmp_path / ".tcrm" / "tmp"
    items = [(tmp_path / "clients" / f"c{n}.yaml", f"name: C{n}\n".encode()) for n in range(150)]
    items += [(tmp_path / "activities" / "2026" / "a1.yaml", b"summary: call\n")]
    items += [(tmp_path / "big.bin", os.urandom(3_000_000))]  # more than one write() may take
    atomic_write_many(items, tmp_dir)
    for path, data in items:
        assert path.read_bytes() == data
    assert sorted(p.name for p in (tmp_path / "clients").iterdir()) == sorted(
        f"c{n}.yaml" for n in range(150)
    )
    assert list(tmp_dir.iterdir()) == []


def test_replaces_existing_files_by_rename_with_the_same_mode_as_atomic_write(
    tmp_path: Path,
) -> None:
    tmp_dir = tmp_path / "tmp"
    one, many = tmp_path / "one.yaml", tmp_path / "many.yaml"
    for path in (one, many):
        path.write_bytes(b"old\n")
    inode = many.stat().st_ino
    atomic_write(one, b"new\n", tmp_dir)
    atomic_write_many([(many, b"new\n")], tmp_dir)
    assert many.read_bytes() == b"new\n"
    assert many.stat().st_ino != inode  # a new file renamed over the old, not rewritten
    assert stat.S_IMODE(many.stat().st_mode) == stat.S_IMODE(one.stat().st_mode)


def test_temp_files_go_beside_the_target_without_a_tmp_dir_and_are_gone_after(
    tmp_path: Path,
) -> None:
    items = [(tmp_path / "d" / f"f{n}.yaml", b"x\n") for n in range(3)]
    atomic_write_many(items)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["f0.yaml", "f1.yaml", "f2.yaml"]


def test_a_file_that_cannot_be_written_takes_every_temp_file_with_it(tmp_path: Path) -> None:
    tmp_dir = tmp_path / "tmp"
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "b.yaml").write_bytes(b"old b\n")
    (tmp_path / "not-a-folder").write_bytes(b"")
    items = [
        (folder / "a.yaml", b"a\n"),
        (folder / "b.yaml", b"new b\n"),
        (tmp_path / "not-a-folder" / "c.yaml", b"c\n"),  # its folder cannot be made
    ]
    with pytest.raises(OSError):
        atomic_write_many(items, tmp_dir)
    assert sorted(p.name for p in folder.iterdir()) == ["b.yaml"]  # nothing renamed yet
    assert (folder / "b.yaml").read_bytes() == b"old b\n"
    assert list(tmp_dir.iterdir()) == []


def test_a_rename_that_fails_leaves_written_files_whole_and_no_temp_file(tmp_path: Path) -> None:
    tmp_dir = tmp_path / "tmp"
    folder = tmp_path / "clients"
    (folder / "b.yaml").mkdir(parents=True)  # a folder where a file should go
    items = [(folder / "a.yaml", b"a\n"), (folder / "b.yaml", b"b\n"), (folder / "c.yaml", b"c\n")]
    with pytest.raises(OSError):
        atomic_write_many(items, tmp_dir)
    assert (folder / "a.yaml").read_bytes() == b"a\n"  # renamed before the failure: whole
    assert (folder / "b.yaml").is_dir()
    assert not (folder / "c.yaml").exists()
    assert list(tmp_dir.iterdir()) == []


REWRITE_FOREVER = """
import sys
from pathlib import Path
from tcrm.store.files import atomic_write_many

folder, tmp, ready = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
versions = [Path(p).read_bytes() for p in sys.argv[4:6]]
i = 0
while True:
    i += 1
    atomic_write_many([(folder / f"r{n}.yaml", versions[i % 2]) for n in range(80)], tmp)
    if i == 2:  # every file holds the first version
        ready.touch()
    if i == 3:  # every file holds the second version
        Path(str(ready) + ".more").touch()
"""


def test_a_writer_killed_at_any_moment_leaves_every_file_whole(tmp_path: Path) -> None:
    folder, tmp_dir = tmp_path / "clients", tmp_path / ".tcrm" / "tmp"
    versions = [f"name: Acme\nnotes: {c * 50_000}\n".encode() for c in "ab"]
    sources = []
    for n, data in enumerate(versions):
        source = tmp_path / f"version{n}.yaml"
        source.write_bytes(data)
        sources.append(str(source))
    rng = random.Random(99)
    seen: set[bytes] = set()
    for n in range(12):
        ready = tmp_path / f"ready{n}"
        args = [str(folder), str(tmp_dir), str(ready), *sources]
        writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(REWRITE_FOREVER), *args])
        try:
            deadline = time.monotonic() + 30
            # Odd rounds start from the second version, even ones from the first, so both
            # are seen even when a loaded machine lets the writer make no progress.
            marker = Path(str(ready) + ".more") if n % 2 else ready
            while not marker.exists():
                assert writer.poll() is None, f"the writer ended with {writer.returncode}"
                assert time.monotonic() < deadline, "the writer never got going"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(f"r{k}.yaml" for k in range(80))  # no stray temp file here
        for path in folder.iterdir():
            data = path.read_bytes()
            assert data in versions, f"{path.name}: {len(data)} bytes, neither version"
            seen.add(data)
        for leftover in tmp_dir.iterdir():  # a kill may leave temp files, only in tmp_dir
            assert leftover.name.startswith(".r") and leftover.name.endswith(".tmp")
    assert seen == set(versions)  # the writer really was switching between the versions
