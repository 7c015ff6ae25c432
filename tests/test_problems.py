"""`--format problems` for build, check and validate, and the VS Code tasks in
docs/vscode/tasks.json: each task's command is run as VS Code would run it, and its
problem matcher's regular expression is applied to what the command prints."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

import validators
from codegen.build import BuildResult, FileResult
from codegen.check import Problem
from codegen.report.problems import build_problems, check_problems, problem_line, shown
from codegen.spec import load_spec
from tests.double import MessagesDouble, replies
from tests.support import ROOT, SECRET

TASKS = ROOT / "docs" / "vscode" / "tasks.json"
CUT = "import os\n\n\ndef size(path):\n    return os.stat(path).st_size * (\n"
FINDING = validators.Finding(validators.Code.TRUNCATED, 5, 40, "size", "the file ends inside '('")


# -- the lines, pure --------------------------------------------------------------------


def test_a_problem_is_one_line_whatever_its_message_holds() -> None:
    assert (
        problem_line("a.py", 3, 7, "error", "first\n  second\tthird ", "syntax")
        == "a.py:3:7: error: first second third [syntax]\n"
    )


def test_a_path_or_message_that_would_forge_a_line_or_drive_the_terminal_is_escaped() -> None:
    # A path from elsewhere than a spec (an argument, a test id, a kept file's folder).
    line = problem_line(
        "a\n/etc/passwd:1:1: error: forged [syntax]\n\u202eb.py", 1, 1, "error", "x\x1b[2Ky", "c"
    )
    assert line == "a\\n/etc/passwd:1:1: error: forged [syntax]\\n\\u202eb.py:1:1: error: x\\x1b[2Ky [c]\n"


def test_paths_are_shown_relative_to_the_working_folder_when_inside_it(tmp_path: Path) -> None:
    assert shown(tmp_path / "lib" / "a.py", tmp_path) == "lib/a.py"
    assert shown(tmp_path / "lib" / ".." / "a.py", tmp_path / "lib") == str(tmp_path / "a.py")


def test_build_lines_point_at_the_kept_text_or_the_output(tmp_path: Path) -> None:
    kept = tmp_path / ".codegen" / "incomplete" / "spec" / "lib" / "size.py"
    result = BuildResult(
        tmp_path / "spec.yaml",
        "m",
        (
            FileResult("lib/size.py", "incomplete", "m", findings=(FINDING,), kept=str(kept)),
            FileResult("lib/ok.py", "written", "m"),
            FileResult("lib/same.py", "unchanged", "m"),
            FileResult("lib/no.py", "refused", "m", detail="refused (cyber)"),
            FileResult("lib/mine.py", "skipped", "m", detail="edited by hand: not overwritten"),
        ),
        tmp_path,
    )
    assert build_problems([result], tmp_path).splitlines() == [
        ".codegen/incomplete/spec/lib/size.py:5:40: error: the file ends inside '(' [truncated]",
        "lib/no.py:1:1: error: refused: refused (cyber) [refused]",
        "lib/mine.py:1:1: error: skipped: edited by hand: not overwritten [skipped]",
    ]


def test_check_lines_carry_the_finding_place_or_the_file_start(tmp_path: Path) -> None:
    spec_path = tmp_path / "specs" / "app.yaml"
    spec_path.parent.mkdir()
    spec_path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "output_dir": "..",
                "files": [{"path": "lib/size.py", "prompt": "x"}, {"path": "lib/b.py", "prompt": "y"}],
            }
        )
    )
    spec = load_spec(spec_path)
    found = [
        Problem(
            "lib/size.py", "incomplete: line 5: the file ends inside '(' [truncated]", "truncated", FINDING
        ),
        Problem("lib/b.py", "stale: its spec entry changed", "stale"),
    ]
    assert check_problems([(spec, found)], tmp_path).splitlines() == [
        "lib/size.py:5:40: error: incomplete: the file ends inside '(' [truncated]",
        "lib/b.py:1:1: error: stale: its spec entry changed [stale]",
    ]


# -- the VS Code tasks, run ------------------------------------------------------------------


def vscode_tasks() -> dict[str, dict[str, Any]]:
    return {task["label"]: task for task in json.loads(TASKS.read_text())["tasks"]}


def matcher_regex(task: dict[str, Any]) -> re.Pattern[str]:
    pattern = task["problemMatcher"]["pattern"]
    # Group numbers as the matcher declares them; the test reads them by those numbers.
    assert (
        pattern["file"],
        pattern["line"],
        pattern["column"],
        pattern["severity"],
        pattern["message"],
        pattern["code"],
    ) == (1, 2, 3, 4, 5, 6)
    return re.compile(pattern["regexp"])


def run_task(
    task: dict[str, Any], workspace: Path, file: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The task's shell command with VS Code's variables put in, run where VS Code runs it."""
    scripts = sysconfig.get_path("scripts")
    if shutil.which("codegen", path=scripts) is None:
        pytest.fail(f"no `codegen` command in {scripts}: install the project (pip install -e '.[test]')")

    def fill(text: str) -> str:
        return text.replace("${workspaceFolder}", str(workspace)).replace("${file}", str(file))

    command = fill(task["command"])
    if task.get("args"):
        command = " ".join([command, *(shlex.quote(fill(a)) for a in task["args"])])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    base["PATH"] = scripts + os.pathsep + base.get("PATH", "")
    return subprocess.run(
        ["bash", "-c", command],
        cwd=fill(task["options"]["cwd"]),
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def matched(
    task: dict[str, Any], result: subprocess.CompletedProcess[str], workspace: Path
) -> list[tuple[Path, int, int, str, str, str]]:
    """What VS Code's Problems panel would list: every stdout line must match, and no
    progress line on stderr may pass for a problem."""
    regex = matcher_regex(task)
    assert task["problemMatcher"]["fileLocation"] == ["autoDetect", "${workspaceFolder}"]
    assert not [line for line in result.stderr.splitlines() if regex.match(line)], result.stderr
    problems = []
    for line in result.stdout.splitlines():
        m = regex.match(line)
        assert m, f"the problem matcher does not read {line!r}"
        # autoDetect: an absolute path as it is, else relative to the workspace folder.
        problems.append((workspace / m[1], int(m[2]), int(m[3]), m[4], m[5], m[6]))
    return problems


def test_every_task_has_the_same_matcher() -> None:
    tasks = vscode_tasks()
    assert set(tasks) == {"codegen: validate this file", "codegen: check specs", "codegen: build specs"}
    assert len({json.dumps(t["problemMatcher"], sort_keys=True) for t in tasks.values()}) == 1


def test_the_validate_task_puts_each_finding_at_its_place(tmp_path: Path) -> None:
    task = vscode_tasks()["codegen: validate this file"]
    source = tmp_path / "lib" / "size.py"
    source.parent.mkdir()
    source.write_text(CUT)
    result = run_task(task, tmp_path, file=source)
    assert result.returncode == 1, result.stderr
    [finding] = validators.check(CUT)
    assert matched(task, result, tmp_path) == [
        (source, finding.line, finding.column, "error", finding.message, "truncated")
    ]
    source.write_text("import os\n")
    clean = run_task(task, tmp_path, file=source)
    assert clean.returncode == 0 and clean.stdout == "" and matched(task, clean, tmp_path) == []


def test_the_build_and_check_tasks_on_a_workspace(tmp_path: Path) -> None:
    tasks = vscode_tasks()
    build, check = tasks["codegen: build specs"], tasks["codegen: check specs"]
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "app.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "model": "claude-sonnet-5-5",
                "output_dir": "..",
                "max_repairs": 0,
                "files": [{"path": "lib/size.py", "prompt": "size"}, {"path": "lib/ok.py", "prompt": "ok"}],
            }
        )
    )

    never_built = matched(check, run_task(check, tmp_path), tmp_path)
    assert [(p, code) for p, *_, code in never_built] == [
        (tmp_path / "lib" / "size.py", "not-generated"),
        (tmp_path / "lib" / "ok.py", "not-generated"),
    ]

    # size.py's answer ends cut off (end_turn, no repair allowed): kept, not written.
    # Answered by path: the task builds both files at once, in either order.
    def author(request: dict[str, Any]) -> Any:
        first = json.dumps(request["messages"][0])
        return replies.text(f"```python\n{CUT}```" if "lib/size.py" in first else "```python\nOK = True\n```")

    double = MessagesDouble(author)
    with double.serve() as url:
        result = run_task(build, tmp_path, env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET})
    double.check()
    assert result.returncode == 1, result.stderr
    [(path, line, column, severity, message, code)] = matched(build, result, tmp_path)
    assert path == tmp_path / "specs" / ".codegen" / "incomplete" / "app" / "lib" / "size.py"
    assert path.read_text() == CUT and (line, code) == (5, "truncated")
    assert not (tmp_path / "lib" / "size.py").exists()

    (tmp_path / "lib" / "ok.py").write_text("OK = False\n")
    after = matched(check, run_task(check, tmp_path), tmp_path)
    assert [(p, code) for p, *_, code in after] == [
        (tmp_path / "lib" / "size.py", "not-generated"),
        (tmp_path / "lib" / "ok.py", "edited"),
    ]
