"""The lock file: what each output was generated from, and what was written.

It sits beside the spec (`todo.yaml` -> `todo.lock`), is small, sorted and free of
timestamps and absolute paths, and is meant to be committed. From it `check` tells,
without the network, whether an output is missing, stale against its spec entry or a
dependency, or edited by hand; and `build` skips what is up to date.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeGuard

from . import prompts
from .errors import UsageError
from .files import read_text, resolve_inside, write_atomic
from .spec import FileSpec, Spec

LOCK_VERSION = 1


@dataclass(frozen=True)
class Record:
    """One output as generated."""

    entry: str  # hash of everything in the spec that shapes this file's request
    depends: dict[str, str]  # dependency path -> hash of its output when this was built
    output: str  # hash of the file as written
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


def lock_path(spec: Spec) -> Path:
    """Beside the spec; a spec that is a symlink: beside its target, with the journal."""
    return spec.path.resolve().with_suffix(".lock")


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(spec: Spec, file: FileSpec) -> str:
    """Changes when anything that shapes the file's requests changes."""
    shaping = {
        "path": file.path,
        "prompt": file.prompt,
        "requires": list(file.requires),
        "depends_on": list(file.depends_on),
        "max_tokens": file.max_tokens,
        "model": spec.model,
        "thinking": spec.thinking,
        "context": spec.context,
        "system": prompts.SYSTEM,
    }
    if file.language_override is not None:  # only when set: older records stay current
        shaping["language"] = file.language_override
    if file.format_command:  # the same: a formatter changes what is written
        shaping["format"] = file.format_command
    return digest(json.dumps(shaping, sort_keys=True))


def load(spec: Spec) -> dict[str, Record]:
    """The records of the spec's lock file; none when it does not exist."""
    path = lock_path(spec)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: unreadable lock file ({exc}); delete it to rebuild from scratch") from None
    version = data.get("version") if isinstance(data, dict) else None
    if _is_count(version) and version > LOCK_VERSION:
        raise UsageError(f"{path}: written by a newer codegen (version {version}); upgrade codegen")
    problem = _malformed(data)
    if problem:
        raise UsageError(
            f"{path}: not a valid codegen lock file: {problem}; delete it to rebuild from scratch"
        )
    return {p: Record(**r) for p, r in data["outputs"].items()}


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hashes(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(h, str) for h in value.values())


def _is_cost(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and value >= 0)


# What each key of a record holds: a test, and what it says a value must be.
_RECORD: dict[str, tuple[Callable[[object], bool], str]] = {
    "entry": (lambda v: isinstance(v, str), "a hash (a string)"),
    "depends": (_is_hashes, "a mapping of paths to hashes"),
    "output": (lambda v: isinstance(v, str), "a hash (a string)"),
    "model": (lambda v: isinstance(v, str), "a model id (a string)"),
    "calls": (_is_count, "a count (an integer, 0 or more)"),
    "input_tokens": (_is_count, "a count (an integer, 0 or more)"),
    "output_tokens": (_is_count, "a count (an integer, 0 or more)"),
    "cost_usd": (_is_cost, "a cost in USD (a number, or null)"),
}


def _malformed(data: object) -> str:
    """Pure: what keeps `data` from being a lock file this codegen wrote (`key: reason`),
    or "" when it is one."""
    if not isinstance(data, dict):
        return f"expected a mapping with `version` and `outputs`, got {_shown(data)}"
    if "version" not in data:
        return "version: required key is missing"
    if not _is_count(data["version"]) or data["version"] != LOCK_VERSION:
        return f"version: expected {LOCK_VERSION}, got {_shown(data['version'])}"
    outputs = data.get("outputs")
    if not isinstance(outputs, dict):
        return f"outputs: expected a mapping of paths to records, got {_shown(outputs)}"
    for output, record in outputs.items():
        where = f"outputs[{json.dumps(output)}]"
        if not isinstance(record, dict):
            return f"{where}: expected a record (a mapping), got {_shown(record)}"
        for key in sorted(record.keys() - _RECORD.keys()):
            return f"{where}.{key}: unknown key; a record holds {', '.join(_RECORD)}"
        for key, (valid, what) in _RECORD.items():
            if key not in record:
                return f"{where}.{key}: required key is missing"
            if not valid(record[key]):
                return f"{where}.{key}: expected {what}, got {_shown(record[key])}"
    return ""


def _shown(value: object) -> str:
    """A value as the lock file spells it, cut short."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def save(spec: Spec, records: dict[str, Record], changed: Iterable[str]) -> None:
    """Write the records of the `changed` paths into the lock file as it is on disk now.

    The other records are read back, not written from `records`: a build's copy is as
    old as its start, and writing it whole would drop what another process recorded
    since. Builds of one spec take turns (`build.exclusive`), but a build that could
    not take that lock (a read-only `.codegen/`) or an older codegen may not."""
    merged = load(spec)
    for path in changed:
        if path in records:
            merged[path] = records[path]
        else:
            merged.pop(path, None)
    data: dict[str, Any] = {
        "version": LOCK_VERSION,
        "spec": spec.path.resolve().name,  # a symlinked spec: its target, as lock_path
        "outputs": {p: asdict(merged[p]) for p in sorted(merged)},
    }
    write_atomic(lock_path(spec), json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class State:
    """Where an output stands against its record. `problem` is "" when up to date."""

    problem: str
    edited: bool = False  # the file on disk is not what codegen wrote
    # For problem matchers: not-generated, missing-output, edited or stale ("" when up to date).
    code: str = ""


def state(
    spec: Spec,
    file: FileSpec,
    record: Record | None,
    output: str | None,
    dependency_outputs: dict[str, str | None],
) -> State:
    """Pure: compare one output (its text, or None when missing) with its record."""
    if record is None:
        if output is not None:
            return State("exists but was not generated by codegen", edited=True, code="edited")
        return State("not generated yet", code="not-generated")
    if output is None:
        return State("missing", code="missing-output")
    if digest(output) != record.output:
        return State("edited by hand since it was generated", edited=True, code="edited")
    if record.entry != entry_hash(spec, file):
        return State("stale: its spec entry changed", code="stale")
    for dep in file.depends_on:
        text = dependency_outputs.get(dep)
        if text is None or record.depends.get(dep) != digest(text):
            return State(f"stale: {dep} changed since it was built", code="stale")
    return State("")


def current_state(spec: Spec, file: FileSpec, records: dict[str, Record]) -> State:
    """Where an output on disk stands against its record."""
    output = read_text(resolve_inside(spec.output_dir, file.path))
    deps = {d: read_text(resolve_inside(spec.output_dir, d)) for d in file.depends_on}
    return state(spec, file, records.get(file.path), output, deps)
