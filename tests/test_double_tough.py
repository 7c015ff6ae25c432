"""The double's tough seams, measured on real models: a restart of a block of any length,
a model lost after an answer that was wholly a repeat, a skip to the next definition,
fences with other info strings, and codegen's quote of the file's end read back.

The pure generator (`tests.double.seams`) first, then `ModuleAuthor` through the real
SDK (`messages.create`, the JSON wire format; `messages.stream` once). Where a test
needs to know where an answer sits in the meant text, it finds the answer's code in
it (`locate`), never asks the double.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass, field
from typing import Any

import anthropic
import pytest

from codegen import prompts
from tests.double import (
    SEAM_KINDS,
    DefinitionStyle,
    MessagesDouble,
    ModuleAuthor,
    Seams,
    Wrapping,
    seams,
)
from tests.double.module_author import FILE_SO_FAR, STALLED, _quoted_tail
from tests.support import MODEL, original_text, sdk, stdlib_source, text_of

PROSE = set(seams.CONTINUATION_PROSE)
FENCE_LINES = {f"```{info}" for info in seams.PYTHON_FENCE_INFOS}
DEFINITION_LINE = ("def ", "async def ", "class ", "@")

# A class whose methods are short, then a long one, then a decorated one, then a
# top-level function: small enough to read, long enough for every kind.
CODE = '''\
import os


class Store:
    """Keeps things."""

    limit = 10

    def __init__(self):
        self.items = {}

    def add(self, key, value):
        if key in self.items:
            raise KeyError(key)
        self.items[key] = value
        return value

    @property
    def size(self):
        return len(self.items)


def main():
    store = Store()
    store.add("a", 1)
    print(store.size)
'''


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


# -- block_restart --------------------------------------------------------------


def test_block_restart_starts_over_from_an_enclosing_definition_of_any_length() -> None:
    cut = CODE.index("KeyError(key)") + 3  # in an if, in a method, in a class
    starts = {
        seams.plan_continuation(CODE, cut, "block_restart", random.Random(s), max_retype=5).resume
        for s in range(40)
    }
    # The method or the whole class, whatever max_retype says (5 characters here).
    assert starts == {CODE.index("    def add"), CODE.index("class Store")}
    # It opens with nothing, a line of prose, or a new fence (maybe after prose).
    for s in range(20):
        seam = seams.plan_continuation(CODE, cut, "block_restart", random.Random(s)).seam
        assert seam == "" or seam.split("\n")[0] in PROSE | FENCE_LINES
    # A decorated method starts over from its decorator.
    in_size = CODE.index("len(self.items)")
    assert CODE.index("    @property") in {
        seams.plan_continuation(CODE, in_size, "block_restart", random.Random(s)).resume for s in range(20)
    }
    # Not at module level, nor where the only definition holding the cut starts on
    # the cut's own line (that is a retype).
    assert "block_restart" not in seams.applicable_kinds(CODE, CODE.index("os") + 1)
    assert "block_restart" not in seams.applicable_kinds(CODE, CODE.index("def main") + 5)
    assert "block_restart" in seams.applicable_kinds(CODE, CODE.index("    def add") + 5)


def test_a_block_restart_of_a_long_class_is_cut_before_it_gets_back_to_the_cut() -> None:
    source = stdlib_source("textwrap.py")
    cut = source.index("chunks = self._split_chunks(text)") + 10
    wrapper = source.index("class TextWrapper")
    assert cut - wrapper > 8000  # far more than an answer of a few hundred tokens holds
    for seed in range(20):
        chunks = seams.seamed_chunks(source, [cut], random.Random(seed), ("block_restart",), max_answer=1500)
        if chunks[1].resume == wrapper:
            break
    else:
        raise AssertionError("no restart of the class")
    assert chunks[1].kind == "block_restart" and chunks[1].end == wrapper + 1500 < cut
    assert chunks[2].after in ("lost", "quote")  # after an answer wholly a repeat
    assert oracle_join(chunks, source) == source


# -- skip_ahead -----------------------------------------------------------------


def plans(
    kind: seams.SeamKind, cut: int, code: str = CODE, n: int = 60, **options: Any
) -> list[seams.Continuation]:
    return [seams.plan_continuation(code, cut, kind, random.Random(s), **options) for s in range(n)]


def test_skip_ahead_opens_a_fence_and_starts_the_next_definition() -> None:
    cut = CODE.index("raise KeyError") + 4  # inside the body of Store.add
    found = plans("skip_ahead", cut)
    skipped = [p for p in found if p.resume > cut]
    # More often than not it skips, to the next member (from its decorator) ...
    assert len(found) / 2 < len(skipped) < len(found)
    assert {p.resume for p in skipped} == {CODE.index("    @property")}
    # ... else it goes on in the new fence with the cut line retyped.
    assert {p.resume for p in found if p.resume <= cut} == {line_start(CODE, cut)}
    # Always a new fence: ```python, ```python3 or a bare ```, maybe after prose.
    lines = {p.seam.rstrip("\n").split("\n")[-1] for p in found}
    assert lines == FENCE_LINES
    assert all(p.seam.split("\n")[0] in PROSE | FENCE_LINES for p in found)
    assert seams.enclosing_definition(CODE, cut) == "Store.add"
    assert seams.definition_starting_at(CODE, CODE.index("    @property")) == "Store.size"


def test_skip_ahead_goes_to_a_shallower_definition_and_loses_nothing_else() -> None:
    in_size = CODE.index("len(self.items)")  # the last member: the next is main
    assert {p.resume for p in plans("skip_ahead", in_size) if p.resume > in_size} == {CODE.index("def main")}
    # From __init__, the next member is add; the class attribute before __init__ is
    # never skipped over (it comes before the cut).
    in_init = CODE.index("self.items = {}")
    assert {p.resume for p in plans("skip_ahead", in_init) if p.resume > in_init} == {
        CODE.index("    def add")
    }
    # A class statement between would be lost with the rest of the method: no skip.
    between = CODE.replace("    @property", "    other = 2\n\n    @property")
    cut = between.index("raise KeyError")
    assert all(p.resume <= cut for p in plans("skip_ahead", cut, between))
    # Only inside a body: not in a header, a decorator, or at module level.
    for outside in (CODE.index("def add") + 4, CODE.index("@property") + 3, CODE.index("os")):
        assert "skip_ahead" not in seams.applicable_kinds(CODE, outside)
    # Never in an answer without fences.
    assert "skip_ahead" not in seams.applicable_kinds(CODE, cut, fence=False)


def test_fence_may_open_with_python3_or_no_info_string() -> None:
    cut = CODE.index("raise KeyError") + 4
    assert {p.seam for p in plans("fence", cut, n=20)} <= {
        "```python\n",
        *(prose + "\n\n```python\n" for prose in PROSE),
    }
    lines = {
        p.seam.rstrip("\n").split("\n")[-1] for p in plans("fence", cut, fence_infos=seams.TOUGH_FENCE_INFOS)
    }
    assert lines == FENCE_LINES
    # Outside Python only the bare fence.
    assert {
        p.seam.rstrip("\n").split("\n")[-1]
        for p in plans("fence", cut, fence_info="", fence_infos=seams.TOUGH_FENCE_INFOS)
    } == {"```"}


# -- whole conversations, pure ----------------------------------------------------


def written_spans(chunks: list[seams.SeamedChunk], meant: str) -> list[tuple[int, int]]:
    """Where each chunk's body sits, and checks that whatever it types again is text
    that was written (never skipped) and byte-for-byte the meant text."""
    spans: list[tuple[int, int]] = []
    pos = 0
    skipped: list[tuple[int, int]] = []
    for chunk, before in zip(chunks, seams.positions(chunks), strict=True):
        assert chunk.end is not None and chunk.text == chunk.seam + meant[chunk.resume : chunk.end]
        assert before == pos
        if chunk.resume > pos:
            skipped.append((pos, chunk.resume))
        retyped = (chunk.resume, min(pos, chunk.end))
        assert not any(a < retyped[1] and retyped[0] < b for a, b in skipped)
        spans.append((chunk.resume, chunk.end))
        pos = max(pos, chunk.end)
    return spans


def oracle_join(chunks: list[seams.SeamedChunk], meant: str) -> str:
    """Undo the seams knowing them: each chunk adds what lies past the furthest point."""
    text, pos = "", 0
    for start, end in written_spans(chunks, meant):
        if end > pos:
            text += meant[max(start, pos) : end]
            pos = end
    return text


def test_seamed_chunks_without_the_tough_options_are_one_per_cut() -> None:
    source = stdlib_source("shlex.py")
    rng = random.Random(5)
    cuts = seams.cut_points(source, 12, rng)
    chunks = seams.seamed_chunks(source, cuts, rng, SEAM_KINDS)
    assert len(chunks) == len(cuts) + 1
    assert [c.end for c in chunks] == [*cuts, len(source)]
    assert [c.after for c in chunks] == ["start"] + ["continue"] * len(cuts)
    assert oracle_join(chunks, source) == source


def test_lost_after_a_repeat_goes_on_from_where_that_answer_stopped() -> None:
    source = stdlib_source("textwrap.py")
    lost = quoted = 0
    for seed in range(12):
        rng = random.Random(seed)
        cuts = seams.cut_points(source, 8, rng)
        chunks = seams.seamed_chunks(
            source, cuts, rng, ("block_restart", "none", "retype"), lost=0.5, max_answer=1200
        )
        assert oracle_join(chunks, source) == source
        reached = seams.positions(chunks)
        for i, chunk in enumerate(chunks[2:], start=2):
            previous = chunks[i - 1]
            assert previous.end is not None and chunk.end is not None
            wholly_repeat = previous.end <= reached[i - 1]
            assert (chunk.after in ("lost", "quote")) == wholly_repeat
            if chunk.after == "lost":
                lost += 1
                # From the end of the last answer: the rest of its line, or the line again.
                assert chunk.resume in (previous.end, line_start(source, previous.end))
                assert chunk.resume < reached[i]  # typing again what earlier answers wrote
                assert chunk.kind in seams.LOST_KINDS
            if chunk.after == "quote":
                quoted += 1
                # Back at the true cut, and never a block restart.
                assert chunk.resume >= line_start(source, reached[i])
                assert chunk.kind != "block_restart"
                assert chunk.end > reached[i]
    assert lost > 3 and quoted > 3


def test_a_skipped_text_is_never_typed_again() -> None:
    source = stdlib_source("textwrap.py")
    skips = 0
    for seed in range(20):
        rng = random.Random(seed)
        cuts = seams.cut_points(source, 10, rng)
        chunks = seams.seamed_chunks(
            source, cuts, rng, ("skip_ahead", "repeat", "restart", "block_restart"), max_answer=2500, lost=0.5
        )
        joined = oracle_join(chunks, source)  # checks nothing skipped is retyped
        reached = seams.positions(chunks)
        gaps = [(reached[i], c.resume) for i, c in enumerate(chunks) if c.resume > reached[i]]
        skips += len(gaps)
        expected, pos = "", 0
        for start, end in gaps:
            expected += source[pos:start]
            pos = end
            assert seams.definition_starting_at(source, end) is not None
        assert joined == expected + source[pos:]
    assert skips > 5


# -- ModuleAuthor through the SDK: a client that knows the meant answer ------------


def split_seam(answer: str, meant: str) -> tuple[str, str]:
    """An answer's seam and its body: the longest ending of `answer` that is a piece
    of the meant text (after the whole answer, after a line of prose and a blank line,
    then also after an opening fence line)."""
    candidates = [("", answer)]
    first, sep, rest = answer.partition("\n\n")
    if sep and first in PROSE:
        candidates.append((first + sep, rest))
    for seam, body in list(candidates):
        line, nl, after = body.partition("\n")
        if nl and line in FENCE_LINES:
            candidates.append((seam + line + nl, after))
    for seam, body in candidates:
        if body and body in meant:
            return seam, body
    return answer, ""  # prose alone


def locate(meant: str, body: str, reached: int) -> tuple[int, int]:
    """Where `body` sits in `meant`: its last occurrence starting at or before
    `reached`, else (a skip) its first one after."""
    starts, at = [], meant.find(body)
    while at >= 0:
        starts.append(at)
        at = meant.find(body, at + 1)
    assert starts, f"not a piece of the meant answer: {body[:80]!r}"
    before = [s for s in starts if s <= reached]
    start = max(before) if before else min(starts)
    return start, start + len(body)


@dataclass
class Answer:
    text: str
    seam: str
    start: int  # where its body sits in the meant answer
    end: int
    reached: int  # how far the answers before it had got
    asked: str  # "first", "continue" or "quote"


@dataclass
class Run:
    answers: list[Answer] = field(default_factory=list)
    joined: str = ""  # what the answers wrote, each piece once, skips left out
    skipped: list[tuple[int, int]] = field(default_factory=list)


def converse(
    client: anthropic.Anthropic,
    author: ModuleAuthor,
    path: str,
    max_tokens: int,
    *,
    quote: bool,
    limit: int = 3000,
) -> Run:
    """Continue in user turns until end_turn; with `quote`, an answer that added
    nothing is followed by codegen's quote of the last lines written (saying it only
    repeated itself), else a plain CONTINUE (as another client might send)."""
    meant = author.meant(path).text
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"Write the file `{path}`."}]
    run, asked, reached = Run(), "first", 0
    for _ in range(limit):
        message = client.messages.create(model=MODEL, max_tokens=max_tokens, messages=messages)
        text = text_of(message)
        seam, body = ("", text) if asked == "first" else split_seam(text, meant)
        start, end = locate(meant, body, reached) if body else (reached, reached)
        run.answers.append(Answer(text, seam, start, end, reached, asked))
        if start > reached:
            run.skipped.append((reached, start))
        if end > reached:
            run.joined += meant[max(start, reached) : end]
        added = end > reached
        reached = max(reached, end)
        if message.stop_reason == "end_turn":
            return run
        assert message.stop_reason == "max_tokens"
        messages.append({"role": "assistant", "content": text})
        if quote and not added:
            code = run.joined[author.meant(path).code_start :]
            ask = prompts.continue_prompt(code, "python", stalled=True)
            messages.append({"role": "user", "content": ask})
            asked = "quote"
        else:
            messages.append({"role": "user", "content": prompts.CONTINUE})
            asked = "continue"
    raise AssertionError(f"no end_turn after {limit} answers")


def kinds_of(author: ModuleAuthor, run: Run) -> list[str]:
    """The seam kind of each answer after the first (None for the first)."""
    kinds = [kind for _, kind in author.continuations]
    assert len(kinds) == len(run.answers) - 1
    return ["", *kinds]


def test_block_restart_through_the_sdk() -> None:
    name = "textwrap.py"
    author = ModuleAuthor(
        {name: stdlib_source(name)},
        prefill_accepted=False,
        seams=Seams(kinds=("block_restart", "none"), seed=2),
    )
    double = MessagesDouble(author)
    run = converse(sdk(double), author, name, max_tokens=200, quote=True)
    meant = author.meant(name).text
    assert run.joined == meant
    restarts = [
        a for a, kind in zip(run.answers, kinds_of(author, run), strict=True) if kind == "block_restart"
    ]
    assert len(restarts) > 5
    for answer in restarts:
        first_line = meant[answer.start : meant.index("\n", answer.start)]
        assert answer.start == line_start(meant, answer.start)
        assert first_line.lstrip().startswith(DEFINITION_LINE)
        assert answer.start < line_start(meant, answer.reached)  # back before the cut's line
    # Unbounded: some restart goes back further than a whole answer holds, so that
    # answer is wholly a repeat; one of them starts the top-level class over.
    assert any(a.end <= a.reached for a in restarts)
    assert any(meant.startswith("class ", a.start) for a in restarts)
    double.check()


def test_lost_through_the_sdk() -> None:
    name = "textwrap.py"
    author = ModuleAuthor(
        {name: stdlib_source(name)},
        prefill_accepted=False,
        seams=Seams(kinds=("block_restart", "none", "retype"), lost=True, seed=4),
    )
    double = MessagesDouble(author)
    run = converse(sdk(double), author, name, max_tokens=200, quote=False)
    meant = author.meant(name).text
    assert run.joined == meant
    assert author.lost
    followed = 0
    kinds = kinds_of(author, run)
    for i, answer in enumerate(run.answers[1:], start=1):
        previous = run.answers[i - 1]
        if previous.end >= previous.reached or previous.asked == "first":
            continue
        followed += 1
        # After an answer wholly a repeat, the model goes on from where it stopped (the
        # rest of its line, or the line again), not from the true cut ...
        assert answer.start in (previous.end, line_start(meant, previous.end))
        assert answer.start < answer.reached
        assert kinds[i] in seams.LOST_KINDS
    assert followed == len(author.lost) > 3
    # ... and its positions then move on until they pass the true cut.
    assert {(name, lost, cut) for name, lost, cut in author.lost} == {
        (name, p.end, p.reached) for p in run.answers if p.end < p.reached and p is not run.answers[-1]
    }
    double.check()


def test_without_lost_the_answer_after_a_repeat_goes_on_from_the_true_cut() -> None:
    name = "textwrap.py"
    author = ModuleAuthor(
        {name: stdlib_source(name)},
        prefill_accepted=False,
        seams=Seams(kinds=("block_restart", "none", "retype"), seed=4),
    )
    run = converse(sdk(MessagesDouble(author)), author, name, max_tokens=200, quote=False)
    kinds = kinds_of(author, run)
    assert not author.lost and run.joined == author.meant(name).text
    repeats = [i for i, a in enumerate(run.answers) if a.end < a.reached]
    assert repeats
    for i in repeats:
        after, kind = run.answers[i + 1], kinds[i + 1]
        if kind != "block_restart":
            assert after.start >= line_start(author.meant(name).text, after.reached)


def test_continue_after_is_read_and_the_answer_goes_on_exactly_after_the_quote() -> None:
    name = "textwrap.py"
    author = ModuleAuthor(
        {name: stdlib_source(name)},
        prefill_accepted=False,
        seams=Seams(kinds=("block_restart", "none"), lost=True, seed=2),
    )
    double = MessagesDouble(author)
    run = converse(sdk(double), author, name, max_tokens=200, quote=True)
    meant = author.meant(name).text
    assert run.joined == meant
    quoted = [a for a in run.answers if a.asked == "quote"]
    assert len(quoted) > 3 and len(author.quoted) == len(quoted)
    assert all(lines == found == 6 for _, lines, found in author.quoted)
    kinds = kinds_of(author, run)
    for i, answer in enumerate(run.answers):
        if answer.asked != "quote":
            continue
        # Not lost, no block restart: the exact continuation ("none" is all that is left)
        # from just after the quote (which lost the blank end of the code, if any).
        assert kinds[i] == "none"
        assert answer.start <= answer.reached < answer.end
        assert not meant[answer.start : answer.reached].strip()
    assert not author.lost  # every repeat was followed by a quote
    double.check()


def test_the_quote_is_found_nearest_to_where_the_answers_got() -> None:
    code = "def f(x):\n" + "    x += 1\n" * 40 + "    return x\n"
    path = "inc.py"
    author = ModuleAuthor(
        {path: code},
        prefill_accepted=False,
        wrapping=Wrapping(prose_before=0, fenced=1, prose_after=0),
        seams=Seams(kinds=("none",)),
    )
    client = sdk(MessagesDouble(author))
    meant = author.meant(path).text
    ask = {"role": "user", "content": f"Write the file `{path}`."}
    first = text_of(client.messages.create(model=MODEL, max_tokens=60, messages=[ask]))
    assert meant.startswith(first) and first.count("x += 1") > 3

    def after_quote(tail: str) -> str:
        messages = [
            ask,
            {"role": "assistant", "content": first},
            {"role": "user", "content": prompts.continue_prompt(tail, "python")},
        ]
        return text_of(client.messages.create(model=MODEL, max_tokens=30, messages=messages))

    # A partial last line (after a whole one): the answer finishes it.
    partial = first[first.rfind("\n") + 1 :]
    assert partial.strip() and partial != "    x += 1"
    for tail in ("    x += 1\n" + partial, partial):
        assert meant[len(first) :].startswith(after_quote(tail))
    # A line that occurs many times: the occurrence ending nearest to the cut, not after.
    whole = "    x += 1"
    at = meant.rfind(whole, 0, len(first)) + len(whole)
    assert meant[at:].startswith(after_quote(whole))
    # The last line of a quote nowhere in the file so far is an error, loudly.
    with pytest.raises(anthropic.InternalServerError, match="nowhere in the answer"):
        after_quote("    return y")


def test_codegens_continue_prompt_is_what_the_author_reads() -> None:
    # The double reads codegen's phrases (tests/double/phrases.py): every continuation
    # and finish says them.
    assert FILE_SO_FAR in prompts.continue_prompt("x = 1\n", "python")
    assert FILE_SO_FAR in prompts.finish_prompt("it stopped", "x = 1\n", (), "python")
    assert STALLED in prompts.continue_prompt("x = 1\n", "python", stalled=True)
    assert STALLED not in prompts.continue_prompt("x = 1\n", "python")
    for code, quoted in [
        ("    return fo", "    return fo"),
        ("x = 1\n\n    ", "x = 1"),
        ('QUOTE = "```"\ny = (', 'QUOTE = "```"\ny = ('),
        ("def f():\n    pass\n", "def f():\n    pass"),
    ]:
        turn = {"role": "user", "content": prompts.continue_prompt(code, "python")}
        assert _quoted_tail(turn) == quoted
        blocks = {
            "role": "user",
            "content": [{"type": "text", "text": turn["content"], "cache_control": {"type": "ephemeral"}}],
        }
        assert _quoted_tail(blocks) == quoted
    assert _quoted_tail({"role": "user", "content": prompts.CONTINUE}) is None


def test_skip_ahead_through_the_sdk_leaves_a_definition_to_repair_by_name() -> None:
    name = "textwrap.py"
    source = stdlib_source(name)
    plain = DefinitionStyle(shapes=("class_indent",), prose_before=0, fenced=1, prose_after=0)
    author = ModuleAuthor(
        {name: source},
        prefill_accepted=False,
        definitions=plain,
        seams=Seams(kinds=("skip_ahead", "none"), seed=1),
    )
    double = MessagesDouble(author)
    client = sdk(double)
    run = converse(client, author, name, max_tokens=200, quote=True)
    meant = author.meant(name)
    assert run.skipped and len(author.skips) == len(run.skipped)
    expected, pos = "", 0
    for (cut, target), (_, left, started) in zip(run.skipped, author.skips, strict=True):
        expected += meant.text[pos:cut]
        pos = target
        answer = next(a for a in run.answers if a.start == target)
        assert answer.seam.rstrip("\n").split("\n")[-1] in FENCE_LINES
        assert (
            seams.definition_starting_at(
                meant.text, target, code_start=meant.code_start, code_end=meant.code_end
            )
            == started
        )
        assert (
            seams.enclosing_definition(meant.text, cut, code_start=meant.code_start, code_end=meant.code_end)
            == left
        )
        # codegen's repair by name gets the whole original definition back.
        repair = prompts.definition_prompt(
            name, f"Write the file `{name}`.", run.joined, left, "function", "It is unfinished."
        )
        reply = client.messages.create(
            model=MODEL, max_tokens=20_000, messages=[{"role": "user", "content": list(repair.blocks())}]
        )
        assert original_text(source, left) in text_of(reply)
    assert run.joined == expected + meant.text[pos:]
    double.check()


def test_fence_infos_through_the_sdk() -> None:
    name = "shlex.py"
    author = ModuleAuthor(
        {name: stdlib_source(name)},
        prefill_accepted=False,
        seams=Seams(kinds=("fence",), fence_infos=seams.TOUGH_FENCE_INFOS),
    )
    with sdk(MessagesDouble(author)).messages.stream(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": f"Write the file `{name}`."}]
    ) as stream:
        assert stream.get_final_message().stop_reason == "max_tokens"
    run = converse(sdk(MessagesDouble(author)), author, name, max_tokens=150, quote=True)
    assert run.joined == author.meant(name).text
    assert {a.seam.rstrip("\n").split("\n")[-1] for a in run.answers[1:] if a.seam} == FENCE_LINES


def test_tough_seams_are_one_argument_and_the_default_is_unchanged() -> None:
    assert Seams() == Seams(SEAM_KINDS, 0, None, 0.0)
    tough = Seams.tough(7)
    assert tough.seed == 7 and set(tough.kinds) == set(seams.ALL_SEAM_KINDS)
    assert tough.fence_infos == ("python", "python3", "") and tough.lost == 1.0


def test_tough_runs_through_the_sdk_end_and_write_the_file_but_what_they_skipped() -> None:
    used: set[str] = set()
    lost = quoted = skipped = 0
    for name, seed, quote in [
        ("textwrap.py", 1, True),
        ("textwrap.py", 2, False),
        ("shlex.py", 3, True),
        ("shlex.py", 4, False),
        ("textwrap.py", 5, False),
        ("shlex.py", 6, True),
    ]:
        source = stdlib_source(name)
        author = ModuleAuthor({name: source}, prefill_accepted=False, seams=Seams.tough(seed))
        double = MessagesDouble(author)
        run = converse(sdk(double), author, name, max_tokens=300, quote=quote)
        meant = author.meant(name).text
        expected, pos = "", 0
        for cut, target in run.skipped:
            expected += meant[pos:cut]
            pos = target
        assert run.joined == expected + meant[pos:]
        # Every skip left a definition that a repair can name.
        assert len(author.skips) == len(run.skipped)
        assert all(left and started for _, left, started in author.skips)
        if not run.skipped:
            code = run.joined[author.meant(name).code_start :].split("```")[0]
            assert ast.dump(ast.parse(code)) == ast.dump(ast.parse(source))
        used |= {kind for _, kind in author.continuations}
        lost += len(author.lost)
        quoted += len(author.quoted)
        skipped += len(run.skipped)
        double.check()
    assert used == set(seams.TOUGH_KINDS)
    assert lost and quoted and skipped
