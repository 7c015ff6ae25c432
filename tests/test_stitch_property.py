"""Property: any stdlib module, cut anywhere into chunks, continued with any mix of
seams, stitches back to the same AST."""

from __future__ import annotations

import ast
import random
import re
import sysconfig
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codegen.stitch import Chunk, stitch
from tests.double.seams import SEAM_KINDS, SeamedChunk, seamed_chunks

PROSE_BEFORE = ("", "Here is the complete file:\n\n", "Sure! Here's `module.py`.\n\n")
PROSE_AFTER = ("", "\nThat completes the file.\n", "\nLet me know if you need changes.\n")


@cache
def stdlib_modules() -> tuple[Path, ...]:
    """Modules of 200-1500 lines that parse on this Python, sorted for determinism."""
    found = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            source = path.read_text(encoding="utf-8")
            ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if 200 <= source.count("\n") <= 1500:
            found.append(path)
    return tuple(found)


def ambiguous(meant: str, cut: int, answer: SeamedChunk) -> bool:
    """A cut line typed again whose cut fell in its indentation, or at column 0 after a
    run of one character, reads the same as an exact continuation of another line:
    after `    `, `        x = 1` is `x = 1` typed again at 8 spaces or an exact `x = 1`
    at 12; after `_`, `__all__ = ...` is a retyped `__all__` or a `___all__`. No
    stitcher can tell them apart, so those examples are left out. What it assumes: a
    cut inside an indentation run goes on exactly, and a line that opens with exactly
    the cut whitespace, a whole depth the file already indents to, was typed again."""
    line_start = meant.rfind("\n", 0, cut) + 1
    partial = meant[line_start:cut]
    content = partial.strip()
    if partial and not content:
        rest = answer.text[len(partial):]
        same_run = answer.text.startswith(partial) and not rest[:1].isspace()
        used = (("\t" in partial or len(partial) % 4 == 0)
                and re.search(f"^{partial}\\S", meant[:line_start], re.MULTILINE) is not None)
        if answer.kind in ("retype", "restart"):
            return answer.text.startswith(partial) and not (same_run and used)
        return answer.kind == "none" and same_run and used
    short = bool(partial) and not partial[0].isspace() and len(set(content)) == 1
    if short and answer.kind in ("retype", "restart") and answer.text.startswith(partial):
        return True
    # A line written twice in a row, cut between the two: the second copy reads the
    # same as a repeated line.
    line_end = meant.find("\n", cut)
    above_start = meant.rfind("\n", 0, max(line_start - 1, 0)) + 1
    line = meant[line_start:line_end if line_end >= 0 else len(meant)]
    return bool(line.strip()) and line == meant[above_start:line_start - 1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0),
    n_cuts=st.integers(min_value=1, max_value=10),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    before=st.sampled_from(PROSE_BEFORE),
    after=st.sampled_from(PROSE_AFTER),
    kinds=st.lists(st.sampled_from(SEAM_KINDS), min_size=1, max_size=6, unique=True),
)
def test_stdlib_module_cut_anywhere_with_any_seams_stitches_back(
    index: int, n_cuts: int, seed: int, before: str, after: str, kinds: list[str]
) -> None:
    modules = stdlib_modules()
    source = modules[index % len(modules)].read_text(encoding="utf-8")
    head = before + "```python\n"
    meant = head + source + "```\n" + after
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(meant)), n_cuts))
    answers = seamed_chunks(meant, cuts, rng, tuple(kinds),  # type: ignore[arg-type]
                            code_start=len(head), code_end=len(head) + len(source))
    assume(not any(ambiguous(meant, c, a) for c, a in zip(cuts, answers[1:], strict=True)))
    chunks = [Chunk(a.text, "start" if n == 0 else "user_turn") for n, a in enumerate(answers)]
    result = stitch(chunks)
    assert result.parses
    assert ast.dump(ast.parse(result.code)) == ast.dump(ast.parse(source))


def test_there_are_enough_modules_to_sample() -> None:
    assert len(stdlib_modules()) >= 50
