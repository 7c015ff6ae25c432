"""`StandInAuthor`: answers every file request with a small module that defines the
names the request says the file must define, whatever else its prompt asks for.

For tests that run codegen's commands over real specs (the examples in specs/, the
README's commands), where what the generated code does is not what is under test. Each
answer is one call that ends (end_turn): nothing is cut, continued or repaired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import replies
from .phrases import FILE_REQUEST, REQUIRES
from .wire import Reply

Request = dict[str, Any]

_PATH = FILE_REQUEST
_REQUIRES = REQUIRES


def stand_in(path: str, requires: Sequence[str]) -> str:
    """A module defining each name: `Name` (a class when capitalised or given members, a
    function otherwise, a list for a dunder), `Class.member` (a method)."""
    members: dict[str, list[str]] = {}
    for name in requires:
        owner, _, member = name.partition(".")
        members.setdefault(owner, [])
        if member:
            members[owner].append(member)
    parts = [f'"""Stand-in for {path}, written by the test double."""\n']
    for owner, methods in members.items():
        if owner.startswith("__") and owner.endswith("__"):
            parts.append(f"{owner}: list[str] = []\n")
        elif methods or owner[0].isupper():
            method = '\n    def {}(self) -> None:\n        """Stand-in."""\n        return None\n'
            body = "".join(method.format(m) for m in methods)
            parts.append(f'class {owner}:\n    """Stand-in."""\n{body}')
        else:
            parts.append(f'def {owner}() -> None:\n    """Stand-in."""\n    return None\n')
    return "\n\n".join(parts)


class StandInAuthor:
    """Answers a file request with `stand_in`; `files` lists the paths asked for, in order."""

    def __init__(self) -> None:
        self.files: list[str] = []

    def __call__(self, request: Request) -> Reply:
        content = request["messages"][0]["content"]
        prompt = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
        found = _PATH.search(prompt)
        if found is None or len(request["messages"]) != 1:
            raise AssertionError(f"the stand-in author answers file requests only: {prompt[:200]!r}")
        path = found[1]
        self.files.append(path)
        listed = _REQUIRES.search(prompt)
        requires = re.findall(r"`([^`]+)`", listed[1]) if listed else []
        if not path.endswith((".py", ".pyi")):
            return replies.text(f"Stand-in for {path}.\n")
        return replies.text(f"```python\n{stand_in(path, requires)}```\n")
