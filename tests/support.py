"""Helpers the test modules share: specs written to a folder, codegen's client on the
Messages API double, the `codegen` command in process, and readings of stdlib sources.
Kept out of the test modules so that no test module imports another."""

from __future__ import annotations

import ast
import os
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import anthropic
import black
import yaml

from codegen.streaming.anthropic import Connection, MessagesClient
from tests.cli_runner import CommandResult, run_codegen
from tests.double import MessagesDouble, seams

Definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


STDLIB = Path(sysconfig.get_paths()["stdlib"])


MODULES = ("bisect", "shlex", "textwrap")


def client_for(double: MessagesDouble, api_key: str = "test", max_retries: int = 0) -> MessagesClient:
    """codegen's client talking to the double in process, through the real SDK."""
    return MessagesClient(
        Connection(api_key, "http://double.test"), http_client=double.http_client(), max_retries=max_retries
    )


def write_spec(folder: Path, files: list[dict[str, Any]], **top: Any) -> Path:
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, **top, "files": files}))
    return path


def same_as_formatted(written: Path, source: str) -> bool:
    formatted = black.format_str(source, mode=black.Mode())
    return ast.dump(ast.parse(written.read_text())) == ast.dump(ast.parse(formatted))


ROOT = Path(__file__).resolve().parent.parent


SECRET = "sk-ant-test-SECRET-never-printed"


def codegen(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> CommandResult:
    """`codegen *args` with no API settings but `env`'s, in process."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    base["PYTHONPATH"] = str(ROOT)
    return run_codegen(*args, env={**base, **(env or {})}, cwd=cwd)


def spec_file(folder: Path, files: list[dict[str, object]], **top: object) -> Path:
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, **top, "files": files}))
    return path


def one_line_error(result: CommandResult | subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


MODEL = "claude-double-1"


def sdk(double: MessagesDouble, max_retries: int = 0) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="test",
        base_url="http://double.test",
        http_client=double.http_client(),
        max_retries=max_retries,
    )


def text_of(message: Any) -> str:
    """The text blocks of a message (or stream snapshot), joined."""
    return "".join(b.text for b in message.content if b.type == "text")


def stdlib_source(name: str) -> str:
    return (STDLIB / name).read_text(encoding="utf-8")


def without_seam(answer: str) -> str:
    lines = answer.split("\n")
    while lines and (lines[0] in seams.CONTINUATION_PROSE or lines[0] in ("", "```python")):
        lines.pop(0)
    return "\n".join(lines)


def without_marks(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as the cache keys them: string contents as text blocks, no cache_control."""
    out = []
    for m in messages:
        blocks = [{"type": "text", "text": m["content"]}] if isinstance(m["content"], str) else m["content"]
        out.append({**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in blocks]})
    return out


def original(source: str, qualname: str) -> ast.stmt:
    """The definition `qualname` names, followed down through class bodies."""
    body = ast.parse(source).body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        node = next(n for n in body if isinstance(n, Definitions) and n.name == part)
        body = node.body
    assert node is not None
    return node


def original_text(source: str, qualname: str) -> str:
    node = original(source, qualname)
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return "".join(source.splitlines(keepends=True)[first - 1 : node.end_lineno])


LAZY_STORE = """\
Here is `store.py`:

```python
import json


class Store:
    def __init__(self):
        self.items = []

    def add(self, item):
        # ... rest of implementation ...
        pass

    def dump(self):
        return json.dumps(self.items)
```
"""
