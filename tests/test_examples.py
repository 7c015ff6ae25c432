"""The example specs in specs/: each plans a build with no key and no call, builds end to
end (against the double, which writes stand-ins for the files), and its outputs pass
`codegen check`; outputs committed beside them, if any, pass `check` as they are."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codegen.spec import load_spec
from tests.double import MessagesDouble
from tests.double.stand_in import StandInAuthor
from tests.support import ROOT, codegen

SPECS = sorted((ROOT / "specs").glob("*.yaml"))


def test_the_examples_cover_an_app_with_tests_a_library_and_a_package() -> None:
    loaded = {path.name: load_spec(path) for path in SPECS}
    assert {"todo.yaml", "semver.yaml", "kvstore.yaml"} <= set(loaded)
    todo, semver, kvstore = loaded["todo.yaml"], loaded["semver.yaml"], loaded["kvstore.yaml"]
    assert any(f.path.startswith("tests/") for f in todo.files)
    assert todo.file("todo/cli.py").requires == ("main",)
    assert len(semver.files) == 1 and len(semver.files[0].requires) >= 8
    packaged = [f for f in kvstore.files if f.path.startswith("kvstore/")]
    assert len(packaged) >= 4 and sum(bool(f.depends_on) for f in packaged) >= 3


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
def test_an_example_plans_with_no_key(spec: Path) -> None:
    result = codegen("build", "--dry-run", str(spec))
    assert result.returncode == 0, result.stderr
    planned = [line.split()[0] for line in result.stdout.splitlines() if " planned " in line]
    shipped = (spec.with_suffix(".lock")).exists()
    # Outputs shipped with their lock file are up to date; else every file is planned.
    assert planned == ([] if shipped else [f.path for f in load_spec(spec).files])
    if shipped:
        checked = codegen("check", str(spec))
        assert checked.returncode == 0, checked.stdout


def test_every_example_builds_and_then_checks(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs, ignore=shutil.ignore_patterns(".codegen", "*.lock"))
    # A project as this repository is: the examples' outputs (`../examples`) stay inside it.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "examples"\n')
    author = StandInAuthor()
    double = MessagesDouble(author)
    names = [str(specs / p.name) for p in SPECS]
    with double.serve() as url:
        built = codegen("build", *names, "--quiet", env={"ANTHROPIC_BASE_URL": url})
    double.check()
    assert built.returncode == 0, built.stdout + built.stderr
    assert len(author.files) == sum(len(load_spec(p).files) for p in SPECS)
    checked = codegen("check", *names)
    assert checked.returncode == 0, checked.stdout
    assert (tmp_path / "examples" / "kvstore" / "kvstore" / "__init__.py").exists()
