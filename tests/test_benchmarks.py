"""The benchmark against the seed loop runs, end to end, on a few small modules, so that
its code cannot rot. Figures are the benchmark's business; these check structure and
the differences that must hold whatever the figures (no timing)."""

from __future__ import annotations

import sysconfig
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.compare import (
    CLEANED,
    CODEGEN,
    SEED,
    Comparison,
    Setup,
    author_for,
    compare,
    render,
    same_module,
    targets_missed,
    time_jobs,
)
from benchmarks.seed_loop import clean_answer, is_prose
from codegen.models import lookup
from codegen.pricing import cost

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SMALL = ("_weakrefset.py", "copyreg.py", "hmac.py")  # 200-320 lines each


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    modules = [STDLIB / name for name in SMALL]
    setups = [
        Setup("claude-sonnet-5-5", max_tokens=512, max_continuations=30, seed=3),
        Setup("claude-haiku-4-5", max_tokens=512, max_continuations=30, seed=3),
    ]
    return compare(modules, setups)


def test_every_approach_is_measured_on_the_same_files(comparison: Comparison) -> None:
    for model in ("claude-sonnet-5-5", "claude-haiku-4-5"):
        summaries = {a: comparison.summaries[(model, a)] for a in (CODEGEN, SEED, CLEANED)}
        assert {s.files for s in summaries.values()} == {len(SMALL)}
        assert {s.file_tokens for s in summaries.values()} == {summaries[CODEGEN].file_tokens}
        seed = summaries[SEED]
        # Both seed variants are one conversation: the same calls, tokens and cost.
        assert (seed.calls, seed.usage, seed.cost) == (
            summaries[CLEANED].calls,
            summaries[CLEANED].usage,
            summaries[CLEANED].cost,
        )
        # The modules are longer than one answer: every approach had to continue.
        assert all(s.calls_per_file >= 2 for s in summaries.values())
        # A plain loop marks no cache breakpoint: every input token at the full rate.
        assert seed.usage.cache_read_tokens == seed.usage.cache_write_tokens == 0
        assert seed.cost == pytest.approx(cost(seed.usage, lookup(model)))
        assert summaries[CODEGEN].exact == len(SMALL)


def test_codegen_reads_its_history_from_the_cache_the_seed_loop_pays_again(comparison: Comparison) -> None:
    ours = comparison.summaries[("claude-sonnet-5-5", CODEGEN)]
    seed = comparison.summaries[("claude-sonnet-5-5", SEED)]
    assert ours.usage.cache_read_tokens > 0
    assert ours.usage.input_tokens < seed.usage.input_tokens


def test_a_fenced_cut_answer_concatenated_is_not_the_module_codegen_writes(comparison: Comparison) -> None:
    setup = comparison.setups[0]
    targets = {f"mods/{Path(name).stem}.py": (STDLIB / name).read_text(encoding="utf-8") for name in SMALL}
    author = author_for(targets, setup)
    fenced = [path for path in targets if author.meant(path).fenced]
    assert fenced, "the author fences most answers; pick another seed if none of these is"
    outcomes = {(o.approach, o.path): o for o in comparison.outcomes[setup.model]}
    for path in fenced:
        assert not outcomes[(SEED, path)].exact
        assert outcomes[(CODEGEN, path)].exact


def test_the_report_and_the_targets(comparison: Comparison) -> None:
    text = render(comparison, "python -m benchmarks.compare --tiny")
    assert "| codegen | 3/3 (100.0%)" in text and "| seed loop |" in text and "| seed + cleanup |" in text
    missed = targets_missed(comparison)
    assert all(isinstance(m, str) for m in missed)
    assert not any("exact" in m for m in missed)  # codegen wrote every module


def test_the_floor_is_the_files_bought_once_at_the_output_price_and_says_when_a_target_is_out_of_reach(
    comparison: Comparison,
) -> None:
    ours = comparison.summaries[("claude-sonnet-5-5", CODEGEN)]
    price = lookup("claude-sonnet-5-5").prices
    assert price is not None
    assert ours.floor(lookup("claude-sonnet-5-5")) == pytest.approx(ours.file_tokens * price.output / 1e6)
    # Nothing that writes every token can cost less: codegen did not.
    assert ours.cost >= ours.floor(lookup("claude-sonnet-5-5"))
    seed = comparison.summaries[("claude-sonnet-5-5", SEED)]
    cheap = replace(seed, cost=ours.floor(lookup("claude-sonnet-5-5")))  # a loop that paid only the floor
    missed = targets_missed(
        replace(comparison, summaries={**comparison.summaries, ("claude-sonnet-5-5", SEED): cheap})
    )
    [cost_miss] = [m for m in missed if "cost per file" in m]
    assert "out of reach: the files' tokens alone, bought once, cost 1.00x" in cost_miss


def test_the_wall_time_run_builds_the_same_files_at_each_jobs() -> None:
    targets = {
        f"mods/{Path(name).stem}.py": (STDLIB / name).read_text(encoding="utf-8") for name in SMALL[:2]
    }
    timing = time_jobs(targets, Setup("claude-sonnet-5-5", max_continuations=30), (1, 2))
    assert set(timing.seconds) == {1, 2} and timing.exact == {1: 2, 2: 2}
    assert timing.output_tokens >= timing.longest_tokens > 0


def test_the_cleanup_strips_fences_and_prose_around_the_code_only() -> None:
    answer = "Here's the complete `m.py`:\n\n```python\nimport os\n\nx = 1\n```\n\nThis completes `m.py`.\n"
    assert clean_answer(answer) == "import os\n\nx = 1\n"
    # A prose seam typed after a line cut in its middle is glued to it: no cleanup by
    # lines can tell.
    assert (
        clean_answer("ports = {'a'I'll continue from where I was cut off.\n")
        == "ports = {'a'I'll continue from where I was cut off.\n"
    )
    assert clean_answer("Continuing the code:\n\n    return x\n") == "    return x\n"
    assert is_prose("(continued)\n") and not is_prose("Point = namedtuple('Point', 'x y')\n")
    assert not is_prose("else:\n") and not is_prose("    Return the value.\n")


def test_same_module_is_ast_equality_up_to_black() -> None:
    target = 'def f():\n    """Doc.\n\n      indented.\n    """\n    return 1\n'
    assert same_module(target, target)
    assert same_module('def f():\n    """Doc.\n\n      indented.\n    """\n\n    return (1)\n', target)
    # black normalises a docstring's indentation and quotes; the yardstick is the module
    # as black writes it, as codegen writes every file through black.
    assert same_module("def f():\n    '''Doc.\n\n    indented.\n    '''\n    return 1\n", target)
    assert not same_module('def f():\n    """Doc.\n\n      Indented.\n    """\n    return 1\n', target)
    assert not same_module("```python\n" + target + "```\n", target)
    assert not same_module(None, target)
