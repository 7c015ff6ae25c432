"""Defaults from `[tool.codegen]` in `pyproject.toml`, as black and ruff read theirs.

The nearest `pyproject.toml` at or above the spec's folder that has a `[tool.codegen]`
table gives defaults for the options a team sets once: `model`, `jobs`, `max_cost`,
`format`. The command line wins over it; a spec's own `model` wins over its `model`
too (the spec is what the lock file records), and so does `CODEGEN_MODEL`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError

FORMATS = ("text", "json", "problems")
_KEYS = ("model", "jobs", "max_cost", "format")


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the pyproject.toml read; None: none found
    model: str | None = None
    jobs: int | None = None
    max_cost: float | None = None
    format: str | None = None


def find_config(start: Path) -> Config:
    """The `[tool.codegen]` of the nearest pyproject.toml at or above `start` that has
    one (a pyproject.toml without it is passed over, as ruff does)."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"{path}: cannot read it for [tool.codegen]: {exc}") from None
        table = data.get("tool", {}).get("codegen") if isinstance(data.get("tool"), dict) else None
        if table is not None:
            return _config(path, table)
    return Config()


def _config(path: Path, table: Any) -> Config:
    where = f"{path}: [tool.codegen]"
    if not isinstance(table, dict):
        raise UsageError(f"{where} is not a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(_KEYS)}")
    model, jobs, max_cost, fmt = (table.get(k) for k in _KEYS)
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise UsageError(f"{where}: model: expected a model id, got {model!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise UsageError(f"{where}: jobs: expected a whole number of at least 1, got {jobs!r}")
    if max_cost is not None and (
        isinstance(max_cost, bool) or not isinstance(max_cost, int | float) or max_cost < 0
    ):
        raise UsageError(f"{where}: max_cost: expected USD (a number of at least 0), got {max_cost!r}")
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"{where}: format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return Config(path, model, jobs, None if max_cost is None else float(max_cost), fmt)
