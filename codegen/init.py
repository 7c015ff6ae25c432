"""`codegen init`: a commented example spec to start from. It never overwrites a file."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

DEFAULT_PATH = Path("specs") / "app.yaml"

# Every key a spec takes, each with what it does; the files make a small project whose
# second and third files build on the first. {output_dir} is filled in by example_spec.
TEMPLATE = """\
# A codegen spec: the files to generate and what each must hold.
# Build it with:  codegen build {spec}
# Check it (no network) with:  codegen check {spec}
version: 1                      # required: the spec format's version

# The model. Left out, it is CODEGEN_MODEL if set, else claude-sonnet-5-5; set it here
# to pin the model for everyone who builds this spec.
# model: claude-sonnet-5-5
max_tokens: 8192                # output tokens per API call; a longer file is continued
max_continuations: 8            # continuation calls allowed per file
max_repairs: 4                  # targeted repair rounds per file (a cut, a placeholder, a missing name)
# thinking: adaptive            # off | adaptive | a token budget below max_tokens

# After the build, run the generated code and repair what fails. This RUNS the code the
# model wrote, on your machine: read the README's "Verify" section before you enable it.
# verify:
#   command: python -m pytest -q  # in output_dir, no shell, no API key in its environment
#   timeout: 120                  # seconds; then it and all it started are killed
#   max_rounds: 2                 # run, repair, run again: this many repair rounds

# Formatters for files in other languages than Python (black formats Python), by
# language: a command that reads the code on stdin and prints it formatted, run in
# output_dir. A file's own `format:` key wins. None is ever guessed.
# formatters:
#   go: gofmt
#   rust: rustfmt --edition 2021

# Where the files go, relative to this spec's folder.
output_dir: {output_dir}

# Shared by every file: sent once as the system prompt and read from the cache after.
context: |
  A small word-count tool. Python 3.11, standard library only.
  Type hints everywhere; a docstring on every public function.

files:
  - path: wordcount/core.py       # relative to output_dir; must stay inside it
    prompt: |
      count(text: str) -> Counts, where Counts is a frozen dataclass with lines,
      words and characters; and top_words(text: str, n: int) -> list[tuple[str, int]],
      the n most frequent lowercase words, ties broken alphabetically.
    # Names the file must define: Name at module level, Class.member inside a class.
    requires: [Counts, count, top_words]
    max_tokens: 4096              # a per-file override

  - path: wordcount/cli.py
    prompt: |
      An argparse CLI over wordcount.core: `wordcount FILE... [--top N]` prints
      lines, words and characters per file, then a total; --top N lists the N most
      frequent words. main(argv: list[str] | None = None) -> int.
    depends_on: [wordcount/core.py]   # generated first and given as context
    requires: [main]

  - path: tests/test_wordcount.py
    prompt: |
      pytest tests for wordcount.core and wordcount.cli.main (use tmp_path and capsys).
    depends_on: [wordcount/core.py, wordcount/cli.py]
"""


def example_spec(spec: Path, project: Path) -> str:
    """The example spec for `spec`, its outputs going to `project` (both absolute)."""
    output_dir = Path(os.path.relpath(project, spec.parent)).as_posix()
    return TEMPLATE.format(spec=os.path.relpath(spec, project), output_dir=output_dir)


def write_example(spec: Path, project: Path) -> None:
    """Create `spec` (and its folder) with the example; outputs go to `project`."""
    shown = str(spec)
    if spec.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"{shown}: a spec is YAML; name it {spec.with_suffix('.yaml').name}")
    spec, project = spec.absolute(), project.absolute()
    text = example_spec(spec, project)
    try:
        spec.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{shown}: cannot make its folder: {exc.strerror or exc}") from None
    try:
        # "x": fails if the file exists, even one that appeared after a check would have run.
        with spec.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise UsageError(
            f"{shown}: already exists; codegen init never overwrites a file (name another path, or delete it)"
        ) from None
    except OSError as exc:
        raise UsageError(f"{shown}: cannot write: {exc.strerror or exc}") from None
