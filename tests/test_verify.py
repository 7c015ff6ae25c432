"""The verify step, against the Messages API double: the generated code is run, and a
failure it shows is repaired by asking for the definition it goes through again."""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import black
import pytest

from codegen.build import BuildOptions, build_spec
from codegen.check import check_spec
from codegen.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from codegen.progress import Note, Tokens
from codegen.report import render_build
from codegen.spec import load_spec
from codegen.splice import locate
from codegen.verify.command import command_environment, run_command
from tests.double import BuggyAuthor, Fix, MessagesDouble
from tests.double.bugs import definition_text
from tests.support import ROOT, client_for, codegen, fake_of, one_line_error, write_spec

PYTEST = shlex.join([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])

CALC = '''\
"""Small arithmetic helpers."""

import math


def add(a, b):
    """The sum of a and b."""
    return a - b


def mul(a, b):
    return a * b


def norm(a, b):
    return math.sqrt(mul(a, a) + mul(b, b))
'''
FIXED_ADD = 'def add(a, b):\n    """The sum of a and b."""\n    return a + b\n'

TESTS = """\
from calc import add, mul, norm


def test_add():
    assert add(2, 3) == 5


def test_mul():
    assert mul(2, 3) == 6


def test_norm():
    assert norm(3, 4) == 5
"""
EVIDENCE = "where -1 = add(2, 3)"  # what pytest says about the bug

FILES = [
    {"path": "calc.py", "prompt": "Arithmetic helpers add, mul, norm."},
    {"path": "tests/test_calc.py", "prompt": "pytest tests for calc.", "depends_on": ["calc.py"]},
]


@pytest.fixture(autouse=True)
def _quick_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verify command's pytest starts without the plugins installed here (a second
    of start-up each run on a busy machine); the command inherits the environment."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def formatted(source: str) -> str:
    return black.format_str(source, mode=black.Mode())


def buggy_author(
    fixes: tuple[Fix, ...] = (Fix("calc.py", "add", FIXED_ADD, EVIDENCE),), tests: str = TESTS
) -> BuggyAuthor:
    return BuggyAuthor({"calc.py": CALC, "tests/test_calc.py": tests}, fixes)


def spec_with_verify(folder: Path, command: str = PYTEST, **verify: object) -> Path:
    return write_spec(folder, FILES, verify={"command": command, **verify})


def test_a_failing_test_is_repaired_by_regenerating_only_the_function_it_goes_through(tmp_path: Path) -> None:
    author = buggy_author()
    double = MessagesDouble(author)
    spec = load_spec(spec_with_verify(tmp_path, timeout=120, max_rounds=2))
    events: list[object] = []
    result = build_spec(spec, BuildOptions(), client=client_for(double), progress=events.append)
    double.check()
    v = result.verification
    assert v is not None and v.status == "passed", render_build([result], "text")
    assert result.exit_code == EXIT_OK
    # The progress ends with what came of the checks, not with "running ...".
    assert events[-1] == Note("verify", f"passed: {v.detail}")
    # The live token count of calc.py goes on through its verify repair, to its total.
    counted = [e.tokens for e in events if isinstance(e, Tokens) and e.path == "calc.py" and not e.estimated]
    assert counted == sorted(counted) and counted[-1] == result.files[0].usage.output_tokens
    # Two files, then one repair: `add`, asked with the failing test's output.
    assert author.asked == [
        ("file", "calc.py", ""),
        ("file", "tests/test_calc.py", ""),
        ("definition", "calc.py", "add"),
    ]
    assert author.fixed == [("calc.py", "add")] and len(double.requests) == 3
    first, second = v.rounds
    assert first.run.returncode == 1 and first.failed == ("tests/test_calc.py::test_add",)
    [repair] = first.repairs
    assert (repair.path, repair.record.label, repair.record.outcome) == (
        "calc.py",
        "regenerate add",
        "applied",
    )
    assert repair.record.findings == ("tests/test_calc.py::test_add failed",) and repair.record.calls == 1
    assert second.run.passed and second.repairs == ()
    # Only `add` changed: every other byte of calc.py is as first written, and the
    # test file was not touched.
    before, after = formatted(CALC), (tmp_path / "calc.py").read_text()
    assert after == formatted(CALC.replace("return a - b", "return a + b"))
    old, new = locate(before, "add"), locate(after, "add")
    lines_before, lines_after = before.splitlines(), after.splitlines()
    assert lines_before[: old.first - 1] == lines_after[: new.first - 1]
    assert lines_before[old.last :] == lines_after[new.last :]
    assert (tmp_path / "tests" / "test_calc.py").read_text() == formatted(TESTS)
    # The repair went out as a fresh conversation quoting the failure.
    ask = "".join(b["text"] for b in double.requests[2]["messages"][0]["content"])
    assert EVIDENCE in ask and "Write the complete definition of `add` again" in ask
    assert "def mul(a, b):" in ask  # the file, for reference
    # What it cost is in the file's totals and its lock record; nothing is stale.
    [calc, tests] = result.files
    assert (calc.status, calc.calls, calc.detail) == ("written", 2, "repaired after verify")
    assert tests.calls == 1
    assert check_spec(spec) == []
    lock = json.loads(spec.path.with_suffix(".lock").read_text())
    assert lock["outputs"]["calc.py"]["calls"] == 2

    # Built again: nothing to generate, and the checks pass at once.
    again = build_spec(spec, BuildOptions(), client=client_for(double))
    assert len(double.requests) == 3 and [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert again.verification is not None and again.verification.status == "passed"
    assert len(again.verification.rounds) == 1

    text = render_build([result], "text")
    assert "verify: `" + PYTEST + "`" in text and "passed after 1 repair round" in text
    assert "run 1: exit 1" in text and "failed: tests/test_calc.py::test_add" in text
    assert "repair round 1: calc.py: regenerate add: repaired (1 call" in text and "run 2: exit 0" in text
    data = json.loads(render_build([result], "json"))["specs"][0]["verify"]
    assert data["status"] == "passed" and data["exit_code"] == 0
    assert [r["failed"] for r in data["rounds"]] == [["tests/test_calc.py::test_add"], []]
    assert data["rounds"][0]["repairs"][0]["path"] == "calc.py"
    assert data["rounds"][0]["repairs"][0]["outcome"] == "applied"
    assert "assert -1 == 5" in data["rounds"][0]["run"]["output"]
    assert data["rounds"][1]["run"]["exit_code"] == 0


def test_a_wrong_test_is_repaired_when_the_code_it_tests_is_answered_unchanged(tmp_path: Path) -> None:
    wrong = TESTS.replace("assert add(2, 3) == 5", "assert add(2, 3) == 6")
    right = CALC.replace("return a - b", "return a + b")
    fixed_test = definition_text(TESTS, "test_add")
    author = BuggyAuthor(
        {"calc.py": right, "tests/test_calc.py": wrong},
        [Fix("tests/test_calc.py", "test_add", fixed_test, "where 5 = add(2, 3)")],
    )
    double = MessagesDouble(author)
    spec = load_spec(spec_with_verify(tmp_path, max_rounds=2))
    result = build_spec(spec, BuildOptions(), client=client_for(double))
    double.check()
    v = result.verification
    assert v is not None and v.status == "passed", render_build([result], "text")
    # First the code under test (the model keeps it), then the test itself.
    assert author.asked[2:] == [
        ("definition", "calc.py", "add"),
        ("definition", "tests/test_calc.py", "test_add"),
    ]
    assert [r.record.outcome for round_ in v.rounds for r in round_.repairs] == ["unchanged", "applied"]
    assert [r.test for round_ in v.rounds for r in round_.repairs] == [False, True]
    # The code did not change after the first round: the checks did not run again.
    assert [r.run is not None for r in v.rounds] == [True, False, True]
    assert (tmp_path / "calc.py").read_text() == formatted(right)
    assert (tmp_path / "tests" / "test_calc.py").read_text() == formatted(TESTS)
    ask = "".join(b["text"] for b in double.requests[3]["messages"][0]["content"])
    assert "if the test itself is wrong" in ask and "the test `test_add`" in ask
    text = render_build([result], "text")
    assert "repair round 1: calc.py: regenerate add: kept (answered with the same code)" in text
    assert "repair round 2: tests/test_calc.py: regenerate test_add (the test): repaired" in text
    # The kept answer was paid for: it counts in calc.py's totals, not in its lock record.
    assert [f.calls for f in result.files] == [2, 2]
    assert json.loads(spec.path.with_suffix(".lock").read_text())["outputs"]["calc.py"]["calls"] == 1
    assert "run 2: exit 0" in text and "run 3" not in text


def test_a_hand_written_test_finds_the_generated_function_at_fault(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)  # the user's own tests
    author = buggy_author()
    fake = fake_of(author)
    spec = load_spec(write_spec(tmp_path, FILES[:1], verify={"command": PYTEST}))
    result = build_spec(spec, BuildOptions(), client=fake)
    assert result.verification is not None and result.verification.status == "passed"
    assert author.asked == [("file", "calc.py", ""), ("definition", "calc.py", "add")]
    assert (tmp_path / "tests" / "test_calc.py").read_text() == TESTS


def test_verify_repairs_are_journalled_and_replayed_offline(tmp_path: Path) -> None:
    fake = fake_of(buggy_author())
    spec = load_spec(spec_with_verify(tmp_path))
    assert build_spec(spec, BuildOptions(), client=fake).exit_code == EXIT_OK
    for output in (tmp_path / "calc.py", tmp_path / "tests" / "test_calc.py", spec.path.with_suffix(".lock")):
        output.unlink()
    # From scratch, with no network: the files, the failure and its repair, all from the journal.
    result = build_spec(spec, BuildOptions(offline=True), client=None)
    assert result.exit_code == EXIT_OK, render_build([result], "text")
    assert result.verification is not None and result.verification.status == "passed"
    assert result.verification.repair_rounds == 1 and len(fake.requests) == 3
    assert [f.replayed for f in result.files] == [2, 1]


def test_still_failing_after_max_rounds_is_exit_1_with_the_output(tmp_path: Path) -> None:
    author = buggy_author(fixes=(Fix("calc.py", "add", FIXED_ADD.replace("a + b", "a * b"), EVIDENCE),))
    fake = fake_of(author)  # its fix is wrong too
    spec = load_spec(spec_with_verify(tmp_path, max_rounds=1))
    result = build_spec(spec, BuildOptions(), client=fake)
    v = result.verification
    assert v is not None and v.status == "failed" and result.exit_code == EXIT_FINDINGS
    assert [r.run.returncode for r in v.rounds if r.run] == [1, 1] and len(fake.requests) == 3
    assert v.detail == "exit 1 after 1 repair round"
    # The files stay written: the failure is the checks', reported, not a lost build.
    assert [f.status for f in result.files] == ["written", "written"]
    text = render_build([result], "text")
    assert f"verify: `{PYTEST}` in {tmp_path}: failed: exit 1 after 1 repair round" in text
    # How many lines pytest prints depends on its version and plugins: the tail, not a count.
    shown = re.search(r"output of run 2 \(last (\d+) lines\):\n((?:    \| .*\n)+)", text)
    assert shown and 0 < int(shown[1]) <= 20 and shown[2].count("\n") == int(shown[1])
    assert "| FAILED tests/test_calc.py::test_add - assert 6 == 5" in text
    problems = render_build([result], "problems")
    assert problems.endswith("error: verify failed: " + v.detail + " [verify]\n")


def test_max_rounds_0_runs_the_checks_and_repairs_nothing(tmp_path: Path) -> None:
    fake = fake_of(buggy_author())
    spec = load_spec(spec_with_verify(tmp_path, max_rounds=0))
    result = build_spec(spec, BuildOptions(), client=fake)
    assert result.verification is not None and result.verification.status == "failed"
    assert len(fake.requests) == 2 and len(result.verification.rounds) == 1


def test_no_verify_skips_the_command(tmp_path: Path) -> None:
    fake = fake_of(buggy_author())
    marker = tmp_path / "ran"
    command = shlex.join([sys.executable, "-c", f"open({str(marker)!r}, 'w')"])
    spec = load_spec(spec_with_verify(tmp_path, command))
    result = build_spec(spec, BuildOptions(verify=False), client=fake)
    assert result.exit_code == EXIT_OK and not marker.exists()
    assert result.verification is not None and result.verification.status == "skipped"
    assert "verify: `" in render_build([result], "text") and "skipped (--no-verify)" in render_build(
        [result], "text"
    )
    assert len(fake.requests) == 2
    # Without --no-verify, the same command runs.
    build_spec(spec, BuildOptions(), client=fake)
    assert marker.exists()


def test_dry_run_says_it_would_run_the_command(tmp_path: Path) -> None:
    spec = load_spec(spec_with_verify(tmp_path, "pytest -q", timeout=30, max_rounds=1))
    result = build_spec(spec, BuildOptions(dry_run=True), client=None)
    v = result.verification
    assert v is not None and v.status == "planned" and result.exit_code == EXIT_OK
    assert v.detail == (
        f"would run `pytest -q` in {tmp_path} after the build (timeout 30 s, up to 1 repair round)"
    )
    assert v.detail in render_build([result], "text")


def test_the_command_does_not_run_when_a_file_was_not_written(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    fake = fake_of(BuggyAuthor({"calc.py": "def f(:\n", "tests/test_calc.py": TESTS}))
    spec = load_spec(
        write_spec(
            tmp_path,
            FILES,
            max_repairs=0,
            verify={"command": shlex.join([sys.executable, "-c", f"open({str(marker)!r}, 'w')"])},
        )
    )
    result = build_spec(spec, BuildOptions(), client=fake)
    assert result.exit_code == EXIT_FINDINGS and not marker.exists()
    assert result.verification is not None and result.verification.status == "not-run"
    assert "calc.py" in result.verification.detail


def test_a_hanging_command_is_killed_at_its_timeout_with_what_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hang = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{__import__(\"os\").getpid()}} {{child.pid}}')\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    fake = fake_of(buggy_author())
    spec = load_spec(spec_with_verify(tmp_path, shlex.join([sys.executable, "-c", hang]), timeout=2))
    result = build_spec(spec, BuildOptions(), client=fake)
    v = result.verification
    assert v is not None and v.status == "timeout" and result.exit_code == EXIT_FINDINGS
    [only] = v.rounds
    assert only.run.timed_out and only.run.returncode is None and "started" in only.run.output
    assert "killed, with every process it started" in v.detail
    for pid in map(int, pids.read_text().split()):
        assert ended(pid), f"process {pid} outlived the timeout"
    assert "run 1: killed at its timeout after" in render_build([result], "text")
    assert len(fake.requests) == 2  # a hang is not traced to a definition


def ended(pid: int, within: float = 30) -> bool:
    """Whether `pid` has ended, or ends within `within` seconds. SIGKILL takes effect
    when the kernel next runs the process, not when kill() returns: on a busy machine a
    process killed a moment ago may still be running. Its end is awaited (a pidfd
    becomes readable when the process exits), not slept for."""
    if not hasattr(os, "pidfd_open"):  # not Linux: ask until it is gone or time is up
        deadline = time.monotonic() + within
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        return not alive(pid)
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # gone and reaped
    try:
        poller = select.poll()
        poller.register(handle, select.POLLIN)
        return bool(poller.poll(within * 1000)) or not alive(pid)
    finally:
        os.close(handle)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_command_not_on_path_is_a_usage_error_before_any_call(tmp_path: Path) -> None:
    fake = fake_of(buggy_author())
    spec = load_spec(spec_with_verify(tmp_path, "no-such-checker-9f3 -q"))
    with pytest.raises(UsageError) as caught:
        build_spec(spec, BuildOptions(), client=fake)
    assert caught.value.message == (
        f"{spec.path}: verify.command: `no-such-checker-9f3` is not on PATH; "
        "install it, name it by its path, or build with --no-verify"
    )
    assert fake.requests == []
    # --no-verify builds without it.
    assert build_spec(spec, BuildOptions(verify=False), client=fake).exit_code == EXIT_OK


def test_a_command_by_path_that_is_not_there_is_reported_after_the_build(tmp_path: Path) -> None:
    fake = fake_of(buggy_author())
    spec = load_spec(spec_with_verify(tmp_path, "./run-checks --all"))
    result = build_spec(spec, BuildOptions(), client=fake)
    v = result.verification
    assert v is not None and v.status == "error" and result.exit_code == EXIT_USAGE
    assert v.detail == f"`./run-checks` not found (relative to {tmp_path})"
    assert f"error: `./run-checks` not found (relative to {tmp_path})" in render_build([result], "text")


def test_the_command_runs_without_the_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-ant-test-SECRET-verify-never-sees"
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", secret + "-token")
    monkeypatch.setenv("MY_COPY_OF_THE_KEY", f"Bearer {secret}")
    monkeypatch.setenv("CODEGEN_TEST_ORDINARY", "kept")
    dump = tmp_path / "env.json"
    command = shlex.join(
        [sys.executable, "-c", f"import json, os; json.dump(dict(os.environ), open({str(dump)!r}, 'w'))"]
    )
    fake = fake_of(buggy_author())
    spec = load_spec(spec_with_verify(tmp_path, command))
    result = build_spec(spec, BuildOptions(), client=fake)
    assert result.verification is not None and result.verification.status == "passed"
    seen = json.loads(dump.read_text())
    assert secret not in dump.read_text()
    assert not [name for name in seen if name.startswith("ANTHROPIC_")]
    assert "MY_COPY_OF_THE_KEY" not in seen
    assert seen["CODEGEN_TEST_ORDINARY"] == "kept" and seen["PATH"] == os.environ["PATH"]
    assert seen["PYTHONDONTWRITEBYTECODE"] == "1"


# -- running, on its own ---------------------------------------------------------------


def test_command_environment_is_pure() -> None:
    env = command_environment(
        {
            "ANTHROPIC_API_KEY": "sk-ant-12345678",
            "ANTHROPIC_BASE_URL": "http://x",
            "OTHER": "sk-ant-12345678",
            "SHORT": "ab",
            "HOME": "/root",
        }
    )
    assert env == {"SHORT": "ab", "HOME": "/root", "PYTHONDONTWRITEBYTECODE": "1"}


def test_run_command_interleaves_both_streams_and_gives_no_stdin(tmp_path: Path) -> None:
    script = (
        "import sys\nprint('out', flush=True)\nprint('err', file=sys.stderr, flush=True)\n"
        "print(repr(sys.stdin.read()), flush=True)\nsys.exit(3)\n"
    )
    done = run_command([sys.executable, "-c", script], tmp_path, 60, dict(os.environ))
    assert done.returncode == 3 and not done.passed and not done.timed_out
    assert done.output.splitlines() == ["out", "err", "''"]


def test_run_command_clips_a_flood_of_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("codegen.verify.command.MAX_OUTPUT", 10_000)
    script = "for n in range(100_000):\n    print(f'line {n}')\n"
    done = run_command([sys.executable, "-c", script], tmp_path, 60, dict(os.environ))
    assert done.passed and len(done.output) < 10_100
    assert done.output.startswith("line 0\n") and done.output.endswith("line 99999\n")
    assert "bytes of output cut" in done.output


def test_a_module_rewritten_at_the_same_size_and_second_is_not_run_from_stale_bytecode(
    tmp_path: Path,
) -> None:
    # A one-character fix (`a - b` to `a + b`) written within the second the checks first
    # imported the file: CPython's bytecode cache checks only the mtime's second and the size.
    module = tmp_path / "m.py"
    command = [sys.executable, "-c", "import m; print(m.X)"]
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def first_then_rewritten(env: dict[str, str]) -> list[str]:
        module.write_text("X = 1\n")
        stamp = module.stat().st_mtime_ns
        first = run_command(command, tmp_path, 60, env).output
        module.write_text("X = 2\n")
        os.utime(module, ns=(stamp, stamp))
        return [first, run_command(command, tmp_path, 60, env).output]

    assert first_then_rewritten(inherited) == ["1\n", "1\n"]  # the hazard, without the setting
    for cache in (tmp_path / "__pycache__").iterdir():
        cache.unlink()
    assert first_then_rewritten(command_environment(inherited)) == ["1\n", "2\n"]


def test_run_command_that_cannot_start(tmp_path: Path) -> None:
    (tmp_path / "script").write_text("#!/bin/sh\necho hi\n")  # not executable
    assert run_command(["./script"], tmp_path, 5, {}).error == "`./script` is not executable"
    assert run_command(["nope-9f3"], tmp_path, 5, {"PATH": str(tmp_path)}).error == (
        "`nope-9f3` not found on PATH"
    )


# -- the command line ------------------------------------------------------------------


def test_cli_a_command_not_found_is_one_line_and_exit_2(tmp_path: Path) -> None:
    double = MessagesDouble(buggy_author())
    spec = spec_with_verify(tmp_path, "no-such-checker-9f3")
    with double.serve() as url:
        result = codegen("build", str(spec), env={"ANTHROPIC_BASE_URL": url})
    assert result.returncode == EXIT_USAGE
    assert one_line_error(result) == (
        f"codegen: error: {spec}: verify.command: `no-such-checker-9f3` is not on PATH; install it, "
        "name it by its path, or build with --no-verify"
    )
    assert double.requests == []


def test_cli_no_verify_and_check_do_not_run_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    double = MessagesDouble(buggy_author())
    spec = spec_with_verify(tmp_path, shlex.join([sys.executable, "-c", f"open({str(marker)!r}, 'w')"]))
    with double.serve() as url:
        built = codegen("build", str(spec), "--no-verify", env={"ANTHROPIC_BASE_URL": url})
    assert built.returncode == EXIT_OK, built.stderr
    assert "skipped (--no-verify)" in built.stdout and not marker.exists()
    checked = codegen("check", str(spec))
    assert checked.returncode == EXIT_OK, checked.stdout + checked.stderr
    assert not marker.exists()


def test_cli_green_after_one_round_without_the_key_in_the_checks(tmp_path: Path) -> None:
    secret = "sk-ant-test-SECRET-cli-verify"
    author = buggy_author()
    double = MessagesDouble(author)
    dump = tmp_path / "env.json"
    # The checks: pytest, then a dump of the environment they ran in.
    conftest = f"import json, os\njson.dump(dict(os.environ), open({str(dump)!r}, 'w'))\n"
    (tmp_path / "conftest.py").write_text(conftest)
    spec = spec_with_verify(tmp_path, timeout=120)
    with double.serve() as url:
        result = codegen(
            "build",
            str(spec),
            "--format",
            "json",
            "--quiet",
            env={
                "ANTHROPIC_BASE_URL": url,
                "ANTHROPIC_API_KEY": secret,
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            },
        )
    double.check()
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    report = json.loads(result.stdout)["specs"][0]
    assert report["verify"]["status"] == "passed" and len(report["verify"]["rounds"]) == 2
    assert author.asked[-1] == ("definition", "calc.py", "add") and len(double.requests) == 3
    assert secret not in dump.read_text() and secret not in result.stdout + result.stderr


def test_a_round_that_changes_nothing_is_not_run_again_and_the_rounds_end(tmp_path: Path) -> None:
    author = buggy_author(fixes=())  # answers every definition unchanged
    fake = fake_of(author)
    spec = load_spec(spec_with_verify(tmp_path, max_rounds=3))
    result = build_spec(spec, BuildOptions(), client=fake)
    v = result.verification
    assert v is not None and v.status == "failed"
    # `add`, then the test; then nothing is left to ask about, and the checks ran once.
    assert author.asked[2:] == [
        ("definition", "calc.py", "add"),
        ("definition", "tests/test_calc.py", "test_add"),
    ]
    assert [r.run is not None for r in v.rounds] == [True, False, False]
    assert v.rounds[-1].note == "no failure goes through a generated definition not asked about yet"
    assert v.detail == (
        "exit 1 after 2 repair rounds: no failure goes through a generated definition not asked about yet"
    )


def test_cli_ctrl_c_while_the_checks_run_kills_them_and_exits_130(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hang = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids) + '.tmp'!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        f"os.replace({str(pids) + '.tmp'!r}, {str(pids)!r})\n"
        "time.sleep(600)\n"
    )
    double = MessagesDouble(buggy_author())
    spec = spec_with_verify(tmp_path, shlex.join([sys.executable, "-c", hang]), timeout=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    with double.serve() as url:
        proc = subprocess.Popen(
            [sys.executable, "-m", "codegen", "build", str(spec)],
            env={**env, "PYTHONPATH": str(ROOT), "ANTHROPIC_BASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not pids.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pids.exists(), proc.communicate(timeout=60)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("codegen: interrupted")
    for pid in map(int, pids.read_text().split()):
        assert ended(pid), f"process {pid} outlived codegen"
