"""The file system edge: writes inside output_dir that no symlink, even one swapped in
while they run, leads out of it; new files as the umask says, old ones keep their mode."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codegen.errors import CodegenError
from codegen.files import write_atomic, write_inside


def everything_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*"))


def test_a_folder_swapped_for_a_symlink_while_files_are_written_never_leads_a_write_out(
    tmp_path: Path,
) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    sub = out / "sub"
    done = threading.Event()
    swaps = [0]

    def swap() -> None:
        """`sub`, again and again: a real folder, then a symlink to `outside`."""
        n = 0
        while not done.is_set():
            n += 1
            link = out / f".link{n}"
            os.symlink(outside, link)
            try:
                os.replace(link, sub)  # over nothing or a symlink: sub is now the link
            except OSError:  # sub is a real folder: set it aside, inside out
                os.unlink(link)
                try:
                    os.rename(sub, out / f"aside{n}")
                except OSError:
                    pass  # gone meanwhile
                continue
            swaps[0] += 1
            os.unlink(sub)
            try:
                os.mkdir(sub)
            except FileExistsError:
                pass  # a writer made it first

    written: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        # Until the swaps have met the writes both ways (bounded, not timed).
        for i in range(20_000):
            with lock:
                if len(written) >= 100 and len(refused) >= 100 and swaps[0] >= 100:
                    return
            rel = f"sub/m{worker}_{i}.py"
            try:
                write_inside(out, rel, f"# {rel}\n")
            except CodegenError as exc:
                with lock:
                    refused.append(exc.message)
            else:
                with lock:
                    written.append(rel)

    # Each thread's exception, if any, comes out of .result(): a writer may only be refused.
    with ThreadPoolExecutor(max_workers=5) as pool:
        swapping = pool.submit(swap)
        try:
            for writer in [pool.submit(write, w) for w in range(4)]:
                writer.result()
        finally:
            done.set()
        swapping.result()

    assert everything_under(outside) == []  # nothing was ever written outside
    left = [p for p in everything_under(tmp_path) if p.name.endswith(".tmp")]
    assert left == []
    assert len(written) >= 100 and len(refused) >= 100 and swaps[0] >= 100, (len(written), len(refused))
    assert all("\n" not in m for m in refused)
    assert any(
        m.endswith("is a symlink, and codegen writes through no symlink inside the output folder")
        for m in refused
    )
    # Every write that succeeded is a whole file inside out (in sub, or a folder set aside).
    found = {p.name: p.read_text() for p in out.rglob("*.py")}
    for rel in written:
        assert found[rel.removeprefix("sub/")] == f"# {rel}\n"


def test_a_symlink_inside_the_output_folder_is_refused_at_write_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "real").mkdir(parents=True)
    os.symlink(out / "real", out / "link")  # even one that points inside
    with pytest.raises(CodegenError) as info:
        write_inside(out, "link/a.py", "A = 1\n")
    assert info.value.message == (
        f"{out / 'link' / 'a.py'}: not written: {out / 'link'} is a symlink, "
        "and codegen writes through no symlink inside the output folder"
    )
    assert everything_under(out) == [out / "link", out / "real"]


@pytest.fixture
def umask_077() -> object:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_077")
def test_new_files_and_folders_respect_the_umask_and_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    write_inside(tmp_path, "pkg/a.py", "A = 1\n")
    write_atomic(tmp_path / "spec.lock", "{}\n")
    (tmp_path / "b.py").write_text("B = 0\n")
    (tmp_path / "b.py").chmod(0o640)
    write_inside(tmp_path, "b.py", "B = 1\n")
    assert (mode(tmp_path / "pkg" / "a.py"), mode(tmp_path / "pkg")) == (0o600, 0o700)
    assert mode(tmp_path / "spec.lock") == 0o600
    assert (tmp_path / "b.py").read_text() == "B = 1\n" and mode(tmp_path / "b.py") == 0o640
