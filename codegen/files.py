"""The file system edge: atomic writes that never leave output_dir."""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path

from .errors import CodegenError, UsageError


def resolve_inside(root: Path, rel: str) -> Path:
    """root/rel, refusing a path that a symlink made since loading leads out of root."""
    try:
        target = (root / rel).resolve()
        base = root.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink swapped while it was followed; a loop
        raise CodegenError(f"{root / rel}: cannot follow the path: {exc}") from None
    if target != base and base not in target.parents:
        raise UsageError(f"{rel}: leaves the output folder {root} (through a symlink); not written")
    return root / rel


# Writes inside output_dir go through folder descriptors, each folder below it opened
# without following a symlink: a folder swapped for a symlink after the spec was
# checked cannot lead a write out. Where os.open takes no dir_fd (Windows), the path
# is checked, then written.
_DIR_FD = {os.open, os.mkdir, os.stat, os.unlink, os.rename} <= os.supports_dir_fd and all(
    hasattr(os, flag) for flag in ("O_NOFOLLOW", "O_DIRECTORY", "fchmod")
)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC


def _umask_at_import() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import, since os.umask sets it for every thread; needed only without
# dir_fd: elsewhere os.open gives a new file 0o666 less the umask itself.
_UMASK = 0o022 if _DIR_FD else _umask_at_import()


def write_inside(root: Path, rel: str, text: str) -> None:
    """Write root/rel (posix, normalised, inside root) as `write_atomic` does, through
    no symlink below root: one found there, even one made a moment ago, is refused.
    Symlinks above root (root itself reached through one) are followed."""
    if not _DIR_FD:
        write_atomic(resolve_inside(root, rel), text)
        return
    path = root / rel
    *folders, name = rel.split("/")
    try:
        os.makedirs(root, exist_ok=True)
        fd = os.open(root, _FOLDER)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        for depth, folder in enumerate(folders, start=1):
            inner = _open_folder(fd, folder, path, root.joinpath(*folders[:depth]))
            os.close(fd)
            fd = inner
        existing = _lstat(fd, name, path)
        if existing is not None and stat.S_ISLNK(existing.st_mode):
            raise _through_symlink(path, path)
        _write_in(fd, name, text, path)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and a rename: readers see the old file or the new one.
    A new file's mode is 0o666 less the umask; a file replaced keeps its mode."""
    if not _DIR_FD:
        _write_by_path(path, text)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.parent, _FOLDER)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        _write_in(fd, path.name, text, path)
    finally:
        os.close(fd)


def _open_folder(parent: int, name: str, path: Path, shown: Path) -> int:
    """The folder `name` in the folder `parent`, made when missing; not through a symlink."""
    for _attempt in range(3):
        try:
            return os.open(name, _FOLDER | _NOFOLLOW, dir_fd=parent)
        except FileNotFoundError:
            pass
        except OSError as exc:
            found = _lstat(parent, name, path)
            if found is not None and stat.S_ISLNK(found.st_mode):
                raise _through_symlink(path, shown) from None
            raise _cannot_write(path, exc) from None
        try:
            os.mkdir(name, 0o777, dir_fd=parent)
        except FileExistsError:
            pass  # made meanwhile (another thread or build): open it
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    raise CodegenError(f"{path}: cannot write: {shown} keeps disappearing")


def _write_in(folder: int, name: str, text: str, path: Path) -> None:
    """`name` in the open `folder`, written as a temporary file beside it, synced, renamed."""
    existing = _lstat(folder, name, path)
    # A symlink replaced (write_atomic's lock file) gives no mode to keep: its own is 0o777.
    mode = None if existing is None or stat.S_ISLNK(existing.st_mode) else stat.S_IMODE(existing.st_mode)
    tmp = f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        out = os.open(tmp, _NEW_FILE, 0o666, dir_fd=folder)  # the umask applies
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        try:
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(out, data) :]
            if mode is not None:
                os.fchmod(out, mode)
            os.fsync(out)
        finally:
            os.close(out)
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError as exc:
        _remove(tmp, folder)
        raise _cannot_write(path, exc, kept=True) from None
    except BaseException:
        _remove(tmp, folder)
        raise


def _write_by_path(path: Path, text: str) -> None:
    """write_atomic without dir_fd (Windows): by the path, as it is at each step."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(path, exc, kept=True) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lstat(folder: int, name: str, path: Path) -> os.stat_result | None:
    """`name` in `folder` as it is (a symlink not followed); None when there is none."""
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _remove(name: str, folder: int) -> None:
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        pass  # never made, or already renamed


def _cannot_write(path: Path, exc: OSError, *, kept: bool = False) -> CodegenError:
    unchanged = "; the old file is unchanged" if kept else ""
    return CodegenError(f"{path}: cannot write: {exc.strerror or exc}{unchanged}")


def _through_symlink(path: Path, link: Path) -> CodegenError:
    return CodegenError(
        f"{path}: not written: {link} is a symlink, and codegen writes through no symlink "
        "inside the output folder"
    )


def read_text(path: Path) -> str | None:
    """The file's text, or None when there is no such file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CodegenError(f"{path}: is a folder, where a file is expected") from None
    except UnicodeDecodeError:
        raise CodegenError(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise CodegenError(f"{path}: cannot read: {exc.strerror or exc}") from None
