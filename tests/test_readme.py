"""The README's commands, run as a user would, and its worked examples, checked.

Every command in the README's `sh` blocks is run in README order, in a copy of this
checkout that is a git repository of its own, with HOME a temporary folder and no
pipx on the PATH: `codegen` is put there by the README's install command (a venv of its
own, as on a bare Python), and the Messages API is the
double on loopback (ANTHROPIC_BASE_URL; the README's local-server URL is pointed at it
too), which writes a stand-in module for each file asked for. Each command must exit 0.
The one command not run here is `bash .ci/run`: it runs the test suite this test is in.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
import yaml

from codegen.stitch import Chunk, stitch
from tests.double import MessagesDouble
from tests.double.stand_in import StandInAuthor
from tests.support import ROOT, SECRET, codegen

# Slow (installs codegen into a venv and runs every README command): not in the quick loop;
# `.ci/run` and `python -m pytest -m ""` run it.
pytestmark = pytest.mark.slow

README = ROOT / "README.md"
NOT_RUN = {
    "bash .ci/run": "runs the whole test suite, this test included: CI runs it",
    "python -m pytest e2e -q": "needs llama-server, which takes 15 minutes to build",
    "python -m pytest -q": "the test suite this test is in",
    "python -m pytest -q -m ''": "the test suite this test is in, the slow suites too",
}
LOCAL_SERVER = "http://localhost:8080"
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")


def blocks(text: str) -> list[tuple[str, str, str]]:
    """(heading, info string, body) of every fenced block, fences of ``` or ~~~ alike."""
    found = []
    heading, fence, info, body = "", "", "", []
    for line in text.splitlines():
        if fence:
            if line.startswith(fence) and not line[len(fence) :].strip():
                found.append((heading, info, "".join(body)))
                fence = ""
            else:
                body.append(line + "\n")
            continue
        m = FENCE.match(line)
        if m:
            fence, info, body = m[1], m[2], []
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    assert not fence, "a fence in the README is never closed"
    return found


def commands(text: str) -> list[str]:
    """The commands of the `sh` blocks, in order, without their comments (a trailing
    backslash joins lines)."""
    found: list[str] = []
    for _, info, body in blocks(text):
        if info != "sh":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            # As bash reads it, without the trailing remark (`  # what it does`).
            command = re.sub(r"(^|\s+)#(\s.*)?$", "", line).strip()
            if command:
                found.append(command)
    return found


def key(command: str) -> str:
    """A command's words, the same however it is spaced or quoted (for NOT_RUN)."""
    return shlex.join(shlex.split(command))


def copy_checkout(destination: Path) -> None:
    """The checkout's files as git sees them (tracked, and new ones not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.fail(f"{ROOT} is not a git checkout: the README test copies its files from git")
    for name in sorted(set(listed.stdout.decode().split("\0")) - {""}):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def shims(folder: Path) -> Path:
    """The tools the README assumes a user has (pre-commit, for its hook section), and
    nothing else of this environment: its own `codegen` must not stand in for the
    README's install, and no pipx: the install works on a bare Python."""
    scripts = Path(sysconfig.get_path("scripts"))
    folder.mkdir()
    for tool in ("pre-commit",):
        if not (scripts / tool).exists():
            pytest.fail(f"{tool} is not installed in {scripts}: pip install -e '.[test]'")
        (folder / tool).symlink_to(scripts / tool)
    return folder


def run(command: str, cwd: Path, env: dict[str, str], saved: Path) -> tuple[int, str, dict[str, str]]:
    """The command in bash; its exit status, its output and the environment it leaves."""
    script = f'{command}\nstatus=$?\nenv -0 > "{saved}"\nexit $status\n'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    after = dict(item.split("=", 1) for item in saved.read_text().split("\0") if "=" in item)
    return done.returncode, done.stdout + done.stderr, after


def test_every_command_in_the_readme_runs(tmp_path: Path) -> None:
    listed = commands(README.read_text())
    assert listed[0].startswith("python3 -m venv ~/.codegen"), "the README's first command installs codegen"
    assert set(NOT_RUN) <= {key(c) for c in listed}, (
        "a command this test does not run is no longer in the README"
    )
    project = tmp_path / "project"
    project.mkdir()
    copy_checkout(project)
    git_env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, env={**os.environ, **git_env})

    home = tmp_path / "home"
    home.mkdir()
    scripts = sysconfig.get_path("scripts")
    path = [str(shims(tmp_path / "tools"))]
    path += [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(scripts)]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "CODEGEN_", "VIRTUAL_ENV", "PYTHON", "PIPX_"))
    }
    env |= git_env | {
        "PATH": os.pathsep.join(path),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "HOME": str(home),
    }
    assert shutil.which("codegen", path=env["PATH"]) is None, "codegen is on the PATH before its install"
    assert shutil.which("pipx", path=env["PATH"]) is None, "the install must work without pipx"

    author = StandInAuthor()
    double = MessagesDouble(author)
    failures, ran = [], []
    with double.serve() as url:
        env |= {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET}
        for command in listed:
            if key(command) in NOT_RUN:
                continue
            status, output, env = run(command.replace(LOCAL_SERVER, url), project, env, tmp_path / "env")
            ran.append(command)
            if status != 0:
                failures.append(f"$ {command}\n(exit {status})\n{output}")
    double.check()
    assert not failures, "\n\n".join(failures)

    assert {key(c) for c in listed} - {key(c) for c in ran} == set(NOT_RUN) & {key(c) for c in listed}
    installed = shutil.which("codegen", path=env["PATH"])
    assert installed is not None and Path(installed).parent == home / ".codegen" / "bin"
    # What the commands did: the example spec written and built twice (a model override
    # makes every entry stale), the todo example built once.
    app = ["wordcount/core.py", "wordcount/cli.py", "tests/test_wordcount.py"]
    todo = ["todo/models.py", "todo/cli.py", "tests/test_todo.py"]
    assert sorted(author.files) == sorted(app * 2 + todo)
    assert (project / "wordcount" / "core.py").exists()
    assert (project / ".git" / "hooks" / "pre-commit").exists()


def test_the_stitching_example_is_what_stitch_makes() -> None:
    shown = [
        body for heading, _, body in blocks(README.read_text()) if heading == "How a cut answer is stitched"
    ]
    first, second, result = shown
    # The cut answer stops inside a word; a markdown block cannot show that no newline follows.
    cut = first.removesuffix("\n")
    assert cut.endswith(".join(wo")
    assert stitch([Chunk(cut), Chunk(second, "user_turn")]).code == result


def test_the_precommit_configuration_names_the_hooks_there_are() -> None:
    [config] = [
        yaml.safe_load(body)
        for heading, info, body in blocks(README.read_text())
        if heading == "pre-commit" and info == "yaml"
    ]
    named = [hook["id"] for hook in config["repos"][0]["hooks"]]
    offered = [hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    assert named == offered == ["codegen-validate", "codegen-check", "codegen-build"]


def test_the_cost_figures_are_what_estimate_says() -> None:
    text = " ".join(README.read_text().split())
    claim = re.search(
        r"For `specs/todo.yaml` it expects (\d+) calls, ([\d,]+) output tokens and "
        r"\$([\d.]+) on ([\w.-]+)",
        text,
    )
    assert claim, "the README's cost example is gone: update this test"
    result = codegen("estimate", str(ROOT / "specs" / "todo.yaml"), "--local", "--format", "json")
    assert result.returncode == 0, result.stderr
    [spec] = json.loads(result.stdout)["specs"]
    total = spec["total"]
    assert (int(claim[1]), int(claim[2].replace(",", "")), claim[4]) == (
        total["calls"],
        total["output_tokens"],
        spec["model"],
    )
    assert f"{total['cost_usd']:.2f}" == claim[3]
