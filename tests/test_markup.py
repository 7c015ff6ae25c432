"""Markdown and other prose files out of answers (issue 20): the file's prose and its
own code blocks are kept, whatever fence the model put the file in, and cut answers
continued in user turns stitch back exact."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.build import BuildOptions, build_spec
from codegen.markup import stitch_markup
from codegen.spec import load_spec
from codegen.stitch import Chunk
from codegen.testing import FakeStreamer, cut
from tests.support import ROOT, write_spec

CALC = (
    "# calc\n\nA tiny calculator.\n\n## Install\n\n```sh\npip install calc\n```\n\n## Use\n\n"
    "```python\nimport calc\n\nprint(calc.add(1, 2))\n```\n\n- one\n- two\n\n"
    "```\nplain block\n```\n\nThe end.\n"
)
DOCS = (CALC, (ROOT / "README.md").read_text())


def test_a_four_backtick_wrapper_keeps_the_inner_blocks() -> None:
    answer = f"````markdown\n{CALC}````\n"
    assert stitch_markup([Chunk(answer)]).code == CALC


def test_a_three_backtick_wrapper_nests_labelled_inner_blocks() -> None:
    answer = f"Here is `docs/README.md`:\n\n```markdown\n{CALC}```\n\nLet me know if you need more."
    stitched = stitch_markup([Chunk(answer)])
    assert stitched.code == CALC and stitched.fence_closed


def test_an_answer_with_no_fence_is_the_file_prose_included() -> None:
    text = "# Notes\n\nSome notes about the calc package."
    assert stitch_markup([Chunk(text)]).code == text + "\n"


def test_a_file_that_starts_with_its_own_code_block_is_not_unwrapped() -> None:
    text = "```sh\npip install calc\n```\n\n# calc\n\nMore about it.\n"
    assert stitch_markup([Chunk(text)]).code == text


def test_a_cut_wrapper_is_an_unclosed_fence() -> None:
    assert not stitch_markup([Chunk("```markdown\n# calc\n\n```sh\npip in")]).fence_closed


WRAPPERS = ("", "```markdown", "````markdown", "~~~md")
PREFACES = ("", "Continuing:\n\n", "Here is the rest of the file:\n\n")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    doc=st.sampled_from(DOCS),
    wrapper=st.sampled_from(WRAPPERS),
    cuts=st.lists(st.floats(0.02, 0.98), min_size=1, max_size=4),
    seams=st.lists(st.tuples(st.sampled_from(PREFACES), st.booleans(), st.integers(0, 3)), min_size=4),
    talk=st.booleans(),
)
def test_a_document_cut_anywhere_and_continued_with_seams_stitches_back_exact(
    doc: str, wrapper: str, cuts: list[float], seams: list[tuple[str, bool, int]], talk: bool
) -> None:
    doc = doc[:6000]  # the README is long: its head has every kind of block
    doc = doc if doc.endswith("\n") else doc + "\n"
    points = sorted({max(1, int(len(doc) * c)) for c in cuts})
    opening = f"{wrapper}\n" if wrapper else ""
    closing = (wrapper[:4].rstrip("mdarkown") if wrapper else "") + "\n"
    ending = closing + ("\nAnything else?" if talk and wrapper else "")
    pieces = [doc[a:b] for a, b in zip([0, *points], [*points, len(doc)], strict=True)]
    chunks = [Chunk(opening + pieces[0])]
    for (preface, reopen, retype), start, piece in zip(seams, points, pieces[1:], strict=False):
        before = doc[:start]
        partial = before.rpartition("\n")[2]
        # A model types again the cut line, or a few whole lines before a cut at a line end.
        if partial:
            again = partial
        else:
            again = "".join(before.splitlines(keepends=True)[-retype:]) if retype else ""
            # Lines typed again hold text: a blank line at a seam may be a new one.
            again = again if again.strip() else ""
        fence = f"{wrapper}\n" if reopen and wrapper else ""
        chunks.append(Chunk(f"{preface if fence else ''}{fence}{again}{piece}", joins="user_turn"))
    chunks[-1] = Chunk(chunks[-1].text + (ending if wrapper else ""), joins=chunks[-1].joins)
    assert stitch_markup(chunks).code == doc


def test_a_build_keeps_a_markdown_file_with_inner_blocks_whole(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, [{"path": "docs/README.md", "prompt": "the README"}]))
    answer = f"```markdown\n{CALC}```\n"
    client = FakeStreamer([cut(answer[:90])]).answer("Continuing:\n\n```markdown\n" + answer[90:])
    result = build_spec(spec, BuildOptions(), client=client)
    assert result.files[0].status == "written", result.files[0]
    assert (tmp_path / "docs" / "README.md").read_text() == CALC
