"""`BuggyAuthor`: a model whose first write of a file has a bug, and who fixes it only
when a repair request quotes the failure the bug causes.

    author = BuggyAuthor({"calc.py": BUGGY, "tests/test_calc.py": TESTS},
                         fixes=[Fix("calc.py", "add", FIXED_ADD, evidence="where -1 = add(2, 3)")])

A request for a file (codegen's `file_prompt`: "Write the file `calc.py`") is answered
with the file as given, in a fence after a sentence. A repair request ("Repair the file
`calc.py`" ... "Write the complete definition of `add`") is answered with the fix for
that definition when the request holds the fix's evidence (the failing test's output),
and otherwise with the definition as the request's copy of the file has it: a model not
shown what is wrong writes the same code again. A definition with no fix is answered
the same way. `asked` records (kind, path, name) for every request: ("file", path, "")
or ("definition", path, name); `fixed` the (path, name) of each fix given.

Pure: the request in, a reply out; `ast` to find a definition.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import replies
from .definitions import find_site, first_line
from .phrases import DEFINITION_REQUEST, FILE_REQUEST, QUOTED_FILE, REPAIR_REQUEST
from .wire import Reply


@dataclass(frozen=True)
class Fix:
    """The corrected definition `name` of `path`, given when a request quotes `evidence`."""

    path: str
    name: str
    code: str  # the definition at column 0, decorators first
    evidence: str


class BuggyAuthor:
    """Writes `files` as given; fixes a definition when shown the failure it causes."""

    def __init__(self, files: Mapping[str, str], fixes: Sequence[Fix] = ()) -> None:
        self.files = dict(files)
        self.fixes = {(f.path, f.name): f for f in fixes}
        self.asked: list[tuple[str, str, str]] = []
        self.fixed: list[tuple[str, str]] = []

    def __call__(self, request: dict[str, Any]) -> Reply:
        text = _first_user_text(request)
        repair = REPAIR_REQUEST.search(text)
        wanted = DEFINITION_REQUEST.search(text)
        if repair is not None and wanted is not None:
            path, name = repair.group(1), wanted.group(1)
            self.asked.append(("definition", path, name))
            fix = self.fixes.get((path, name))
            if fix is not None and fix.evidence in text:
                self.fixed.append((path, name))
                return replies.text(f"The corrected `{name}`:\n\n```python\n{fix.code}```\n")
            quoted = QUOTED_FILE.search(text)
            if quoted is None:
                raise AssertionError(f"the repair request for {path} quotes no file")
            return replies.text(f"```python\n{definition_text(quoted.group(1), name)}```\n")
        wanted_file = FILE_REQUEST.search(text)
        if wanted_file is None or wanted_file.group(1) not in self.files:
            raise AssertionError(f"not a request this author knows: {text[:200]!r}")
        path = wanted_file.group(1)
        self.asked.append(("file", path, ""))
        return replies.text(f"Here is `{path}`:\n\n```python\n{self.files[path]}```\n")


def definition_text(source: str, qualname: str) -> str:
    """The lines of `qualname`'s definition in `source`, as they sit there."""
    site = find_site(ast.parse(source), qualname)
    if site is None:
        raise AssertionError(f"the file does not define {qualname}")
    lines = source.splitlines(keepends=True)
    text = "".join(lines[first_line(site.node) - 1 : site.node.end_lineno])
    return text if text.endswith("\n") else text + "\n"


def _first_user_text(request: dict[str, Any]) -> str:
    content = request["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
