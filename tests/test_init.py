"""`codegen init`: a commented example spec that loads and plans; it never overwrites."""

from __future__ import annotations

from pathlib import Path

import yaml

from codegen.init import TEMPLATE, example_spec
from codegen.spec import SpecModel, load_spec
from tests.support import codegen, one_line_error


def test_init_writes_a_spec_that_plans_a_build(tmp_path: Path) -> None:
    result = codegen("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "wrote specs/app.yaml: edit its prompts, then run `codegen build specs/app.yaml`\n"
    )
    spec = load_spec(tmp_path / "specs" / "app.yaml")
    assert spec.output_dir == tmp_path  # outputs land where init was run, not in specs/
    paths = [f.path for f in spec.files]
    assert paths == ["wordcount/core.py", "wordcount/cli.py", "tests/test_wordcount.py"]
    assert spec.file("wordcount/core.py").requires and spec.file("tests/test_wordcount.py").depends_on
    planned = codegen("build", "--dry-run", "specs/app.yaml", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert [line.split()[:2] for line in planned.stdout.splitlines()[2:5]] == [[p, "planned"] for p in paths]


def test_every_key_a_spec_takes_is_shown_and_explained() -> None:
    text = example_spec(Path("/p/specs/app.yaml"), Path("/p"))
    shown = {line.lstrip("# ").split(":")[0] for line in text.splitlines() if ":" in line}
    file_keys = {"path", "prompt", "requires", "max_tokens", "depends_on"}
    assert set(SpecModel.model_fields) - {"files"} <= shown | {"files"}
    assert file_keys <= {key.lstrip("- ") for key in shown}
    # Each top-level setting has a comment on its line or the line before.
    lines = text.splitlines()
    for n, line in enumerate(lines):
        key = line.lstrip("# ").split(":")[0]
        if key in SpecModel.model_fields and key not in ("files", "version", "context"):
            assert "#" in line.split(":", 1)[1] or lines[n - 1].startswith("#"), line
    assert yaml.safe_load(text)["output_dir"] == ".."


def test_the_output_folder_is_where_init_runs_whatever_the_spec_path() -> None:
    assert yaml.safe_load(example_spec(Path("/p/app.yaml"), Path("/p")))["output_dir"] == "."
    assert yaml.safe_load(example_spec(Path("/p/a/b/x.yaml"), Path("/p")))["output_dir"] == "../.."
    assert "codegen build a/b/x.yaml" in example_spec(Path("/p/a/b/x.yaml"), Path("/p"))
    assert "{" not in TEMPLATE.replace("{spec}", "").replace("{output_dir}", "")


def test_init_never_overwrites(tmp_path: Path) -> None:
    spec = tmp_path / "mine.yaml"
    spec.write_text("version: 1\n")
    result = codegen("init", "mine.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line_error(result) == (
        "codegen: error: mine.yaml: already exists; codegen init never "
        "overwrites a file (name another path, or delete it)"
    )
    assert spec.read_text() == "version: 1\n" and result.stdout == ""


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file, not a folder\n")
    result = codegen("init", "notes/app.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line_error(result).startswith("codegen: error: notes/app.yaml: cannot make its folder:")


def test_init_refuses_a_spec_name_that_is_not_yaml(tmp_path: Path) -> None:
    result = codegen("init", str(tmp_path / "app.toml"))
    assert result.returncode == 2 and "a spec is YAML; name it app.yaml" in result.stderr
    assert not (tmp_path / "app.toml").exists()
