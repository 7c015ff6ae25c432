"""Spec loading: typed values, and every spec error named by file, line and key path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codegen.errors import SpecError, UsageError
from codegen.spec import load_spec
from tests.support import write_spec

GOOD = """\
version: 1
model: claude-opus-5-5
max_tokens: 4000
thinking: adaptive
context: |
  A todo manager.
files:
  - path: todo/cli.py
    prompt: An argparse CLI.
    depends_on: [todo/models.py]
  - path: todo/models.py
    prompt: Dataclasses.
    requires: [Todo, TodoList.add]
    max_tokens: 2000
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, text))
    return info.value.message


def test_good_spec_is_typed_and_in_dependency_order(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.model == "claude-opus-5-5"
    assert [f.path for f in spec.files] == ["todo/models.py", "todo/cli.py"]
    models = spec.file("todo/models.py")
    assert models.requires == ("Todo", "TodoList.add")
    assert models.max_tokens == 2000
    assert spec.file("todo/cli.py").max_tokens == 4000
    assert spec.output_dir == tmp_path
    assert spec.thinking == "adaptive"


def test_model_comes_from_spec_then_environment_then_default(tmp_path: Path, monkeypatch) -> None:
    text = "version: 1\nfiles:\n  - {path: a.py, prompt: x}\n"
    monkeypatch.delenv("CODEGEN_MODEL", raising=False)
    assert load_spec(write(tmp_path, text)).model == "claude-sonnet-5-5"
    monkeypatch.setenv("CODEGEN_MODEL", "claude-haiku-5-5")
    assert load_spec(write(tmp_path, text)).model == "claude-haiku-5-5"
    assert load_spec(write(tmp_path, GOOD)).model == "claude-opus-5-5"
    assert load_spec(write(tmp_path, GOOD), model_override="m").model == "m"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nfiles:\n  - {path: a.py, prompt: x, promt: y}\n",
            "spec.yaml:3: files[0].promt: unknown key (did you mean `prompt`?)",
        ),
        ("version: 1\nfiles:\n  - {path: a.py}\n", "spec.yaml:3: files[0].prompt: required key is missing"),
        ("version: 2\nfiles:\n  - {path: a.py, prompt: x}\n", "spec.yaml:1: version: unsupported version 2"),
        (
            "version: 1\nmax_tokens: lots\nfiles:\n  - {path: a.py, prompt: x}\n",
            "spec.yaml:2: max_tokens: expected an integer, got 'lots'",
        ),
        ("version: 1\nfiles: []\n", "spec.yaml:2: files: a spec needs at least one file"),
        ("version: 1\nfiles:\n  - {path: /etc/x.py, prompt: x}\n", "files[0].path: '/etc/x.py' is absolute"),
        (
            "version: 1\nfiles:\n  - {path: ../x.py, prompt: x}\n",
            "files[0].path: '../x.py' leaves output_dir",
        ),
        ("version: 1\nfiles:\n  - {path: a/../../x.py, prompt: x}\n", "leaves output_dir"),
        (
            "version: 1\nfiles:\n  - {path: a.py, prompt: x}\n  - {path: ./a.py, prompt: y}\n",
            "files[1].path: './a.py' is already files[0].path",
        ),
        (
            "version: 1\nfiles:\n  - {path: a.py, prompt: x, depends_on: [b.py]}\n",
            "files[0].depends_on[0]: 'b.py' names no file of this spec",
        ),
        (
            "version: 1\nfiles:\n  - {path: a.py, prompt: x, depends_on: [b.py]}\n"
            "  - {path: b.py, prompt: y, depends_on: [a.py]}\n",
            "dependency cycle: a.py -> b.py -> a.py",
        ),
        (
            "version: 1\nthinking: 9000\nmax_tokens: 8000\nfiles:\n  - {path: a.py, prompt: x}\n",
            "spec.yaml:2: thinking: thinking budget 9000 must be below max_tokens (8000)",
        ),
        (
            "version: 1\nthinking: 2000\nfiles:\n  - {path: a.py, prompt: x, max_tokens: 1500}\n",
            "files[0].max_tokens: thinking budget 2000 must be below max_tokens (1500)",
        ),
        (
            "version: 1\nthinking: maybe\nfiles:\n  - {path: a.py, prompt: x}\n",
            "thinking: expected off, adaptive or a token budget",
        ),
        (
            "version: 1\nfiles:\n  - {path: a.py, prompt: x, requires: [not-a-name]}\n",
            "files[0].requires: 'not-a-name' is not a name",
        ),
        (
            "version: 1\nversion: 1\nfiles:\n  - {path: a.py, prompt: x}\n",
            "spec.yaml:2: version: key appears twice",
        ),
        (
            "version: 1\nfiles:\n  - {path: a.py, prompt: x, format: ruff format -}\n",
            "files[0].format: Python files are formatted by black",
        ),
        (
            "version: 1\nformatters: {python: ruff format -}\nfiles:\n  - {path: a.ts, prompt: x}\n",
            "formatters.python: Python files are formatted by black",
        ),
        (
            "version: 1\nformatters: {cobol: fmt}\nfiles:\n  - {path: a.ts, prompt: x}\n",
            "formatters.cobol: 'cobol' is not a language codegen checks",
        ),
        (
            'version: 1\nfiles:\n  - {path: a.ts, prompt: x, format: "prettier \'x"}\n',
            "files[0].format: cannot be split into words",
        ),
        (
            'version: 1\nformatters: {go: " "}\nfiles:\n  - {path: a.go, prompt: x}\n',
            "formatters.go: must name a command",
        ),
        ("version: [1\n", "not valid YAML"),
        ("version: 1\n? [a, b]\n: 1\nfiles:\n  - {path: a.py, prompt: x}\n", "keys must be plain names"),
        ("- just a list\n", "a spec is a YAML mapping"),
    ],
)
def test_spec_errors_name_the_line_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_a_file_takes_its_own_format_command_else_its_languages(tmp_path: Path) -> None:
    spec = load_spec(
        write(
            tmp_path,
            # In block style `{path}` needs no quotes (in a flow mapping it does).
            "version: 1\nformatters:\n  typescript: prettier --stdin-filepath {path}\nfiles:\n"
            "  - {path: a.ts, prompt: x}\n  - {path: b.ts, prompt: x, format: deno fmt -}\n"
            "  - {path: c.go, prompt: x}\n  - {path: d.txt, prompt: x, language: typescript}\n",
        )
    )
    assert [(f.path, f.format_argv) for f in spec.files] == [
        ("a.ts", ("prettier", "--stdin-filepath", "{path}")),
        ("b.ts", ("deno", "fmt", "-")),
        ("c.go", ()),
        ("d.txt", ("prettier", "--stdin-filepath", "{path}")),
    ]


def test_a_symlink_out_of_output_dir_is_a_spec_error(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    os.symlink(outside, project / "link")
    message = error_of(project, "version: 1\nfiles:\n  - {path: link/x.py, prompt: x}\n")
    assert "files[0].path: 'link/x.py' leaves output_dir through a symlink" in message


def test_missing_spec_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="spec file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_verify_is_split_into_words_with_its_defaults(tmp_path: Path) -> None:
    text = (
        "version: 1\nverify:\n  command: python -m pytest -q -k 'not slow'\n"
        "files:\n  - {path: a.py, prompt: x}\n"
    )
    spec = load_spec(write(tmp_path, text))
    assert spec.verify is not None
    assert spec.verify.argv == ("python", "-m", "pytest", "-q", "-k", "not slow")
    assert (spec.verify.timeout, spec.verify.max_rounds) == (120, 2)
    assert load_spec(write(tmp_path, "version: 1\nfiles:\n  - {path: a.py, prompt: x}\n")).verify is None


@pytest.mark.parametrize(
    ("verify", "message"),
    [
        (
            "{comand: pytest}",
            "spec.yaml:2: verify.comand: unknown key (did you mean `command`?); "
            "known keys: command, timeout, max_rounds",
        ),
        ("pytest -q", "spec.yaml:2: verify: expected a mapping, got 'pytest -q'"),
        ("{timeout: 5}", "spec.yaml:2: verify.command: required key is missing"),
        ("{command: pytest, timeout: '5'}", "spec.yaml:2: verify.timeout: expected a number, got '5'"),
        ("{command: pytest, timeout: 0}", "spec.yaml:2: verify.timeout: Input should be greater than 0"),
        (
            "{command: pytest, max_rounds: 1.5}",
            "spec.yaml:2: verify.max_rounds: expected an integer, got 1.5",
        ),
        (
            "{command: 'pytest \"-q'}",
            "spec.yaml:2: verify.command: cannot be split into words: No closing quotation",
        ),
        ("{command: '  '}", "spec.yaml:2: verify.command: must name a command"),
    ],
)
def test_verify_errors_name_the_key(tmp_path: Path, verify: str, message: str) -> None:
    text = f"version: 1\nverify: {verify}\nfiles:\n  - {{path: a.py, prompt: x}}\n"
    assert error_of(tmp_path, text).endswith(message)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("a\\0b.py", "holds a NUL character"),
        ("a\\n/etc/passwd:1:1: error: forged [syntax].py", "holds the control character U+000A"),
        ("a\\e[31mred.py", "holds the control character U+001B"),
        ("a\\x7f.py", "holds the control character U+007F"),
        ("a\\u2028b.py", "holds the line separator U+2028"),
        ("invoice_\\u202etxt.py", "holds the bidirectional control U+202E"),
        ("a\\u2066b\\u2069.py", "holds the bidirectional control U+2066"),
        ("a\\u200fb.py", "holds the bidirectional control U+200F"),
    ],
)
def test_a_path_with_a_control_character_is_a_spec_error(tmp_path: Path, path: str, reason: str) -> None:
    message = error_of(tmp_path, f'version: 1\nfiles:\n  - {{path: "{path}", prompt: x}}\n')
    assert "spec.yaml:3: files[0].path: '" in message and reason in message
    assert message.isprintable()  # the character is shown escaped, never raw


def test_an_output_dir_with_a_control_character_is_a_spec_error(tmp_path: Path) -> None:
    for output_dir, reason in [("o\\0ut", "a NUL character"), ("o\\nut", "the control character U+000A")]:
        text = f'version: 1\noutput_dir: "{output_dir}"\nfiles:\n  - {{path: a.py, prompt: x}}\n'
        message = error_of(tmp_path, text)
        assert "spec.yaml:2: output_dir: '" in message and reason in message


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            "todo/models.py",
            "todo/Models.py",
            "'todo/Models.py' and files[0].path 'todo/models.py' are one file",
        ),
        (
            "Todo/models.py",
            "todo/models.py",
            "'todo/models.py' and files[0].path 'Todo/models.py' are one file",
        ),
        ("caf\\u00e9.py", "cafe\\u0301.py", "are one file on a file system that ignores case or Unicode"),
        ("STRASSE.py", "stra\\u00dfe.py", "are one file"),
        ("todo", "Todo/cli.py", "'Todo/cli.py' needs a folder where files[0].path 'todo' is a file"),
        ("todo/cli.py", "todo", "'todo/cli.py' needs a folder where files[1].path 'todo' is a file"),
    ],
)
def test_paths_that_are_one_file_on_macos_or_windows_are_a_spec_error(
    tmp_path: Path, first: str, second: str, expected: str
) -> None:
    text = f'version: 1\nfiles:\n  - {{path: "{first}", prompt: x}}\n  - {{path: "{second}", prompt: y}}\n'
    assert expected in error_of(tmp_path, text)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("spec.yaml", "files[0].path: 'spec.yaml' is this spec file itself"),
        ("./spec.lock", "files[0].path: './spec.lock' is this spec's lock file"),
        (".codegen/journal.sqlite3", "is inside .codegen/, where codegen keeps its journal"),
    ],
)
def test_a_spec_that_lists_itself_its_lock_or_its_journal_is_a_spec_error(
    tmp_path: Path, path: str, expected: str
) -> None:
    assert expected in error_of(tmp_path, f"version: 1\nfiles:\n  - {{path: {path}, prompt: x}}\n")


def test_a_spec_reached_through_a_symlink_lists_its_target_as_itself(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    write(real, "version: 1\noutput_dir: ../real\nfiles:\n  - {path: spec.yaml, prompt: x}\n")
    (tmp_path / "link").mkdir()
    os.symlink(real / "spec.yaml", tmp_path / "link" / "app.yaml")
    with pytest.raises(SpecError, match="is this spec file itself"):
        load_spec(tmp_path / "link" / "app.yaml")


def test_max_tokens_above_the_models_output_limit_is_a_spec_error_that_names_the_limit(
    tmp_path: Path,
) -> None:
    from codegen.errors import SpecError, UsageError

    spec = write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}], max_tokens=100_000_000)
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    assert raised.value.key_path == "max_tokens"
    assert "claude-sonnet-5-5 writes at most 128,000 tokens an answer" in raised.value.reason
    per_file = write_spec(
        tmp_path, [{"path": "a.py", "prompt": "x", "max_tokens": 70_000}], model="claude-haiku-4-5"
    )
    with pytest.raises(SpecError) as raised:
        load_spec(per_file)
    assert raised.value.key_path == "files[0].max_tokens" and "64,000" in raised.value.reason
    with pytest.raises(UsageError, match="--max-tokens 200,000"):
        load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}]), max_tokens_override=200_000)
    # A model the table does not know: its limit is not known either.
    unknown = write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}], model="local-model", max_tokens=10**8)
    assert load_spec(unknown).max_tokens == 10**8


def test_every_mistake_of_a_spec_is_reported_at_once_each_on_its_line(tmp_path: Path) -> None:
    from codegen.errors import SpecError

    spec = tmp_path / "s.yaml"
    spec.write_text(
        "version: 1\nmax_tokens: -5\nfiles:\n  - path: a.py\n    promt: x\n"
        "  - path: b.py\n    prompt: y\n    requires: 5\n"
    )
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    lines = raised.value.message.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{spec}:2", "max_tokens"],
        [f"{spec}:5", "files[0].promt"],
        [f"{spec}:8", "files[1].requires"],
    ]


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path: Path) -> None:
    from codegen.errors import SpecError

    spec = tmp_path / "s.yaml"
    spec.write_text('version: 1\nfiles:\n  - path: a.py\n    prompt: "x\n  - path: b.py\n    prompt: y\n')
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    assert raised.value.message.startswith(f"{spec}:4:13: not valid YAML: while scanning a quoted scalar")


def test_a_folder_given_as_a_spec_is_one_line(tmp_path: Path) -> None:
    from codegen.errors import UsageError

    with pytest.raises(UsageError, match="is a folder; give the spec file in it"):
        load_spec(tmp_path)


def test_a_format_command_is_part_of_the_entry_hash(tmp_path: Path) -> None:
    from codegen import lock

    def hashed(extra: str) -> str:
        spec = load_spec(write(tmp_path, f"version: 1\nfiles:\n  - {{path: a.ts, prompt: x{extra}}}\n"))
        return lock.entry_hash(spec, spec.files[0])

    plain, formatted, other = hashed(""), hashed(", format: prettier"), hashed(", format: deno fmt -")
    assert len({plain, formatted, other}) == 3


def test_required_names_are_read_in_the_files_language(tmp_path: Path) -> None:
    spec = load_spec(
        write(
            tmp_path,
            "version: 1\nfiles:\n"
            "  - {path: src/lib.rs, prompt: x, requires: ['Store::put']}\n"
            "  - {path: web/app.js, prompt: x, requires: [$el, App.render]}\n"
            "  - {path: pyproject.toml, prompt: x, requires: [build-system, project.name]}\n"
            "  - {path: README.md, prompt: x, requires: [Getting started]}\n"
            "  - {path: conf.txt, prompt: x, language: yaml, requires: ['on']}\n",
        )
    )
    assert [f.requires for f in spec.files] == [
        ("Store::put",),
        ("$el", "App.render"),
        ("build-system", "project.name"),
        ("Getting started",),
        ("on",),
    ]
    assert "files[0].requires: 'Store::put' is not a name" in error_of(
        tmp_path, "version: 1\nfiles:\n  - {path: a.py, prompt: x, requires: ['Store::put']}\n"
    )
    assert "files[0].requires: a required key or heading cannot be blank" in error_of(
        tmp_path, "version: 1\nfiles:\n  - {path: a.md, prompt: x, requires: [' ']}\n"
    )
