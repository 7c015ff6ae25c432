"""The `codegen` command: exit codes, one-line errors, files written; the Messages API
double listens on loopback and ANTHROPIC_BASE_URL points at it. The command runs in
process (`tests/cli_runner.py`), and in a subprocess where a pipe is the point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.double import MessagesDouble, ModuleAuthor, ScriptedAuthor, replies
from tests.support import ROOT, SECRET, codegen, one_line_error, spec_file


def test_no_key_is_one_line_that_says_how_to_set_it(tmp_path: Path) -> None:
    result = codegen("build", str(spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])))
    assert result.returncode == 2
    assert "ANTHROPIC_API_KEY" in one_line_error(result)


def test_a_spec_error_exits_2_before_any_call(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([]))
    spec = spec_file(tmp_path, [{"path": "../out.py", "prompt": "x"}])
    with double.serve() as url:
        result = codegen("build", str(spec), env={"ANTHROPIC_BASE_URL": url})
    assert result.returncode == 2
    assert "files[0].path: '../out.py' leaves output_dir" in one_line_error(result)
    assert double.requests == []


def test_dry_run_needs_no_key(tmp_path: Path) -> None:
    result = codegen("build", "--dry-run", str(spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])))
    assert result.returncode == 0, result.stderr
    assert "a.py" in result.stdout and "planned" in result.stdout


def test_build_writes_files_and_prints_a_summary(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parent.parent / "codegen" / "errors.py").read_text()
    double = MessagesDouble(ModuleAuthor({"pkg/errors.py": source}, prefill_accepted=False))
    spec = spec_file(
        tmp_path,
        [{"path": "pkg/errors.py", "prompt": "the errors module"}],
        max_tokens=300,
        max_continuations=50,
    )
    with double.serve() as url:
        result = codegen(
            "build",
            str(spec),
            "--format",
            "json",
            "--quiet",
            env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET},
        )
    double.check()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [entry] = report["specs"][0]["files"]
    assert entry["status"] == "written" and entry["continuations"] > 0
    assert entry["calls"] == len(double.requests)  # claude-sonnet-5-5: never a prefill
    assert (tmp_path / "pkg" / "errors.py").read_text().startswith('"""Every error codegen')
    assert SECRET not in result.stdout + result.stderr


def test_text_summary_and_progress(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.cut("```python\nA = ("), replies.text("1)\n```")]))
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}], model="claude-sonnet-5-5")
    with double.serve() as url:
        result = codegen("build", str(spec), "--verbose", env={"ANTHROPIC_BASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "a.py: streaming" in result.stderr and "a.py: continuing (1/8)" in result.stderr
    assert "a.py: answer (first): max_tokens;" in result.stderr
    assert "a.py: answer (user turn): end_turn;" in result.stderr
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith("a.py"))
    assert row.split()[:4] == ["a.py", "written", "2", "1"]
    assert (tmp_path / "a.py").read_text() == "A = 1\n"


def test_an_incomplete_file_exits_1(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.refusal("cyber")]))
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    with double.serve() as url:
        result = codegen(
            "build",
            spec.name,
            "--format",
            "problems",
            "--quiet",
            env={"ANTHROPIC_BASE_URL": url},
            cwd=tmp_path,
        )
    assert result.returncode == 1
    assert result.stdout.startswith("a.py:1:1: error: refused:")


@pytest.mark.parametrize(("reply", "code"), [(replies.unauthorized(), 3)])
def test_bad_credentials_exit_3_with_one_line(tmp_path: Path, reply: object, code: int) -> None:
    double = MessagesDouble(ScriptedAuthor([reply]))
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    with double.serve() as url:
        result = codegen(
            "build", str(spec), "--quiet", env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET}
        )
    assert result.returncode == code
    line = one_line_error(result)
    assert "401" in line and "ANTHROPIC_API_KEY" in line and SECRET not in line


def test_a_dead_network_exits_3_with_one_line(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    result = codegen(
        "build",
        str(spec),
        "--quiet",
        env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": "k"},
    )
    assert result.returncode == 3
    assert "cannot reach http://127.0.0.1:9" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_validate_reports_findings_in_each_format(tmp_path: Path) -> None:
    cut = tmp_path / "cut.py"
    cut.write_text("def f(x):\n    return (x +\n")
    good = tmp_path / "good.py"
    good.write_text("def g():\n    return 1\n")
    result = codegen("validate", str(cut), str(good), "--format", "problems")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{cut}:2:16: error: the file ends inside '(' opened at 2:12 [truncated]"
    ]
    clean = codegen("validate", str(good), "--requires", "g", "--format", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["summary"]["findings"] == 0
    missing = codegen("validate", str(good), "--requires", "h")
    assert missing.returncode == 1 and "required name `h`" in missing.stdout


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(codegen("validate", str(tmp_path / "nope.py")))
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\n")
    result = codegen("validate", str(notes))
    assert result.returncode == 2 and "not a Python file" in one_line_error(result)


def test_check_follows_a_build_and_finds_edits_and_stale_entries(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nA = 1\n```")]))
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    assert codegen("check", str(spec)).returncode == 1  # nothing generated yet
    with double.serve() as url:
        built = codegen("build", str(spec), "--quiet", env={"ANTHROPIC_BASE_URL": url})
        assert built.returncode == 0, built.stderr
        # A second build: everything up to date, no call.
        again = codegen("build", str(spec), "--quiet", env={"ANTHROPIC_BASE_URL": url})
    assert again.returncode == 0 and len(double.requests) == 1
    lock = json.loads((tmp_path / "spec.lock").read_text())
    assert set(lock["outputs"]) == {"a.py"} and str(tmp_path) not in json.dumps(lock)
    ok = codegen("check", str(spec))
    assert ok.returncode == 0 and "1 outputs up to date" in ok.stdout
    # Nothing to generate: no key needed, no call.
    assert codegen("build", str(spec), "--quiet").returncode == 0
    (tmp_path / "a.py").write_text("A = 2\n")
    edited = codegen("check", str(spec), "--format", "problems")
    assert edited.returncode == 1 and "edited by hand" in edited.stdout
    (tmp_path / "a.py").write_text("A = 1\n")
    spec_file(tmp_path, [{"path": "a.py", "prompt": "something else"}])
    stale = codegen("check", str(spec))
    assert stale.returncode == 1 and "stale: its spec entry changed" in stale.stdout


def test_a_reader_that_goes_away_is_not_an_error(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text("".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(20)))
    # Enough output to fill the pipe (some 220 KB, a pipe holds 64): codegen is still
    # writing when the reader goes. Many small files: the output is per file, the time
    # per line checked.
    files = [str(good)] * 3000
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "codegen", "validate", "--format", "json", *files]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0
    assert "Traceback" not in errors and "BrokenPipe" not in errors


def test_an_output_path_that_is_a_folder_fails_that_file_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").mkdir()
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    result = codegen("build", str(spec), "--dry-run")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is a folder, where a file is expected" in result.stdout
