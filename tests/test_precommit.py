"""The hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit` on a real commit.

A temporary git repository's pre-commit hook is `pre-commit try-repo <this checkout>`:
pre-commit installs this checkout (its uncommitted changes included) into a hook
environment of its own and runs every hook on the staged files, as it does for a
repository whose configuration names codegen. Installing takes a while (pip), so one
commit shows all three hooks: the commit stages a truncated Python file and a spec
change whose answer the journal already holds.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import black
import pytest
import yaml

from tests.double import MessagesDouble, ScriptedAuthor, replies
from tests.support import ROOT, SECRET, codegen

# Slow (pre-commit installs the hooks into a fresh environment): not in the quick loop;
# `.ci/run` and `python -m pytest -m ""` run it.
pytestmark = pytest.mark.slow

GREETING_V1 = 'def greet(name: str) -> str:\n    return "Hello, " + name\n'
GREETING_V2 = (
    'def greet(name: str, punctuation: str = "!") -> str:\n    return f"Hello, {name}{punctuation}"\n'
)
# Cut inside the call's brackets: what a model's answer stopped at max_tokens looks like.
TRUNCATED = 'import sys\n\n\ndef main() -> int:\n    print("usage: tool FILE",\n'


def git(
    repo: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=check,
        env=env,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


def spec_text(prompt: str) -> str:
    return yaml.safe_dump(
        {
            "version": 1,
            "model": "claude-sonnet-5-5",
            "output_dir": "..",
            "files": [{"path": "lib/greet.py", "prompt": prompt, "requires": ["greet"]}],
        }
    )


def fenced(code: str) -> str:
    return f"```python\n{code}```\n"


@pytest.fixture(scope="module")
def checkout_is_a_repository() -> None:
    if importlib.util.find_spec("pre_commit") is None:
        pytest.fail("the pre-commit package is not installed: pip install -e '.[test]'")
    if git(ROOT, "rev-parse", "--git-dir", check=False).returncode != 0:
        pytest.fail(f"{ROOT} is not a git checkout: pre-commit try-repo needs one")


def test_a_commit_runs_the_hooks_validate_refuses_build_regenerates_check_passes(
    tmp_path: Path, checkout_is_a_repository: None
) -> None:
    repo = tmp_path / "project"
    (repo / "specs").mkdir(parents=True)
    # No global git configuration (hooks, signing) and no API settings reach the commit.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_", "GIT_"))}
    env |= {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    git(repo, "init", "-q", "-b", "main", env=env)
    (repo / ".gitignore").write_text(".codegen/\n")
    spec = repo / "specs" / "lib.yaml"

    # The second version was built once (its answer is in the journal), then the first
    # version was built and committed.
    double = MessagesDouble(
        ScriptedAuthor([replies.text(fenced(GREETING_V2)), replies.text(fenced(GREETING_V1))])
    )
    with double.serve() as url:
        for prompt in ("greet(name, punctuation)", "greet(name)"):
            spec.write_text(spec_text(prompt))
            built = codegen(
                "build", str(spec), "--quiet", env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET}
            )
            assert built.returncode == 0, built.stdout + built.stderr
    double.check()
    assert len(double.requests) == 2
    assert (repo / "lib" / "greet.py").read_text() == GREETING_V1
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", "greet, first version", env=env)
    committed_lock = (repo / "specs" / "lib.lock").read_text()

    hook = repo / ".git" / "hooks" / "pre-commit"
    # git gives a hook the commit's GIT_INDEX_FILE; try-repo also runs git in the checkout
    # (to take its uncommitted changes), where that index is not the checkout's.
    hook.write_text(
        f'#!/bin/sh\nunset GIT_INDEX_FILE\nexec "{sys.executable}" -m pre_commit try-repo "{ROOT}"\n'
    )
    hook.chmod(0o755)

    spec.write_text(spec_text("greet(name, punctuation)"))
    (repo / "lib" / "tool.py").write_text(TRUNCATED)
    git(repo, "add", "specs/lib.yaml", "lib/tool.py", env=env)
    commit = git(repo, "commit", "-m", "greet takes punctuation; a tool", env=env, check=False)
    shown = commit.stdout + commit.stderr

    assert commit.returncode != 0, shown
    assert git(repo, "log", "--format=%s", env=env).stdout == "greet, first version\n"
    hooks = {
        line.split(".")[0]: line
        for line in shown.splitlines()
        if line.startswith(("codegen validate", "codegen check", "codegen build"))
    }
    assert "Failed" in hooks["codegen validate"], shown
    assert "Failed" in hooks["codegen build"], shown
    assert "Passed" in hooks["codegen check"], shown
    # The validator's finding, as codegen prints it.
    assert "lib/tool.py: 1 finding" in shown, shown
    assert "truncated" in shown, shown
    # build --offline wrote the second version from the journal: no request, no key.
    assert "files were modified by this hook" in shown, shown
    assert (repo / "lib" / "greet.py").read_text() == black.format_str(GREETING_V2, mode=black.Mode())
    assert (repo / "specs" / "lib.lock").read_text() != committed_lock
    assert len(double.requests) == 2
    # What the user does next: stage the regenerated files; the codegen checks agree.
    git(repo, "add", "lib/greet.py", "specs/lib.lock", env=env)
    after = codegen("check", str(spec))
    assert after.returncode == 0, after.stdout + after.stderr
