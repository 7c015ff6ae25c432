"""The file system edge: atomic writes that never leave output_dir."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import CodegenError, UsageError


def resolve_inside(root: Path, rel: str) -> Path:
    """root/rel, refusing a path that a symlink made since loading leads out of root."""
    target = (root / rel).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise UsageError(f"{rel}: leaves the output folder {root} (through a symlink); not written")
    return root / rel


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and a rename: readers see the old file or the new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CodegenError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CodegenError(
            f"{path}: cannot write: {exc.strerror or exc}; the old file is unchanged"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
