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

from codegen.models import Usage
from codegen.streaming import Answer
from codegen.streaming.anthropic import Connection, MessagesClient
from codegen.testing import FakeStreamer
from tests.cli_runner import CommandResult, run_codegen
from tests.double import MessagesDouble, seams
from tests.double.tokens import count_tokens
from tests.double.wire import Reply, estimate_input_tokens

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


def fake_of(author: Any) -> FakeStreamer:
    """A FakeStreamer that answers as one of the double's authors would (a function of
    the request to a `Reply`), with no HTTP in between: for logic tests of what codegen
    does with the answers. Usage is the double's estimate; no prompt cache is played
    (tests of cache accounting go through the wire double)."""

    def respond(request: dict[str, Any]) -> Answer:
        reply = author(request)
        if not isinstance(reply, Reply):
            raise AssertionError(f"the author answered with an HTTP error: {reply!r}")
        content = tuple(dict(block) for block in reply.content)
        text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
        output = reply.output_tokens if reply.output_tokens is not None else count_tokens(text)
        usage = Usage(input_tokens=estimate_input_tokens(request), output_tokens=max(1, output))
        details = dict(reply.stop_details) if reply.stop_details is not None else None
        return Answer(content, reply.stop_reason, details, usage)

    return FakeStreamer(respond=respond)
