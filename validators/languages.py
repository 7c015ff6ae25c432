"""Which language a file is in, and the one check for a source in any of them.

`check_source(source, language=...)` sends Python to libcst (`validators.python`),
TypeScript, JavaScript, Go, Rust, Java, C and C++ to the tree-sitter backend
(`validators.treesitter`), and JSON, TOML, YAML and Markdown to `validators.formats`.
Every backend reports the same codes. `language_of(path)` reads the extension.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePath

from validators import formats, treesitter
from validators.findings import Code, Finding
from validators.python import MAX_BYTES
from validators.python import check as check_python
from validators.treesitter.names import required_names

# Extension (lower case) to language; the languages are the keys `check_source` takes.
EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".json": "json",
    ".jsonc": "jsonc",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".markdown": "markdown",
}

_FORMATS: dict[str, Callable[[str, Sequence[str]], list[Finding]]] = {
    "json": formats.check_json,
    "jsonc": formats.check_jsonc,
    "toml": formats.check_toml,
    "yaml": formats.check_yaml,
    "markdown": formats.check_markdown,
}

LANGUAGES: tuple[str, ...] = ("python", *treesitter.GRAMMARS, *_FORMATS)


# JSON files that their tools read with comments and trailing commas (JSONC).
_JSONC_NAMES = re.compile(r"^(?:[tj]sconfig(?:\..+)?|\.?devcontainer|\.eslintrc|\.babelrc|\.swcrc)\.json$")


def language_of(path: str | PurePath) -> str | None:
    """The language of a file from its extension (`"typescript"` for `src/app.ts`), or
    None for a file the validators do not read. The JSON that TypeScript, VS Code and
    their kin read with comments (tsconfig.json, `.vscode/*.json`) is "jsonc"."""
    pure = PurePath(path)
    language = EXTENSIONS.get(pure.suffix.lower())
    if language == "json" and (_JSONC_NAMES.match(pure.name) or ".vscode" in pure.parts):
        return "jsonc"
    return language


def check_source(
    source: str,
    *,
    language: str,
    requires: Iterable[str] = (),
    filename: str = "<string>",
    max_bytes: int | None = MAX_BYTES,
) -> list[Finding]:
    """Completeness findings for one source text in `language` (one of `LANGUAGES`).

    `requires`: for code, the names the file must define (`Name` at top level,
    `Class.method`, `Recv.Method` in Go, `Type.method` for a Rust impl; `::` reads as
    `.`); for JSON, TOML and YAML the keys it must have (a dotted path reaches into
    tables); for Markdown its headings. `filename` matters for Python only (a `.pyi`
    may have stub bodies). A source of more than `max_bytes` (UTF-8) is one
    `too-large` finding (None: no limit).

    Never raises on any source text. Raises ValueError for an unknown language or a
    required name that cannot be one, and `GrammarMissing` (with the package to
    install) when the language's tree-sitter grammar is not installed.
    """
    if language == "python":
        return check_python(source, requires=requires, filename=filename, max_bytes=max_bytes)
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    if language in _FORMATS:
        wanted: tuple[str, ...] = formats.required(requires)
    else:
        wanted = required_names(requires)
    too_large = _too_large(source, max_bytes)
    if too_large is not None:
        return [too_large]
    # A byte-order mark is how some editors start a UTF-8 file, not part of its text
    # (json and tomllib refuse it). Columns on the first line count from after it.
    source = source.removeprefix("\ufeff")
    if language in _FORMATS:
        return _FORMATS[language](source, wanted)
    return treesitter.check_tree(source, language, wanted)


def definition_spans(source: str, *, language: str) -> dict[str, tuple[int, int]]:
    """The definitions of a source in a tree-sitter language, by qualified name, each
    with the (start, end) character offsets of the whole definition: `source[start:end]`
    is what a repair replaces. ValueError for Python (libcst's own) and data formats;
    `GrammarMissing` as for `check_source`. Never raises on any source text.
    """
    if language not in treesitter.GRAMMARS:
        raise ValueError(f"definition_spans reads {', '.join(treesitter.GRAMMARS)}, not {language!r}")
    return treesitter.definition_spans(source, language)


def import_spans(source: str, *, language: str) -> tuple[list[tuple[int, int]], int]:
    """The top-level imports of a source in a tree-sitter language, as (start, end)
    character offsets, and where a first one would go (after a package clause, else
    0). ValueError as for `definition_spans`."""
    if language not in treesitter.GRAMMARS:
        raise ValueError(f"import_spans reads {', '.join(treesitter.GRAMMARS)}, not {language!r}")
    return treesitter.import_spans(source, language)


def member_slot(source: str, *, language: str, parent: str) -> int | None:
    """Where a repair inserts a new member of `parent` in a source of a tree-sitter
    language: a character offset (the `}` closing its body; the end of the file for
    Go's methods), or None when it has no such place. ValueError as for
    `definition_spans`."""
    if language not in treesitter.GRAMMARS:
        raise ValueError(f"member_slot reads {', '.join(treesitter.GRAMMARS)}, not {language!r}")
    return treesitter.member_slot(source, language, parent)


def _too_large(source: str, max_bytes: int | None) -> Finding | None:
    if max_bytes is None or len(source) <= max_bytes // 4:  # a cheap bound first
        return None
    size = len(source.encode("utf-8", "surrogatepass"))
    if size <= max_bytes:
        return None
    return Finding(
        Code.TOO_LARGE,
        1,
        1,
        "",
        f"the file is {size:,} bytes, more than the {max_bytes:,} the validators read; "
        "not checked (--max-bytes raises the limit)",
    )
