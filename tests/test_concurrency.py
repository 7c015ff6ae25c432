"""Builds of one spec at the same time, in processes of their own (issue 18): they take
turns (`codegen.build.exclusive`), the lock file keeps every build's records, and a
second build says whose build it waits for, or fails at once with --no-wait.

The journal's side (a partial answer another live process streams is neither resumed
nor written to) is in test_journal.py, with a real second process too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.double import MessagesDouble, ModuleAuthor, Seams
from tests.support import ROOT, SECRET, stdlib_source, write_spec

# Processes: not in the quick loop; `.ci/run` and `python -m pytest -m ""` run them.
pytestmark = pytest.mark.slow

MODULES = ("bisect", "colorsys", "fnmatch", "genericpath")


def targets() -> dict[str, str]:
    return {f"lib/{m}.py": stdlib_source(f"{m}.py") for m in MODULES}


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    return env | {"PYTHONPATH": str(ROOT), "ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET}


def start(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "codegen", *args],
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def spec_of(folder: Path) -> Path:
    return write_spec(
        folder,
        [{"path": p, "prompt": f"the module {p}"} for p in targets()],
        model="claude-haiku-4-5",  # prefill: no seams to stitch, the point is elsewhere
        max_tokens=512,
        max_continuations=100,
    )


def double_of() -> MessagesDouble:
    # Slow enough that the builds overlap: each answer takes a fraction of a second.
    author = ModuleAuthor(targets(), prefill_accepted=True, seams=Seams(kinds=("none",), seed=5))
    return MessagesDouble(author, delta_chars=40, event_delay=0.002)


def test_four_only_builds_started_together_keep_every_lock_record(tmp_path: Path) -> None:
    spec = spec_of(tmp_path)
    double = double_of()
    with double.serve() as url:
        procs = [start(url, "build", str(spec), "--only", path) for path in targets()]
        outcomes = [finish(p) for p in procs]
        checked = subprocess.run(
            [sys.executable, "-m", "codegen", "check", str(spec)],
            env=environment(url),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert [code for code, _, _ in outcomes] == [0, 0, 0, 0], outcomes
    recorded = json.loads((tmp_path / "spec.lock").read_text())["outputs"]
    assert sorted(recorded) == sorted(targets())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # They took turns: at least one of them waited, and said for whom.
    waited = [err for _, _, err in outcomes if "waiting for the build by process" in err]
    assert waited, [err for _, _, err in outcomes]
    double.check()


def test_a_second_build_of_a_spec_being_built_waits_or_fails_at_once_with_no_wait(tmp_path: Path) -> None:
    spec = spec_of(tmp_path)
    double = double_of()
    double.event_delay = 0.01
    with double.serve() as url:
        first = start(url, "build", str(spec), "--jobs", "1")
        try:
            wait_for(lambda: len(double.requests) >= 2, "the first build under way")
            busy = subprocess.run(
                [sys.executable, "-m", "codegen", "build", str(spec), "--no-wait"],
                env=environment(url),
                capture_output=True,
                text=True,
                timeout=120,
            )
            second = start(url, "build", str(spec), "--format", "json")
            code, out, err = finish(second)
        finally:
            first_code, _, first_err = finish(first)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    line = busy.stderr.strip().splitlines()[-1]
    assert line.startswith("codegen: error: spec.yaml is being built by process ") and "--no-wait" in line
    assert str(first.pid) in line
    assert first_code == 0, first_err
    # The second build waited for the first, said so, and found everything built:
    # it sent nothing (before, it would have built the files again beside the first).
    assert code == 0, err
    assert f"waiting for the build by process {first.pid}" in err
    statuses = {f["path"]: f["status"] for f in json.loads(out)["specs"][0]["files"]}
    assert set(statuses.values()) == {"unchanged"}, statuses
    assert all(f["calls"] == 0 for f in json.loads(out)["specs"][0]["files"])
    double.check()
