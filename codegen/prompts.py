"""What codegen says to the model: the system prompt, a file's request, "continue"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .spec import PYTHON_SUFFIXES

SYSTEM = """\
You write complete source files for a code generator. Answer with the whole file in \
one fenced code block and nothing else: no explanation before or after it.

Never abbreviate. Every function and class is written out in full: no placeholders, \
no "rest of implementation" or "same as above" comments, no `...` or `pass` standing \
in for code, no "the remaining methods follow the same pattern". If the file is long, \
keep writing: when your answer is cut off by the output limit you will be asked to \
continue, and you continue exactly where you stopped."""

# -- phrases -------------------------------------------------------------------------
# The fixed words of the requests below, which a reader of them may go by: codegen's
# own test double finds the path, the quoted code and the definition asked for by them
# (`tests/double` imports these), so the prompts are built from them.
ASK_FILE = "Write the file `{path}`."
MUST_DEFINE = "It must define: "
ASK_REPAIR = "Repair the file `{path}`"
FILE_AS_IT_STANDS = "The file as it stands:"
ASK_DEFINITION = "Write the complete definition of `{name}`"
ASK_STATEMENT = "Write the corrected top-level statement that begins at line {line}:"
FILE_SO_FAR = "The file so far ends with these lines:"
STALLED = "your last message only repeated what was already written"

CONTINUE = """\
Your answer was cut off by the output limit. Continue exactly from the last character \
you wrote, as if the answer had never been interrupted: do not repeat anything, add no \
commentary, and do not open a new code block. Close the code block when the file is \
complete."""

# Before a line prefill (`continuation.py`): the next assistant message starts with the
# cut line, written for the model, and goes on from its last character.
CONTINUE_LINE = """\
Your answer was cut off by the output limit. Your next message begins with the last, \
unfinished line of it, already written for you: go on from its last character, as if \
the answer had never been interrupted. Do not repeat anything, add no commentary, and \
do not open a new code block. Close the code block when the file is complete."""

# Every user-turn continuation quotes the exact end of the file so far. A real model
# asked only to "continue" goes on from wherever it thinks it stopped: the next
# definition (leaving the cut one unfinished), or the end of its last answer when that
# answer started a block over. Shown the cut, it finds it; cut inside a line, it is
# asked to type that line again in full, which it does far more reliably than resuming
# at a character (Qwen2.5-Coder-0.5B in e2e/), and the stitcher expects it. After an
# answer that added nothing, the turn says so. The test double reads "ends with these
# lines" and the fenced block after it.
CONTINUE_QUOTED = """\
Your answer was cut off by the output limit{stalled}. {file_so_far}

```{language}
{tail}
```

{resume}, as if the answer had never been interrupted: write only what comes next, to \
the end of the file. Do not repeat any other line already written, add no commentary, \
and close the code block when the file is complete."""

_STALLED = ", and " + STALLED
_RESUME_MID_LINE = "Its last line is unfinished: write that line again in full and go on from there"
_RESUME_AFTER_LINE = "Continue from exactly after the last line shown"
# Lines of the code quoted. A model may type them again (Qwen does, at most turns), but
# fewer find its place less often: with 3, Qwen2.5-Coder-0.5B wrote 3 of the 12 e2e
# files, with 6, 6 of 12 (the same build otherwise).
QUOTED_LINES = 6


def continue_prompt(code: str, language: str, *, stalled: bool = False) -> str:
    """The user turn after a cut answer whose code so far is `code`: its last lines
    quoted (`CONTINUE_QUOTED`), or the plain CONTINUE when there is no code yet."""
    if not code.strip():
        return CONTINUE
    mid_line = bool(code[code.rfind("\n") + 1 :].strip())
    lines = (code if mid_line else code.rstrip()).split("\n")
    tail = "\n".join(lines[-QUOTED_LINES:])
    return CONTINUE_QUOTED.format(
        stalled=_STALLED if stalled else "",
        file_so_far=FILE_SO_FAR,
        language=language,
        tail=tail,
        resume=_RESUME_MID_LINE if mid_line else _RESUME_AFTER_LINE,
    )


EMPTY_ANSWER = """\
Your answer contained no code. Write the complete file now, in one fenced code block."""


def system_blocks(context: str, cache_control: dict[str, object] | None = None) -> list[dict[str, object]]:
    """The system prompt and the spec's shared context: one prefix every file reads."""
    text = SYSTEM
    if context.strip():
        text += "\n\nContext shared by every file of this project:\n\n" + context.strip()
    return [{"type": "text", "text": text, "cache_control": cache_control or {"type": "ephemeral"}}]


def cache_control(max_tokens: int) -> dict[str, object]:
    """A cache breakpoint that outlives the calls it serves. A cached prefix lives 5
    minutes from its last use; one call writing `max_tokens` at ~80 tokens a second
    can take longer than that, so long calls get the 1-hour lifetime (writes cost 2x
    the input price instead of 1.25x, reads the same 0.1x)."""
    if max_tokens >= 24_000:
        return {"type": "ephemeral", "ttl": "1h"}
    return {"type": "ephemeral"}


def file_prompt(
    path: str, prompt: str, requires: Sequence[str], dependencies: Sequence[tuple[str, str]]
) -> str:
    """The user message asking for one file; `dependencies` are (path, source) pairs."""
    language = _fence_language(path)
    parts = [ASK_FILE.format(path=path), "", prompt.strip()]
    if requires:
        parts += ["", MUST_DEFINE + ", ".join(f"`{n}`" for n in requires) + "."]
    for dep_path, source in dependencies:
        parts += [
            "",
            f"`{dep_path}`, already written, which this file builds on:",
            f"```{_fence_language(dep_path)}",
            source.rstrip("\n"),
            "```",
        ]
    parts += ["", f"Answer with the complete `{path}` in one ```{language} code block."]
    return "\n".join(parts)


@dataclass(frozen=True)
class RepairPrompt:
    """A repair's user message in two parts: `quote`, the file's request and the file
    as it stands, which every repair of one round sends alike, then `ask`, the finding
    and what to write. As separate blocks, the quote can be cached once and read by
    the round's other repairs."""

    quote: str
    ask: str

    def blocks(self, cache_control: dict[str, Any] | None = None) -> tuple[dict[str, Any], ...]:
        """The message content; `cache_control` marks the quote (worth it when another
        request of the round will read it)."""
        quote: dict[str, Any] = {"type": "text", "text": self.quote}
        if cache_control is not None:
            quote["cache_control"] = cache_control
        return quote, {"type": "text", "text": self.ask}


@dataclass(frozen=True)
class SharedQuote:
    """The file as a repair round found it, which every request of the round quotes:
    with a cache breakpoint after it, the first request writes it to the cache and the
    others read it at a tenth of the input price. Each answer is still spliced into the
    code as it stands then (definitions are found by name; statements, found by line,
    go bottom up before them)."""

    code: str
    cache_control: dict[str, Any] | None = None

    @classmethod
    def of_round(cls, code: str, requests: int, cache_control: dict[str, Any] | None) -> SharedQuote:
        # One request alone would pay the write (1.25x) and never read it.
        return cls(code, cache_control if requests > 1 else None)


def _repair_quote(path: str, request: str, code: str) -> str:
    """What every repair request opens with: the file's request and the file."""
    return "\n".join(
        [
            ASK_REPAIR.format(path=path) + ", written for this request:",
            "",
            request.strip(),
            "",
            FILE_AS_IT_STANDS,
            f"```{_fence_language(path)}",
            code.rstrip("\n"),
            "```",
            "",
            "",
        ]
    )


def _fence_language(path: str) -> str:
    return "python" if path.endswith(PYTHON_SUFFIXES) else ""


# -- repairs -------------------------------------------------------------------------
# A repair asks for the smallest thing that fixes a finding (its fixed words: the
# phrases above).

FINISH = """\
Your answer ended before the file was complete: {why} {file_so_far}

```{language}
{tail}
```

Continue the file from exactly after the last of them, writing only the lines that are \
still missing, in full{names}. Do not repeat anything already written and add no \
commentary."""


def finish_prompt(why: str, tail: str, names: Sequence[str], language: str) -> str:
    """A user turn asking for the rest of a file that stopped early."""
    named = (", including " + ", ".join(f"`{n}`" for n in names)) if names else ""
    return FINISH.format(
        why=why.rstrip(".") + ".",
        file_so_far=FILE_SO_FAR,
        names=named,
        language=language,
        tail=tail.rstrip("\n"),
    )


def definition_prompt(path: str, request: str, code: str, target: str, kind: str, why: str) -> RepairPrompt:
    """A fresh conversation asking for one definition of a file, whole."""
    language = _fence_language(path)
    return RepairPrompt(
        _repair_quote(path, request, code),
        "\n".join(
            [
                why.strip(),
                "",
                ASK_DEFINITION.format(name=target) + f": that {kind} alone, every line of it "
                f"in full (with its decorators), in one ```{language} code block. Do not write any "
                "other part of the file; add the imports it needs above it.",
            ]
        ),
    )


def statement_prompt(
    path: str, request: str, code: str, first_line: int, statement: str, why: str
) -> RepairPrompt:
    """A fresh conversation asking for one top-level statement that does not parse."""
    language = _fence_language(path)
    return RepairPrompt(
        _repair_quote(path, request, code),
        "\n".join(
            [
                why.strip(),
                "",
                ASK_STATEMENT.format(line=first_line),
                f"```{language}",
                statement.rstrip("\n"),
                "```",
                f"Answer with that statement alone, complete and valid, in one ```{language} code "
                "block. Do not write any other part of the file.",
            ]
        ),
    )


# -- verify --------------------------------------------------------------------------
# After a build, the spec's verify command runs; a failure it traces to a definition of
# a generated file asks for that definition again, with the failure. The model may
# answer it unchanged when the fault is elsewhere (the test, when asked about the code).


def verify_prompt(
    path: str, request: str, code: str, target: str, kind: str, command: str, failures: str, *, test: bool
) -> RepairPrompt:
    """A fresh conversation asking for one definition again (`kind` "definition": for
    the first time), with the output of the verify command that failed through it;
    `test`: the definition is the failing test."""
    language = _fence_language(path)
    what = f"the test `{target}`" if test else _what(target, kind)
    why = (
        f"The project's checks (`{command}`) fail, and the failure goes through {what}:"
        f"\n\n{_quoted(failures)}"
    )
    if test:
        ask = (
            ASK_DEFINITION.format(name=target) + " again: if the test itself is wrong "
            "(it expects what the request does not ask for, or is broken), correct it; if the "
            "code it tests is at fault, write the test unchanged."
        )
    elif kind == "definition":
        ask = ASK_DEFINITION.format(name=target) + ", which the checks need and the file does not define."
    else:
        ask = (
            ASK_DEFINITION.format(name=target) + " again, corrected so that the checks "
            f"pass. If the fault is not in `{target}`, write it unchanged."
        )
    return RepairPrompt(
        _repair_quote(path, request, code),
        "\n".join(
            [
                why.strip(),
                "",
                ask + f" Write that {kind} alone, every line of it in full (with its decorators), in one "
                f"```{language} code block. Do not write any other part of the file; add the imports it "
                "needs above it.",
            ]
        ),
    )


def verify_statement_prompt(
    path: str, request: str, code: str, first_line: int, statement: str, command: str, failures: str
) -> RepairPrompt:
    """A fresh conversation asking for one top-level statement again (one outside any
    definition that a failure goes through)."""
    why = (
        f"The project's checks (`{command}`) fail, and the failure goes through the "
        f"top-level statement at line {first_line}:\n\n{_quoted(failures)}"
    )
    return statement_prompt(path, request, code, first_line, statement, why)


def _what(target: str, kind: str) -> str:
    return {
        "definition": f"`{target}`, which is not defined",
        "class": f"the class `{target}`",
        "method": f"the method `{target}`",
    }.get(kind, f"the function `{target}`")


def _quoted(output: str) -> str:
    """A command's output in a fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", output)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{output.rstrip()}\n{fence}"
