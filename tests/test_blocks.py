"""An answer that holds more than one file's code: `codegen.blocks.choose` reads the
block meant for the path asked for (issue 18)."""

from __future__ import annotations

from pathlib import Path

from codegen.blocks import blocks, choose
from codegen.build import BuildOptions, build_spec
from codegen.spec import load_spec
from codegen.testing import FakeStreamer
from tests.support import write_spec

TWO_FILES = (
    "Here is b.py first:\n\n```python\ndef helper():\n    return 2\n```\n\n"
    "And a.py:\n\n```python\nfrom b import helper\n\n\ndef main():\n    return helper()\n```\n"
)


def test_the_block_labelled_with_the_path_is_taken() -> None:
    choice = choose(TWO_FILES, "a.py", (), python=True)
    assert choice.text == "```python\nfrom b import helper\n\n\ndef main():\n    return helper()\n```\n"
    assert choice.note == "the answer held 2 code blocks; took block 2, the one labelled a.py"
    assert "def helper" in choose(TWO_FILES, "b.py", (), python=True).text


def test_a_label_may_be_the_info_string_or_a_first_line_comment() -> None:
    answer = "```python\n# b.py\nB = 1\n```\n\n```python title=pkg/a.py\nA = 1\n```\n"
    assert "A = 1" in choose(answer, "pkg/a.py", (), python=True).text
    assert "B = 1" in choose(answer, "b.py", (), python=True).text


def test_without_labels_the_block_that_defines_the_required_names_is_taken() -> None:
    answer = "```python\ndef helper():\n    return 2\n```\n\n```python\ndef main():\n    return 1\n```\n"
    choice = choose(answer, "a.py", ("main",), python=True)
    assert "def main" in choice.text and "defines its required names" in choice.note


def test_one_block_and_a_usage_example_keep_the_first_and_say_so() -> None:
    answer = "```python\ndef main():\n    return 1\n```\n\nUse it:\n\n```python\nmain()\n```\n"
    choice = choose(answer, "a.py", (), python=True)
    assert "def main" in choice.text and "took block 1, the first" in choice.note


def test_an_answer_with_one_block_or_a_cut_second_one_is_left_as_it_is() -> None:
    one = "Here:\n```python\nA = 1\n```\nDone."
    assert choose(one, "a.py", (), python=True).text == one
    cut = "```python\nA = 1\n```\n\nAnd b.py:\n```python\nB = "
    assert choose(cut, "a.py", (), python=True).text == cut
    assert len(blocks(cut)) == 1


def test_a_longer_fence_holds_inner_fences() -> None:
    answer = "````markdown\n# Doc\n```sh\npip install x\n```\n````\n\n```python\nA = 1\n```\n"
    found = blocks(answer)
    assert len(found) == 2 and "pip install x" in found[0].body


def test_a_build_writes_the_block_for_its_path_not_the_first_one(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "the main module"}]))
    result = build_spec(spec, BuildOptions(), client=FakeStreamer([TWO_FILES]))
    assert result.files[0].status == "written", result.files[0]
    written = (tmp_path / "a.py").read_text()
    assert "def main" in written and "def helper" not in written
    assert "took block 2, the one labelled a.py" in result.files[0].detail
