"""Defaults from `[tool.codegen]` in pyproject.toml (issue 21): found from the spec's
folder upward, under the command line, the spec's own model and CODEGEN_MODEL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen.config import Config, find_config
from codegen.errors import UsageError
from tests.double import MessagesDouble, ScriptedAuthor, replies
from tests.support import codegen, spec_file


def test_the_nearest_pyproject_with_a_codegen_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.codegen]\nmodel = "claude-haiku-5-5"\njobs = 2\n')
    inner = tmp_path / "pkg" / "specs"
    inner.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\n')  # no table: passed over
    assert find_config(inner) == Config(tmp_path / "pyproject.toml", "claude-haiku-5-5", 2, None, None)
    assert find_config(tmp_path / "pkg" / "specs").jobs == 2


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("colour = 1", "unknown key 'colour'; known keys: model, jobs, max_cost, format"),
        ("jobs = 0", "jobs: expected a whole number of at least 1, got 0"),
        ('max_cost = "cheap"', "max_cost: expected USD"),
        ('format = "xml"', "format: expected one of text, json, problems, got 'xml'"),
    ],
)
def test_a_wrong_codegen_table_is_one_line_that_names_the_key(
    tmp_path: Path, table: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.codegen]\n{table}\n")
    with pytest.raises(UsageError) as raised:
        find_config(tmp_path)
    assert message in raised.value.message and "[tool.codegen]" in raised.value.message


def test_a_build_takes_its_defaults_from_the_table_and_the_command_line_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.codegen]\nmodel = "claude-haiku-5-5"\nformat = "json"\n')
    spec = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}])
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nA = 1\n```")] * 2))
    with double.serve() as url:
        built = codegen("build", str(spec), "--verbose", "--jobs", "1", env={"ANTHROPIC_BASE_URL": url})
        assert built.returncode == 0, built.stderr
        assert json.loads(built.stdout)["specs"][0]["model"] == "claude-haiku-5-5"  # json: the table's
        assert f"codegen: config: {tmp_path / 'pyproject.toml'}" in built.stderr
        again = codegen(
            "build",
            str(spec),
            "--format",
            "text",
            "--model",
            "claude-sonnet-5-5",
            env={"ANTHROPIC_BASE_URL": url},
        )
    assert again.returncode == 0, again.stderr
    assert "(claude-sonnet-5-5)" in again.stdout and not again.stdout.startswith("{")
    assert (
        double.requests[0]["model"] == "claude-haiku-5-5"
        and double.requests[1]["model"] == "claude-sonnet-5-5"
    )


def test_a_spec_s_own_model_wins_over_the_table(tmp_path: Path) -> None:
    from codegen.spec import load_spec

    (tmp_path / "pyproject.toml").write_text('[tool.codegen]\nmodel = "claude-haiku-5-5"\n')
    pinned = spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}], model="claude-opus-5-5")
    assert load_spec(pinned, default_model=find_config(tmp_path).model).model == "claude-opus-5-5"
