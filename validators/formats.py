"""Completeness checks for data and prose files: JSON, TOML, YAML, Markdown.

Pure: text in, findings out, with the standard library and PyYAML.

- JSON and TOML parse exactly (`json`, `tomllib`): an error at the end of the text is
  `truncated` (the file stops inside a value), anywhere else `syntax`. JSONC (JSON with
  comments and trailing commas: `.jsonc`, tsconfig.json, `.vscode/*.json`) is JSON once
  those are blanked.
- YAML: a file cut short is nearly always valid YAML, so what can tell is the keys it
  must have. A parse error is `syntax`, or `truncated` when it is at the end of the
  text (a string or a bracket left open), as for JSON.
- Markdown: a code fence never closed is `truncated`.

`requires` are the keys a data file must have at top level (`name`, or a dotted path
into nested tables: `tool.codegen`), and for Markdown the headings it must have.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from validators.findings import Code, Finding

# What a JSON text cut inside a token ends with: a string, a literal or a number begun.
_PARTIAL_JSON_TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*\\?|t(?:r(?:ue?)?)?|f(?:a(?:l(?:se?)?)?)?|n(?:u(?:ll?)?)?'
    r"|-?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d*)?)?|\.\d*(?:[eE][+-]?\d*)?|[eE][+-]?\d*"
)
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)|\(at end of document\)")


def check_json(source: str, requires: Sequence[str] = ()) -> list[Finding]:
    """JSON: exact syntax, and the required keys."""
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        # A cut inside a token (`"abc`, `tru`, `1.`) fails where the token starts.
        rest = source[error.pos :].rstrip()
        at = len(source) if _PARTIAL_JSON_TOKEN.fullmatch(rest) else error.pos
        reason = f"{error.msg} {error.lineno}:{error.colno}" if error.msg.endswith(" at") else error.msg
        return [_parse_error(source, at, error.lineno, error.colno, reason)]
    except RecursionError:
        return [Finding(Code.SYNTAX, 1, 1, "", "cannot parse: nested too deeply")]
    return _missing_keys(data, requires)


def check_jsonc(source: str, requires: Sequence[str] = ()) -> list[Finding]:
    """JSON with comments (`//`, `/* */`) and trailing commas, as tsconfig.json and VS
    Code's settings are written: read as JSON once those are blanked (every offset
    kept); a block comment never closed is a cut."""
    blanked, opened = _blank_jsonc(source)
    if opened is not None:
        line, column = _position(source, opened)
        end_line, end_column = _position(source, len(source.rstrip()))
        return [
            Finding(
                Code.TRUNCATED,
                end_line,
                end_column,
                "",
                f"the file ends inside a comment opened at {line}:{column}",
            )
        ]
    return check_json(blanked, requires)


def _blank_jsonc(source: str) -> tuple[str, int | None]:
    """`source` with its comments and trailing commas turned to spaces (line breaks
    kept), and where a block comment left open begins (None: none is)."""
    out = list(source)
    i, n = 0, len(source)
    last_comma: int | None = None  # a comma with only blanks and comments after it so far
    while i < n:
        char = source[i]
        if char == '"':
            last_comma = None
            i += 1
            while i < n and source[i] != '"':
                i += 2 if source[i] == "\\" else 1
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                return "".join(out), i
            out[i : end + 2] = [c if c == "\n" else " " for c in source[i : end + 2]]
            i = end + 2
        elif char in "}]":
            if last_comma is not None:
                out[last_comma] = " "
            last_comma = None
            i += 1
        elif char == ",":
            last_comma = i
            i += 1
        else:
            if not char.isspace():
                last_comma = None
            i += 1
    return "".join(out), None


def check_toml(source: str, requires: Sequence[str] = ()) -> list[Finding]:
    """TOML: exact syntax, and the required keys (dotted paths into tables)."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_AT.search(message)
        reason = _TOML_AT.sub("", message).strip()
        if found is None or found.group(1) is None:
            line, column = _position(source, len(source))
        else:
            line, column = int(found.group(1)), int(found.group(2))
        offset = _offset(source, line, column)
        if line >= _position(source, len(source.rstrip()))[0]:
            # TOML is read line by line: an error on the last line is that line cut.
            offset = len(source)
        return [_parse_error(source, offset, line, column, reason)]
    except RecursionError:
        return [Finding(Code.SYNTAX, 1, 1, "", "cannot parse: nested too deeply")]
    return _missing_keys(data, requires)


def check_yaml(source: str, requires: Sequence[str] = ()) -> list[Finding]:
    """YAML: a parse error, and the required top-level keys of its documents.

    The documents are composed, not constructed: a value PyYAML cannot build
    (`2001-02-30`) is still valid YAML, and aliases are not expanded.
    """
    try:
        documents = list(yaml.compose_all(source, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = " ".join(str(part) for part in (error.context, error.problem) if part)
        offset = mark.index if mark is not None else 0
        return [_parse_error(source, offset, line, column, reason or "not YAML")]
    except yaml.YAMLError as error:
        return [Finding(Code.SYNTAX, 1, 1, "", f"cannot parse: {' '.join(str(error).split())}")]
    except RecursionError:
        return [Finding(Code.SYNTAX, 1, 1, "", "cannot parse: nested too deeply")]
    keys: dict[str, Any] = {}
    for document in documents:
        if isinstance(document, yaml.MappingNode):
            keys.update(_yaml_mapping(document))
    return _missing_keys(keys, requires)


def check_markdown(source: str, requires: Sequence[str] = ()) -> list[Finding]:
    """Markdown: a code fence left open, and the required headings."""
    found: list[Finding] = []
    headings: set[str] = set()
    fence: tuple[str, int, int] | None = None  # (character, length, line) of the open fence
    previous = ""
    lines = source.splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        marker = re.match(r"(`{3,}|~{3,})(.*)$", stripped)
        if fence is not None:
            char, length, _ = fence
            if marker and marker.group(1)[0] == char and len(marker.group(1)) >= length:
                if not marker.group(2).strip():
                    fence = None
            previous = ""
            continue
        if marker and not (marker.group(1)[0] == "`" and "`" in marker.group(2)):
            fence = (marker.group(1)[0], len(marker.group(1)), number)
            previous = ""
            continue
        heading = re.match(r"\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$", line)
        if heading:
            headings.add(_heading_key(heading.group(1) or ""))
        elif previous and re.fullmatch(r"\s{0,3}(=+|-+)\s*", line):
            headings.add(_heading_key(previous))
        previous = stripped
    if fence is not None:
        char, length, opened = fence
        last = len(lines) or 1
        found.append(
            Finding(
                Code.TRUNCATED,
                last,
                len(lines[-1]) + 1 if lines else 1,
                "",
                f"the file ends inside the code block opened at {opened}:1 ({char * length} never closed)",
            )
        )
    for wanted in required(requires):
        if _heading_key(wanted.lstrip("#")) not in headings:
            found.append(
                Finding(
                    Code.MISSING, 1, 1, "", f"required heading {wanted!r} is not in the file", name=wanted
                )
            )
    return found


def _heading_key(text: str) -> str:
    """A heading as compared: case, spacing and emphasis or code marks aside."""
    return " ".join(text.strip().strip("*_`").split()).casefold()


def _parse_error(source: str, offset: int, line: int, column: int, reason: str) -> Finding:
    """`truncated` when the parser stopped at the end of the text, else `syntax`."""
    if offset >= len(source.rstrip()):
        if not source.strip():
            return Finding(Code.TRUNCATED, 1, 1, "", "the file is empty")
        end_line, end_column = _position(source, len(source.rstrip()))
        return Finding(Code.TRUNCATED, end_line, end_column, "", f"the file ends inside a value: {reason}")
    return Finding(Code.SYNTAX, line, column, "", f"cannot parse: {reason}")


def _missing_keys(data: object, requires: Sequence[str]) -> list[Finding]:
    found = []
    for wanted in required(requires):
        if not _has_key(data, wanted):
            found.append(
                Finding(Code.MISSING, 1, 1, "", f"required key `{wanted}` is not in the file", name=wanted)
            )
    return found


def _has_key(data: object, wanted: str) -> bool:
    """Whether `wanted` is a top-level key, or a dotted path of keys into nested mappings."""
    if isinstance(data, dict) and wanted in data:
        return True
    current = data
    for part in wanted.split("."):
        if not isinstance(current, dict) or part not in current:
            return False
        current = current[part]
    return True


def _yaml_mapping(node: yaml.MappingNode) -> dict[str, Any]:
    """A composed mapping as nested dicts of its scalar keys (values only where mappings)."""
    result: dict[str, Any] = {}
    stack: list[tuple[yaml.MappingNode, dict[str, Any]]] = [(node, result)]
    seen: set[int] = set()
    while stack:
        mapping, into = stack.pop()
        if id(mapping) in seen:  # an alias back to a mapping already read
            continue
        seen.add(id(mapping))
        for key, value in mapping.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            child: dict[str, Any] = {}
            into[str(key.value)] = child
            if isinstance(value, yaml.MappingNode):
                stack.append((value, child))
    return result


def required(requires: Iterable[str]) -> tuple[str, ...]:
    """The required keys or headings; ValueError for one that is empty or not a string."""
    if isinstance(requires, str):
        requires = (requires,)
    names = []
    for name in requires:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"required name {name!r} is not a key or heading")
        names.append(name)
    return tuple(dict.fromkeys(names))


def _position(source: str, offset: int) -> tuple[int, int]:
    before = source[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def _offset(source: str, line: int, column: int) -> int:
    lines = source.split("\n")
    return sum(len(each) + 1 for each in lines[: line - 1]) + column - 1
