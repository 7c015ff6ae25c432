"""The spec file: typed models, loading, and every error a spec can have.

All checks run before any API call, so a broken spec never costs a token.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import SpecError, UsageError
from .models import DEFAULT_MODEL, lookup

_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# In the other languages a name may hold `$` (JavaScript) and a path `::` (Rust, C++).
_CODE_PATH = re.compile(r"^[A-Za-z_$][\w$]*((\.|::)[A-Za-z_$][\w$]*)*$")
# What `requires` names in a data file or a document: keys and headings, any words.
_KEYED = frozenset({"json", "jsonc", "toml", "yaml", "markdown"})

Thinking = Literal["off", "adaptive"] | int
PYTHON_SUFFIXES = (".py", ".pyi")

# What no path in a spec may hold: NUL (no file system takes it); the other C0 and C1
# controls and DEL (a newline forges lines in `--format problems`, ESC drives the
# terminal); line and paragraph separators; and the bidirectional controls, which
# show a path other than it is.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE_IN_PATH = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI_CONTROLS}]")
_BIDI = re.compile(f"[{_BIDI_CONTROLS}]")

# What marks a project's folder, the one a spec's outputs stay in (as black finds its root).
PROJECT_MARKERS = (".git", ".hg", "pyproject.toml")


class FileEntry(BaseModel):
    """One file of a spec, as written by the user."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    path: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    # What the validators read it as, when its extension does not say (`language_of`);
    # before `requires`, which is read in its terms.
    language: str | None = None
    requires: list[str] = []
    max_tokens: int | None = Field(default=None, gt=0)
    depends_on: list[str] = []
    # A formatter for a file in another language than Python: a command that reads
    # the code on stdin and writes it formatted (`{path}`: the file's path).
    format: str | None = Field(default=None, min_length=1)

    @field_validator("language")
    @classmethod
    def _language(cls, language: str | None) -> str | None:
        from validators import LANGUAGES

        if language is not None and language not in LANGUAGES:
            raise ValueError(f"{language!r} is not a language codegen checks: {', '.join(LANGUAGES)}")
        return language

    @field_validator("requires")
    @classmethod
    def _names(cls, names: list[str], info: ValidationInfo) -> list[str]:
        """Each required name as the file's language spells one: a Python name path, a
        name path of another language (`Store::put`, `$el`), or, in JSON, TOML, YAML and
        Markdown, a key or a heading (`build-system`, `Getting started`)."""
        from validators import language_of

        path = info.data.get("path")
        language = info.data.get("language") or (language_of(path) if isinstance(path, str) else None)
        for name in names:
            if language in _KEYED:
                if not name.strip():
                    raise ValueError("a required key or heading cannot be blank")
            elif not (_IDENTIFIER_PATH if language in ("python", None) else _CODE_PATH).match(name):
                raise ValueError(f"{name!r} is not a name like `Todo` or `TodoList.add`")
        return names


class VerifyEntry(BaseModel):
    """`verify:`: a command run in output_dir after the build, and its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    command: str = Field(min_length=1)
    timeout: float = Field(default=120, gt=0)  # seconds
    max_rounds: int = Field(default=2, ge=0)  # repair rounds after a failed run


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    version: int
    model: str | None = Field(default=None, min_length=1)
    max_tokens: int = Field(default=8192, gt=0)
    max_continuations: int = Field(default=8, ge=0)
    max_repairs: int = Field(default=4, ge=0)
    thinking: Thinking | None = None
    output_dir: str = "."
    context: str = ""
    verify: VerifyEntry | None = None
    # The format command of every file in a language (`format:` of a file wins).
    formatters: dict[str, str] = {}
    files: list[FileEntry] = Field(min_length=1)


@dataclass(frozen=True)
class FileSpec:
    """One file to generate, with the spec's settings resolved for it."""

    path: str  # posix, relative to output_dir, normalised
    prompt: str
    requires: tuple[str, ...]
    depends_on: tuple[str, ...]
    max_tokens: int
    index: int  # position in the spec's `files`, for error messages
    language_override: str | None = None  # the entry's `language:`
    # The formatter's command as written (`format:`, or `formatters:` for its language),
    # and its words, `{path}` in them not yet replaced; () for none.
    format_command: str = ""
    format_argv: tuple[str, ...] = ()

    @property
    def checked_as(self) -> str | None:
        """The language the validators read it as (None: no validator reads it)."""
        from validators import language_of

        return self.language_override or language_of(self.path)

    @property
    def language(self) -> str:
        """ "python" for the files libcst checks and black formats, else "other"."""
        return "python" if self.checked_as == "python" else "other"


@dataclass(frozen=True)
class Verify:
    """The spec's verify command: run without a shell, in output_dir."""

    command: str  # as written
    argv: tuple[str, ...]  # split as a POSIX shell would split it
    timeout: float
    max_rounds: int


@dataclass(frozen=True)
class Spec:
    path: Path  # the spec file
    model: str
    max_tokens: int
    max_continuations: int
    max_repairs: int
    thinking: Thinking | None
    output_dir: Path  # absolute
    context: str
    files: tuple[FileSpec, ...]  # in dependency order: a file comes after what it depends on
    verify: Verify | None = None

    def file(self, path: str) -> FileSpec:
        return next(f for f in self.files if f.path == path)


def load_spec(
    path: str | Path,
    *,
    model_override: str | None = None,
    max_tokens_override: int | None = None,
    default_model: str | None = None,
) -> Spec:
    """Read and check a spec file; raise SpecError naming the key path at fault. The
    model: `model_override` (--model), else the spec's, else CODEGEN_MODEL, else
    `default_model` ([tool.codegen]), else DEFAULT_MODEL."""
    spec_path = Path(path)
    shown = str(path)
    node, raw = _read_yaml(spec_path, shown)
    model = _validated(raw, node, shown)

    def fail(loc: tuple[str | int, ...], reason: str) -> SpecError:
        return SpecError(_at(shown, node, loc), _key_path(loc), reason)

    spec_dir = spec_path.resolve().parent
    unsafe = _unsafe_character(model.output_dir)
    if unsafe:
        raise fail(("output_dir",), f"{model.output_dir!r} holds {unsafe}")
    if os.path.isabs(model.output_dir):
        output_dir = Path(model.output_dir)
    else:
        output_dir = spec_dir / model.output_dir
    output_dir = Path(os.path.normpath(output_dir))

    max_tokens = max_tokens_override or model.max_tokens
    _check_thinking(model.thinking, max_tokens, ("thinking",), fail)
    _check_formatters(model, fail)
    files = _files(model, output_dir, max_tokens_override, fail)
    _check_collisions(files, model, fail)
    _check_not_own(files, output_dir, spec_path.resolve(), model, fail)
    ordered = _dependency_order(files, fail)
    chosen_model = (
        model_override or model.model or os.environ.get("CODEGEN_MODEL") or default_model or DEFAULT_MODEL
    )
    _check_output_limit(chosen_model, model, files, max_tokens_override, fail)
    return Spec(
        path=spec_path,
        model=chosen_model,
        max_tokens=max_tokens,
        max_continuations=model.max_continuations,
        max_repairs=model.max_repairs,
        thinking=model.thinking,
        output_dir=output_dir,
        context=model.context,
        files=tuple(ordered),
        verify=_verify_settings(model, fail),
    )


def _read_yaml(spec_path: Path, shown: str) -> tuple[yaml.Node | None, dict[str, Any]]:
    """The spec's YAML node (for line numbers) and its mapping."""
    try:
        text = spec_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{shown}: spec file not found") from None
    except IsADirectoryError:
        raise UsageError(f"{shown}: is a folder; give the spec file in it (YAML)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot read spec: {exc}") from None

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _reject_duplicate_keys(shown, node, "")
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(*_yaml_problem(shown, exc)) from None
    if not isinstance(raw, dict):
        raise SpecError(shown, "", "a spec is a YAML mapping with `version` and `files`")
    return node, raw


def _yaml_problem(shown: str, exc: yaml.YAMLError) -> tuple[str, str, str]:
    """(where, key path, reason) of a YAML error, at the line where the trouble starts:
    an unclosed quote is reported where it opens (its `context_mark`), not at the end of
    the file where the parser gave up."""
    problem = str(getattr(exc, "problem", None) or exc)
    found = getattr(exc, "problem_mark", None)
    start = getattr(exc, "context_mark", None)
    context = getattr(exc, "context", None)
    mark = start or found
    where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
    if start is not None and found is not None and context:
        at = f"{found.line + 1}:{found.column + 1}"
        return where, "", f"not valid YAML: {context} that starts here, {problem} at {at}"
    return where, "", f"not valid YAML: {problem}"


def _line_of(where: str) -> int:
    """The line number in "spec.yaml:6" or "spec.yaml:6:3" (0 when there is none)."""
    parts = where.rsplit(":", 2)
    numbers = [p for p in parts[1:] if p.isdigit()]
    return int(numbers[0]) if numbers else 0


def _validated(raw: dict[str, Any], node: yaml.Node | None, shown: str) -> SpecModel:
    try:
        model = SpecModel.model_validate(raw)
    except ValidationError as exc:
        # Every mistake at once, each on its line, in the order of the file. A misspelt
        # key also makes the real one "missing": the misspelling says it all.
        errors = list(exc.errors())
        misspelt = {tuple(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden"}
        errors = [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"][:-1]) in misspelt)]
        found: list[SpecError] = []
        for error in errors:
            # Union types (thinking) add the member's name to the location; drop it.
            loc = tuple(
                p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS))
            )
            found.append(SpecError(_at(shown, node, loc), _key_path(loc), _reason(error, loc)))
        unique = list({e.message: e for e in found}.values())
        unique.sort(key=lambda e: _line_of(e.spec_path))
        first = unique[0]
        if len(unique) > 1:
            first.message = "\n".join(e.message for e in unique)
        raise first from None

    if model.version != 1:
        raise SpecError(
            _at(shown, node, ("version",)),
            "version",
            f"unsupported version {model.version}; this codegen reads version 1",
        )
    return model


def _files(model: SpecModel, output_dir: Path, max_tokens_override: int | None, fail: Any) -> list[FileSpec]:
    """The spec's files, their paths and dependencies checked, in the spec's order."""
    files: list[FileSpec] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(model.files):
        rel = _normalise_output_path(entry.path, output_dir, lambda r, i=i: fail(("files", i, "path"), r))
        if rel in seen:
            raise fail(("files", i, "path"), f"{entry.path!r} is already files[{seen[rel]}].path")
        seen[rel] = i
        file_max = max_tokens_override or entry.max_tokens or model.max_tokens
        if entry.max_tokens is not None:
            _check_thinking(model.thinking, file_max, ("files", i, "max_tokens"), fail)
        spec_file = FileSpec(rel, entry.prompt, tuple(entry.requires), (), file_max, i, entry.language)
        files.append(_with_formatter(spec_file, entry, model, fail))

    resolved: list[FileSpec] = []
    for f, entry in zip(files, model.files, strict=True):
        deps: list[str] = []
        for j, dep in enumerate(entry.depends_on):
            dep_rel = os.path.normpath(dep).replace(os.sep, "/")
            if dep_rel not in seen:
                raise fail(("files", f.index, "depends_on", j), f"{dep!r} names no file of this spec")
            if dep_rel == f.path:
                raise fail(("files", f.index, "depends_on", j), "a file cannot depend on itself")
            deps.append(dep_rel)
        resolved.append(replace(f, depends_on=tuple(deps)))
    return resolved


def _check_formatters(model: SpecModel, fail: Any) -> None:
    from validators import LANGUAGES

    for language in model.formatters:
        if language == "python":
            raise fail(("formatters", language), "Python files are formatted by black; no other formatter")
        if language not in LANGUAGES:
            raise fail(
                ("formatters", language),
                f"{language!r} is not a language codegen checks: {', '.join(LANGUAGES)}",
            )


def _with_formatter(file: FileSpec, entry: FileEntry, model: SpecModel, fail: Any) -> FileSpec:
    """`file` with its format command: the entry's own, else its language's."""
    command = entry.format
    key: tuple[str | int, ...] = ("files", file.index, "format")
    if command is None and file.checked_as in model.formatters:
        command, key = model.formatters[str(file.checked_as)], ("formatters", str(file.checked_as))
    if command is None:
        return file
    if file.checked_as == "python":
        raise fail(key, "Python files are formatted by black; no other formatter")
    try:
        argv = tuple(shlex.split(command))
    except ValueError as exc:
        raise fail(key, f"cannot be split into words: {exc}") from None
    if not argv:
        raise fail(key, "must name a command")
    return replace(file, format_command=command, format_argv=argv)


def _verify_settings(model: SpecModel, fail: Any) -> Verify | None:
    if model.verify is None:
        return None
    try:
        argv = tuple(shlex.split(model.verify.command))
    except ValueError as exc:
        raise fail(("verify", "command"), f"cannot be split into words: {exc}") from None
    if not argv:
        raise fail(("verify", "command"), "must name a command")
    return Verify(model.verify.command, argv, model.verify.timeout, model.verify.max_rounds)


_UNION_TAGS = {"int", "str", "literal['off','adaptive']", "none"}


def _check_output_limit(
    model_id: str, model: SpecModel, files: list[FileSpec], override: int | None, fail: Any
) -> None:
    """max_tokens (the spec's, a file's, --max-tokens) within the model's output limit,
    where the model table knows it: above it the API refuses every request."""
    limit = lookup(model_id).max_output
    if not limit:
        return
    where = f"{model_id} writes at most {limit:,} tokens an answer"
    if override is not None:
        if override > limit:
            raise UsageError(f"--max-tokens {override:,}: {where}")
        return
    if model.max_tokens > limit:
        raise fail(("max_tokens",), f"{model.max_tokens:,} is above the limit: {where}")
    for file, entry in zip(files, model.files, strict=True):
        if entry.max_tokens is not None and entry.max_tokens > limit:
            raise fail(
                ("files", file.index, "max_tokens"), f"{entry.max_tokens:,} is above the limit: {where}"
            )


def _check_thinking(
    thinking: Thinking | None, max_tokens: int, loc: tuple[str | int, ...], fail: Any
) -> None:
    if isinstance(thinking, int) and not isinstance(thinking, bool):
        if thinking < 1024:
            raise fail(("thinking",), f"a thinking budget is at least 1024 tokens, got {thinking}")
        if thinking >= max_tokens:
            raise fail(loc, f"thinking budget {thinking} must be below max_tokens ({max_tokens})")


def _normalise_output_path(raw: str, output_dir: Path, fail: Any) -> str:
    """The path relative to output_dir, or a SpecError if it could land outside it."""
    unsafe = _unsafe_character(raw)
    if unsafe:
        raise fail(f"{raw!r} holds {unsafe}")
    if "\\" in raw or os.path.isabs(raw) or PurePosixPath(raw).is_absolute():
        raise fail(f"{raw!r} is absolute; paths are relative to output_dir")
    parts = PurePosixPath(raw).parts
    if ".." in parts:
        raise fail(f"{raw!r} leaves output_dir")
    if raw.endswith("/") or not parts or parts[-1] in (".", ""):
        raise fail(f"{raw!r} names a folder, not a file")
    rel = str(PurePosixPath(*[p for p in parts if p != "."]))
    # A symlink inside output_dir may point elsewhere: resolve what exists of the path.
    root = output_dir.resolve()
    target = (output_dir / rel).resolve()
    if target != root and root not in target.parents:
        raise fail(f"{raw!r} leaves output_dir through a symlink (it resolves to {target})")
    return rel


def _unsafe_character(raw: str) -> str:
    """The first character of `raw` that no path may hold, named ("" when none)."""
    found = _UNSAFE_IN_PATH.search(raw)
    if found is None:
        return ""
    char = found.group()
    if char == "\0":
        return "a NUL character"
    if _BIDI.match(char):
        return f"the bidirectional control U+{ord(char):04X}; a path may hold none"
    if char in "\u2028\u2029":
        return f"the line separator U+{ord(char):04X}; a path may hold none"
    return f"the control character U+{ord(char):04X}; a path may hold none"


def _folded(path: str) -> str:
    """The path as a case-insensitive, normalising file system (macOS, Windows) sees it."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


def _check_collisions(files: list[FileSpec], model: SpecModel, fail: Any) -> None:
    """Two paths that are one file, or a file where another path needs a folder, on
    a file system that ignores case or Unicode normalisation (`Models.py` and
    `models.py`; `café.py` in NFC and in NFD)."""
    by_key = {_folded(f.path): f for f in files}
    seen: dict[str, FileSpec] = {}
    for f in files:
        raw = model.files[f.index].path
        key = _folded(f.path)
        other = seen.setdefault(key, f)
        if other is not f:
            raise fail(
                ("files", f.index, "path"),
                f"{raw!r} and files[{other.index}].path {model.files[other.index].path!r} are one file "
                "on a file system that ignores case or Unicode normalisation (macOS, Windows)",
            )
        parts = key.split("/")
        for depth in range(1, len(parts)):
            folder = by_key.get("/".join(parts[:depth]))
            if folder is not None:
                raise fail(
                    ("files", f.index, "path"),
                    f"{raw!r} needs a folder where files[{folder.index}].path "
                    f"{model.files[folder.index].path!r} is a file",
                )


def _check_not_own(
    files: list[FileSpec], output_dir: Path, spec_file: Path, model: SpecModel, fail: Any
) -> None:
    """No output may be the spec itself, its lock file, or in its .codegen folder."""
    own = {spec_file: "this spec file itself", spec_file.with_suffix(".lock"): "this spec's lock file"}
    codegen_dir = spec_file.parent / ".codegen"
    for f in files:
        raw = model.files[f.index].path
        target = (output_dir / f.path).resolve()
        for path, what in own.items():
            if target == path or _same_file(target, path):
                raise fail(("files", f.index, "path"), f"{raw!r} is {what}")
        if target == codegen_dir or codegen_dir in target.parents:
            raise fail(
                ("files", f.index, "path"), f"{raw!r} is inside .codegen/, where codegen keeps its journal"
            )


def _same_file(a: Path, b: Path) -> bool:
    """One file under two names (a case-insensitive file system, a hard link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False  # one of them does not exist (yet)


def project_folder(spec: Spec, cwd: Path) -> Path:
    """The folder a spec's outputs stay in unless --allow-outside: the nearest at or
    above the spec's folder that holds .git, .hg or pyproject.toml; without one, the
    working folder `cwd` when the spec is inside it (`codegen init`'s layout), else the
    spec's own folder."""
    spec_dir = spec.path.resolve().parent
    for folder in (spec_dir, *spec_dir.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    here = cwd.resolve()
    return here if here == spec_dir or here in spec_dir.parents else spec_dir


def check_inside_project(spec: Spec, cwd: Path) -> None:
    """Refuse (a UsageError) an output_dir outside the spec's project (`project_folder`)."""
    root = project_folder(spec, cwd)
    target = spec.output_dir.resolve()
    if target != root and root not in target.parents:
        raise UsageError(
            f"{spec.path}: output_dir: {target} is outside {root}, the spec's project (the "
            "nearest folder above the spec with .git, .hg or pyproject.toml, else the working "
            "folder or the spec's own); pass --allow-outside to write there"
        )


def _dependency_order(files: list[FileSpec], fail: Any) -> list[FileSpec]:
    """Topological order, stable with respect to the spec; a cycle is a spec error."""
    by_path = {f.path: f for f in files}
    done: set[str] = set()
    visiting: list[str] = []
    order: list[FileSpec] = []

    def visit(f: FileSpec) -> None:
        if f.path in done:
            return
        if f.path in visiting:
            cycle = visiting[visiting.index(f.path) :] + [f.path]
            raise fail(("files", f.index, "depends_on"), "dependency cycle: " + " -> ".join(cycle))
        visiting.append(f.path)
        for dep in f.depends_on:
            visit(by_path[dep])
        visiting.pop()
        done.add(f.path)
        order.append(f)

    for f in files:
        visit(f)
    return order


def _key_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_KNOWN_KEYS = {
    "spec": list(SpecModel.model_fields),
    "file": list(FileEntry.model_fields),
    "verify": list(VerifyEntry.model_fields),
}


def _reason(error: Any, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        known = _KNOWN_KEYS[
            {"files": "file", "verify": "verify"}.get(str(loc[0]), "spec") if len(loc) > 1 else "spec"
        ]
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"unknown key{hint}; known keys: {', '.join(known)}"
    if kind == "missing":
        return "required key is missing"
    if loc and loc[0] == "thinking":
        return f"expected off, adaptive or a token budget (an integer), got {value!r}"
    if kind in ("int_type", "int_parsing"):
        return f"expected an integer, got {value!r}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {value!r}"
    if kind == "model_type":
        return f"expected a mapping, got {value!r}"
    if kind == "string_type":
        return f"expected a string, got {value!r}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {value!r}"
    if kind == "too_short" and loc and loc[-1] == "files":
        return "a spec needs at least one file"
    if kind == "string_too_short":
        return "must not be empty"
    return str(error["msg"]).removeprefix("Value error, ")


def _reject_duplicate_keys(shown: str, node: Any, path: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError(f"{shown}:{key_node.start_mark.line + 1}", path, "keys must be plain names")
            key = key_node.value
            if key in seen:
                raise SpecError(
                    f"{shown}:{key_node.start_mark.line + 1}",
                    f"{path}.{key}" if path else key,
                    "key appears twice",
                )
            seen.add(key)
            _reject_duplicate_keys(shown, value_node, f"{path}.{key}" if path else key)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _reject_duplicate_keys(shown, item, f"{path}[{i}]")


def _at(shown: str, node: Any, loc: tuple[str | int, ...]) -> str:
    """`spec.yaml:LINE` for the deepest node of `loc` that exists in the YAML."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == part]
            if not match:
                break
            key_node, node = match[0]
            line = key_node.start_mark.line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return f"{shown}:{line + 1}" if line is not None else shown


def select_files(spec: Spec, only: tuple[str, ...]) -> set[str]:
    """The paths `--only` names (all when none); a path the spec lacks is a usage error."""
    if not only:
        return {f.path for f in spec.files}
    known = {f.path for f in spec.files}
    chosen = set()
    for path in only:
        normal = path.strip("/").removeprefix("./")
        if normal not in known:
            raise UsageError(f"--only {path}: {spec.path} has no file {path!r}")
        chosen.add(normal)
    return chosen
