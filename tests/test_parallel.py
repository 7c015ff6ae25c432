"""--jobs: files generated at once, over the depends_on graph, against the double."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegen.build import BuildOptions, build_spec
from codegen.errors import EXIT_API
from codegen.spec import load_spec
from codegen.streaming import Answer
from codegen.streaming.anthropic import MessagesClient
from tests.double import MessagesDouble, replies
from tests.double.wire import ErrorReply, Reply
from tests.support import client_for, write_spec


class Author:
    """Answers `X_<name> = 1` for `<name>.py` (or an overload error for `failing`)."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.failing = failing
        self.order: list[str] = []
        self.prompts: dict[str, str] = {}

    def __call__(self, request: dict[str, Any]) -> Reply | ErrorReply:
        content = request["messages"][0]["content"]
        prompt = content if isinstance(content, str) else content[0]["text"]
        path = re.search(r"Write the file `([^`]+)`", prompt).group(1)  # type: ignore[union-attr]
        self.order.append(path)
        self.prompts[path] = prompt
        if path in self.failing:
            return replies.overloaded()
        return replies.text(f"```python\nX_{Path(path).stem} = 1\n```")


class Latency:
    """A Streamer in front of the real client that counts the calls under way at once.

    With `together=n` the first calls are held until n of them are under way (each
    call waits for the others, however slowly a busy machine starts their threads),
    then every call goes through: n at once is seen if the build starts n, and no call
    waits once it has been. A build that never has n under way is let go after
    `patience` seconds, and its count is what it was. (The double answers under a lock.)
    """

    def __init__(self, inner: MessagesClient, together: int = 1, patience: float = 30) -> None:
        self.inner = inner
        self.together = together
        self.patience = patience
        self.in_flight = 0
        self.most = 0
        self._lock = threading.Lock()
        self._all_in = threading.Event()

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        with self._lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            if self.in_flight >= self.together:
                self._all_in.set()
        try:
            self._all_in.wait(self.patience)
            return self.inner.stream(request, on_text)
        finally:
            with self._lock:
                self.in_flight -= 1


def files(*names: str, **depends: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "path": f"{n}.py",
            "prompt": f"{n}",
            **({"depends_on": [f"{d}.py" for d in depends[n]]} if n in depends else {}),
        }
        for n in names
    ]


def test_independent_files_are_generated_at_once_up_to_jobs(tmp_path: Path) -> None:
    client = Latency(client_for(MessagesDouble(Author())), together=4)
    spec = load_spec(write_spec(tmp_path, files("a", "b", "c", "d", "e", "f")))
    result = build_spec(spec, BuildOptions(jobs=4), client=client)
    assert [f.status for f in result.files] == ["written"] * 6
    assert client.most == 4
    assert [f.path for f in result.files] == ["a.py", "b.py", "c.py", "d.py", "e.py", "f.py"]
    lock_text = (tmp_path / "spec.lock").read_text()
    assert all(f'"{n}.py"' in lock_text for n in "abcdef")


def test_jobs_1_generates_one_file_at_a_time(tmp_path: Path) -> None:
    author = Author()
    client = Latency(client_for(MessagesDouble(author)))
    spec = load_spec(write_spec(tmp_path, files("a", "b", "c")))
    build_spec(spec, BuildOptions(jobs=1), client=client)
    assert client.most == 1 and author.order == ["a.py", "b.py", "c.py"]


def test_a_file_starts_when_what_it_depends_on_is_written(tmp_path: Path) -> None:
    author = Author()
    client = Latency(client_for(MessagesDouble(author)), together=2)
    spec = load_spec(write_spec(tmp_path, files("a", "b", "c", c=["a", "b"])))
    result = build_spec(spec, BuildOptions(jobs=4), client=client)
    assert [f.status for f in result.files] == ["written"] * 3
    assert author.order[-1] == "c.py" and client.most == 2
    # c was asked for with a and b as they were written.
    assert "X_a = 1" in author.prompts["c.py"] and "X_b = 1" in author.prompts["c.py"]


def test_one_file_failing_does_not_stop_the_others(tmp_path: Path) -> None:
    author = Author(failing=("b.py",))
    spec = load_spec(write_spec(tmp_path, files("a", "b", "c", "d", d=["b"])))
    result = build_spec(spec, BuildOptions(jobs=4), client=Latency(client_for(MessagesDouble(author))))
    statuses = {f.path: f.status for f in result.files}
    assert statuses == {"a.py": "written", "b.py": "failed", "c.py": "written", "d.py": "skipped"}
    assert result.exit_code == EXIT_API
    assert "d.py" not in author.order
