"""Servers that speak the Messages API but are not Anthropic's (llama.cpp's llama-server,
seen end to end in tests/test_llama_server.py): their quirks, played by the double."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from codegen.build import BuildOptions, build_spec
from codegen.errors import EXIT_OK
from codegen.models import Usage
from codegen.report import render_build
from codegen.spec import load_spec
from tests.double import MessagesDouble, ModuleAuthor, Quirks, Seams
from tests.support import MODULES, STDLIB, client_for, same_as_formatted, write_spec

LLAMA = Quirks(echo_prefill=True, no_cache_writes=True, model="/models/SmolLM2-135M.gguf")


def build(tmp_path: Path, double: MessagesDouble, targets: dict[str, str], **options: bool):
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": p, "prompt": "x"} for p in targets],
            model="local-model",
            max_tokens=512,
            max_continuations=200,
        )
    )
    result = build_spec(spec, BuildOptions(**options), client=client_for(double))
    double.check()
    return result


def test_a_server_that_sends_the_prefill_back_first_is_stitched_without_the_repeat(tmp_path: Path) -> None:
    targets = {f"lib/{m}.py": (STDLIB / f"{m}.py").read_text() for m in MODULES}
    double = MessagesDouble(ModuleAuthor(targets, prefill_accepted=True, seams=Seams(seed=3)), quirks=LLAMA)
    result = build(tmp_path, double, targets)
    assert result.exit_code == EXIT_OK
    prefills = [r for r in double.requests if r["messages"][-1]["role"] == "assistant"]
    assert len(prefills) == len(double.requests) - len(targets) > 10
    for f in result.files:
        assert f.status == "written" and f.continuations > 0
        assert same_as_formatted(tmp_path / f.path, targets[f.path])
        # no cache-write count is zero (reads are reported, as llama-server reuses its
        # prompt cache); the model named in the answer changes nothing
        assert f.usage.cache_write_tokens == 0 and f.usage.cache_read_tokens > 0
        assert f.usage.output_tokens > 0 and f.cost is None


def test_the_double_echoes_the_prefill_as_llama_server_does(tmp_path: Path) -> None:
    # The quirk the build test above depends on: a continuation's text starts with the
    # prefill, and the echo is not billed as output.
    source = (STDLIB / "bisect.py").read_text()
    double = MessagesDouble(ModuleAuthor({"b.py": source}, prefill_accepted=True), quirks=LLAMA)
    client = client_for(double)
    first = client.stream(
        {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "Write `b.py`."}]}
    )
    prefill = first.text.rstrip()
    second = client.stream(
        {
            "model": "m",
            "max_tokens": 64,
            "messages": [
                {"role": "user", "content": "Write `b.py`."},
                {"role": "assistant", "content": prefill},
            ],
        }
    )
    assert second.text.startswith(prefill) and len(second.text) > len(prefill)
    assert second.usage == Usage(input_tokens=second.usage.input_tokens, output_tokens=64)


def test_no_prefill_continues_in_user_turns_only(tmp_path: Path) -> None:
    # llama-server --no-prefill-assistant neither refuses a prefill nor continues it:
    # the user says so with --no-prefill (or CODEGEN_PREFILL=0).
    targets = {f"lib/{m}.py": (STDLIB / f"{m}.py").read_text() for m in MODULES[:2]}
    double = MessagesDouble(ModuleAuthor(targets, prefill_accepted=False, seams=Seams(seed=3)), quirks=LLAMA)
    result = build(tmp_path, double, targets, prefill=False)
    assert result.exit_code == EXIT_OK
    assert all(r["messages"][-1]["role"] == "user" for r in double.requests)
    assert all(f.continuations > 0 for f in result.files)
    for f in result.files:
        assert same_as_formatted(tmp_path / f.path, targets[f.path])


def test_unknown_prices_show_as_unknown(tmp_path: Path) -> None:
    targets = {"lib/bisect.py": (STDLIB / "bisect.py").read_text()}
    double = MessagesDouble(ModuleAuthor(targets, prefill_accepted=True), quirks=LLAMA)
    result = build(tmp_path, double, targets)
    text = render_build([result], "text")
    assert "unknown" in text and "$0.00" not in text
    report = json.loads(render_build([result], "json"))["specs"][0]
    assert report["cost_usd"] is None and report["files"][0]["cost_usd"] is None


def test_a_stream_broken_inside_the_echo_adds_nothing(tmp_path: Path) -> None:
    source = (STDLIB / "bisect.py").read_text()
    targets = {"lib/bisect.py": source}
    author = ModuleAuthor(targets, prefill_accepted=True)

    def breaking(request: dict[str, Any]) -> Any:
        reply = author(request)
        if request["messages"][-1]["role"] == "assistant" and len(double.requests) == 2:
            return replace(reply, drop_after=12)  # inside the echo of the answer so far
        return reply

    double = MessagesDouble(breaking, quirks=LLAMA)
    result = build(tmp_path, double, targets)
    assert result.exit_code == EXIT_OK
    assert same_as_formatted(tmp_path / "lib/bisect.py", source)
    # The prefill after the broken answer is the one before it: nothing was added.
    second, third = double.requests[1:3]
    assert second["messages"][-1] == third["messages"][-1]
