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


def test_validate_reports_a_file_over_the_size_limit_as_one_finding_without_parsing_it(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 200_000)  # 1.2 MB: fine Python, over the limit given
    result = codegen("validate", str(big), "--max-bytes", "1000000", "--format", "problems")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{big}:1:1: error: the file is 1,200,000 bytes, more than the 1,000,000 the validators "
        "read; not checked (--max-bytes raises the limit) [too-large]"
    ]
    assert codegen("validate", str(big)).returncode == 0  # under the default limit


def test_validate_walks_a_folder_as_ruff_does(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "good.py").write_text("A = 1\n")
    (tmp_path / "pkg" / "sub" / "cut.py").write_text("def f(x):\n    return (x +\n")
    for skipped in (".venv", "node_modules", ".hidden", "generated"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "bad.py").write_text("def f(\n")
    (tmp_path / ".gitignore").write_text("generated/\n*.tmp.py\n")
    (tmp_path / "pkg" / "x.tmp.py").write_text("def g(\n")
    (tmp_path / "pkg" / "notes.md").write_text("# Notes\n")
    (tmp_path / "pkg" / "data.bin").write_bytes(b"\0")  # no validator reads it: passed over
    result = codegen("validate", str(tmp_path), "--format", "json")
    files = {f["path"]: f for f in json.loads(result.stdout)["files"]}
    assert sorted(files) == [
        str(tmp_path / "pkg" / "good.py"),
        str(tmp_path / "pkg" / "notes.md"),
        str(tmp_path / "pkg" / "sub" / "cut.py"),
    ]
    assert result.returncode == 1


def test_validate_checks_other_languages_by_their_extension(tmp_path: Path) -> None:
    cut = tmp_path / "app.ts"
    cut.write_text("function f(x: number) {\n  return (x +\n")
    config = tmp_path / "config.json"
    config.write_text('{"name": "x", "deps": [1, 2')
    result = codegen("validate", str(cut), str(config), "--format", "problems")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{cut}:2:") and lines[0].endswith("[truncated]")
    assert lines[1].startswith(f"{config}:1:") and lines[1].endswith("[truncated]")


def test_validate_reads_stdin_under_the_name_given(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "validate",
            "-",
            "--stdin-filename",
            "pkg/mod.py",
            "--format",
            "problems",
        ],
        input="def f(x):\n    return (x +\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("pkg/mod.py:2:") and result.stdout.rstrip().endswith("[truncated]")


def test_validate_reads_a_coding_cookie_and_reports_an_undecodable_file_and_goes_on(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\nNAME = 'café'\n".encode("latin-1"))
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"NAME = '\xff\xfe'\n")
    good = tmp_path / "good.py"
    good.write_text("A = 1\n")
    result = codegen("validate", str(latin), str(broken), str(good), "--format", "problems")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{broken}:1:1: error: cannot decode it as utf-8")
    assert lines[0].endswith("[unreadable]")


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(codegen("validate", str(tmp_path / "nope.py")))
    notes = tmp_path / "notes.xyz"
    notes.write_text("# notes\n")
    result = codegen("validate", str(notes))
    assert result.returncode == 2 and "no validator reads .xyz files" in one_line_error(result)


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


@pytest.mark.parametrize(
    ("folder", "output_dir"),
    [("project", "../out"), ("a/b/c", "../../.."), ("project", "/")],
    ids=["sibling", "up-three", "root"],
)
def test_outputs_outside_the_specs_project_need_allow_outside(
    tmp_path: Path, folder: str, output_dir: str
) -> None:
    # tmp_path holds no .git or pyproject.toml, and codegen runs in another folder:
    # the spec's project is its own folder.
    spec_dir = tmp_path / folder
    spec_dir.mkdir(parents=True)
    target = tmp_path / "out" / "x.py"
    path = str(target.relative_to(Path(spec_dir / output_dir).resolve()))
    spec = spec_file(spec_dir, [{"path": path, "prompt": "x"}], output_dir=output_dir)
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nX = 1\n```")]))
    with double.serve() as url:
        refused = codegen("build", str(spec), env={"ANTHROPIC_BASE_URL": url})
        for flags in (["--dry-run"], []):
            assert codegen("build", str(spec), *flags, env={"ANTHROPIC_BASE_URL": url}).returncode == 2
        assert double.requests == [] and not target.exists()
        allowed = codegen("build", str(spec), "--allow-outside", "--quiet", env={"ANTHROPIC_BASE_URL": url})
    assert refused.returncode == 2
    line = one_line_error(refused)
    assert (
        f"{spec}: output_dir: " in line
        and "is outside" in line
        and line.endswith("pass --allow-outside to write there")
    )
    assert allowed.returncode == 0, allowed.stderr
    assert target.read_text() == "X = 1\n"


def test_a_project_above_the_spec_or_the_working_folder_holds_its_outputs(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    spec = spec_file(tmp_path / "specs", [{"path": "lib/a.py", "prompt": "x"}], output_dir="..")
    refused = codegen("build", "--dry-run", str(spec))
    assert refused.returncode == 2 and "pass --allow-outside" in one_line_error(refused)
    # Run in the folder that holds the spec (`codegen init`'s layout), or in a project.
    assert codegen("build", "--dry-run", str(spec), cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    planned = codegen("build", "--dry-run", str(spec))
    assert planned.returncode == 0, planned.stderr
    assert "planned" in planned.stdout


def test_a_lock_from_a_newer_codegen_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    lock = tmp_path / "spec.lock"
    lock.write_text(json.dumps({"version": 99, "spec": "spec.yaml", "outputs": {"a.py": {"new": "format"}}}))
    before = lock.read_bytes()
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nX = 1\n```")]))
    with double.serve() as url:
        for command in ("build", "check"):
            result = codegen(command, str(spec), env={"ANTHROPIC_BASE_URL": url})
            assert result.returncode == 2, (command, result.stdout, result.stderr)
            assert one_line_error(result) == (
                f"codegen: error: {lock}: written by a newer codegen (version 99); upgrade codegen"
            )
    assert double.requests == [] and lock.read_bytes() == before and not (tmp_path / "a.py").exists()


RECORD = {
    "entry": "sha256:1",
    "depends": {},
    "output": "sha256:2",
    "model": "m",
    "calls": 1,
    "input_tokens": 10,
    "output_tokens": 20,
    "cost_usd": 0.5,
}


@pytest.mark.parametrize(
    ("lock", "problem"),
    [
        (
            {"version": 1, "outputs": {"a.py": {**RECORD, "depends": None}}},
            'outputs["a.py"].depends: expected a mapping of paths to hashes, got null',
        ),
        (
            {"version": 1, "outputs": {"a.py": {**RECORD, "calls": "1"}}},
            'outputs["a.py"].calls: expected a count (an integer, 0 or more), got "1"',
        ),
        (
            {"version": 1, "outputs": {"a.py": {**RECORD, "cost_usd": True}}},
            'outputs["a.py"].cost_usd: expected a cost in USD (a number, or null), got true',
        ),
        (
            {"version": 1, "outputs": {"a.py": {k: v for k, v in RECORD.items() if k != "output"}}},
            'outputs["a.py"].output: required key is missing',
        ),
        ({"version": 1, "outputs": {"a.py": {**RECORD, "extra": 1}}}, 'outputs["a.py"].extra: unknown key'),
        ({"version": 1, "outputs": {"a.py": [1]}}, 'outputs["a.py"]: expected a record (a mapping), got [1]'),
        ({"version": 1, "outputs": None}, "outputs: expected a mapping of paths to records, got null"),
        ({"version": "1", "outputs": {}}, 'version: expected 1, got "1"'),
        ({"outputs": {}}, "version: required key is missing"),
        ([], "expected a mapping with `version` and `outputs`, got []"),
    ],
    ids=[
        "depends-null",
        "calls-str",
        "cost-bool",
        "missing",
        "unknown",
        "record-list",
        "outputs-null",
        "version-str",
        "no-version",
        "list",
    ],
)
def test_a_malformed_lock_is_one_line_with_its_path_and_what_is_wrong(
    tmp_path: Path, lock: object, problem: str
) -> None:
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "spec.lock").write_text(json.dumps(lock))
    for command in ("check", "build"):
        result = codegen(command, str(spec), "--quiet")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        line = one_line_error(result)
        assert line.startswith(f"codegen: error: {tmp_path / 'spec.lock'}: not a valid codegen lock file: ")
        assert problem in line and line.endswith("; delete it to rebuild from scratch")


def test_a_spec_that_is_a_symlink_keeps_its_lock_and_journal_beside_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    spec = spec_file(real, [{"path": "a.py", "prompt": "x"}])
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "app.yaml"
    os.symlink(spec, link)
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nA = 1\n```")]))
    with double.serve() as url:
        built = codegen("build", str(link), "--quiet", env={"ANTHROPIC_BASE_URL": url}, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (real / "a.py").read_text() == "A = 1\n"
    assert (real / "spec.lock").exists() and (real / ".codegen" / "journal.sqlite3").exists()
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["app.yaml"]
    # Either name finds the same lock: both are up to date.
    for name in (spec, link):
        checked = codegen("check", str(name))
        assert checked.returncode == 0 and "1 outputs up to date" in checked.stdout, checked.stdout


def test_validate_escapes_a_file_name_that_would_forge_a_problem_line(tmp_path: Path) -> None:
    forged = tmp_path / "a\nforged.py:1:1: error: forged [syntax]\x1b[2K.py"
    forged.write_text("def f(x):\n    return (x +\n")
    for fmt in ("problems", "text"):
        result = codegen("validate", str(forged), "--format", fmt)
        assert result.returncode == 1
        assert "\x1b" not in result.stdout
        assert not any(line.startswith("forged.py") for line in result.stdout.splitlines())
    lines = codegen("validate", str(forged), "--format", "problems").stdout.splitlines()
    assert lines == [
        f"{tmp_path}/a\\nforged.py:1:1: error: forged [syntax]\\x1b[2K.py:2:16: error: "
        "the file ends inside '(' opened at 2:12 [truncated]"
    ]


def test_version_and_short_help_options() -> None:
    from importlib.metadata import version

    for flag in ("--version", "-V"):
        result = codegen(flag)
        assert result.returncode == 0 and result.stdout == f"codegen {version('codegen-complete')}\n"
    for args in (("-h",), ("build", "-h"), ("validate", "-h")):
        result = codegen(*args)
        assert result.returncode == 0 and "Usage:" in result.stdout, args


def test_findings_are_coloured_when_asked_and_never_with_never_or_no_color(tmp_path: Path) -> None:
    cut = tmp_path / "cut.py"
    cut.write_text("def f(x):\n    return (x +\n")
    coloured = codegen("validate", str(cut), "--color", "always")
    assert "\x1b[31merror\x1b[0m" in coloured.stdout and "\x1b[36mtruncated\x1b[0m" in coloured.stdout
    assert "\x1b[" not in codegen("validate", str(cut), "--color", "never").stdout
    # auto: stdout is not a terminal here, and NO_COLOR would say no anyway.
    assert "\x1b[" not in codegen("validate", str(cut), env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in codegen("validate", str(cut), "--color", "always", "--format", "problems").stdout
