"""The prose of placeholders: comments and messages that stand for code not written.

Pure functions of text. Whether a remark is a finding also depends on where it sits
(`python.py` decides that); this module only says what kind of remark a text is.

Three kinds, from strongest to weakest evidence:

- an *elision* says code was left out ("... existing code ...", "rest of the
  implementation", "omitted for brevity"). Human comments rarely talk about code
  that is not there, so an elision is a finding wherever it stands.
- a *stub note* marks unwritten code ("TODO: implement", "same as above", a bare
  "# ..."). Beside real code it is an ordinary note, so it counts only in a body
  that has nothing else (`pass`, `...`, a docstring, `raise NotImplementedError`).
- an *ending* says the rest follows the same way ("and so on", "the remaining
  methods follow the same pattern"). It counts only after the last statement.

The patterns were tuned against every comment in CPython's standard library, where
the same words appear in ordinary prose ("the rest of the line", "same as above,
but ..."): whole-comment matches and code nouns keep those out.
"""

from __future__ import annotations

import re
from enum import Enum

# What a remark must be about to count as elided code: "the rest of the line" is prose.
_CODE = (
    r"(?:code|file|implementation|implementations|impl|logic|body|class|classes|module"
    r"|function|functions|method|methods|script|program|helpers|handlers|commands|routes"
    r"|endpoints|fields|properties|members|definitions|tests|test\s+cases|cases|branches"
    r"|statements|functionality|imports)"
)
# Nouns a human rarely puts after "existing" or "rest of the" without meaning code.
_NARROW = (
    r"(?:code|implementation|implementations|logic|body|class|module|function|functions"
    r"|method|methods|helpers|handlers|definitions|script|program|functionality)"
)
_FILLER = r"(?:\w+\s+){0,2}"
# What a model says about the code it left out: "remains unchanged", "goes here".
_GAP = (
    r"(?:(?:remains?|stays?|is|are|goes|go|continues?|was|were)\s+)?"
    r"(?:unchanged|the\s+same|as\s+(?:before|is|above)|omitted|elided|not\s+shown|here"
    r"|below|from\s+before|untouched|intact)"
)
_BREVITY = r"for\s+(?:brevity|space|clarity|simplicity|readability|conciseness)"

# Matched against the whole comment core (see `_core`), so a sentence that merely
# contains the words ("Now work on the rest of the attributes") does not count.
_ELISION_WHOLE = re.compile(
    rf"""
    (?:the\s+)?rest\s+of\s+(?:the\s+|this\s+|your\s+|my\s+)?{_FILLER}{_NARROW}(?:\s+{_GAP}.*)?
  | (?:(?:keep|keeping|preserve|retain)\s+)?(?:the\s+|all\s+)?(?:existing|previous|original|prior)
        \s+{_FILLER}{_NARROW}(?:\s+{_GAP}.*)?
  | (?:all\s+)?(?:the\s+)?(?:other|remaining|additional)\s+{_FILLER}{_CODE}\s+{_GAP}.*
  | (?:(?:the\s+)?{_FILLER}{_CODE}\s+(?:is\s+|are\s+)?)?
        (?:omitted|elided|skipped|abbreviated|shortened|trimmed|left\s+out)
        (?:\s+(?:here|below))?\s+{_BREVITY}.*
  | (?:(?:implementation|code)\s+)?details\s+(?:are\s+)?(?:omitted|elided|not\s+shown)(?:\s+.*)?
  | {_NARROW}\s+(?:is\s+|are\s+)?(?:omitted|elided|not\s+shown|unchanged|remains?\s+unchanged
        |remains?\s+the\s+same|stays?\s+the\s+same|as\s+before)
        (?:\s+(?:here|below|above|{_BREVITY}))?
  | (?:(?:add|insert|put|write|implement|place)\s+)?(?:the\s+|your\s+|actual\s+|real\s+)?
        {_FILLER}(?:code|logic|implementation|body)\s+(?:goes\s+|go\s+)?here
  | implement\s+{_FILLER}(?:\w+\s+)?here
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Inside "... ..." or brackets a model is marking a gap: a looser test, at the start.
_ELISION_FRAMED = re.compile(
    rf"""
    (?:\w+\s+)?
    (?:(?:existing|previous|original|other|remaining|additional|more|rest\s+of)\s+
        (?:the\s+)?{_FILLER}{_CODE}\b
     | {_CODE}\s+(?:omitted|unchanged|elided|here)\b
     | (?:omitted|unchanged|elided|{_BREVITY}|as\s+before|same\s+as\s+before|snip)\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)

_STUB_NOTE = re.compile(
    r"""
    \b(?:todo|fixme|tbd)\b\W*(?:\w+\W+){0,2}
        (?:implement|write|add|fill|finish|complete|code)\w*
  | \bimplement\s+(?:this|me|later|it|the\s+\w+)\b
  | \bnot\s+(?:yet\s+)?implemented\b | \bunimplemented\b
  | \bto\s+be\s+(?:implemented|written|done|added|filled)\b
  | \bsame\s+as\s+(?:above|before)\b
  | \bfill\s+(?:this\s+|it\s+|these\s+)?in\b
  | \byour\s+(?:code|logic|implementation)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Whole comments that mark a gap. "XXX" is left out on purpose: CPython and older
# code use it for every kind of note, models write "TODO".
_STUB_NOTE_WHOLE = re.compile(
    r"(?:todo|fixme|tbd|implementation|(?:a\s+|the\s+)?(?:stub|placeholder)"
    r"(?:\s+(?:implementation|method|function|body|code|for\s+now))?|)",
    re.IGNORECASE,
)

_ENDING = re.compile(
    rf"""
    \band\s+so\s+(?:on|forth)\b
  | \b(?:the\s+)?(?:remaining|other|rest\s+of\s+the|more|additional|similar)\s+
        {_FILLER}{_CODE}\s+(?:follow|would|should|can|could|will|are|go|in\s+the\s+same)\b
  | \b(?:follows?|following)\s+the\s+same\s+(?:pattern|structure|approach|way)\b
  | \bsimilarly\s+for\b
  | \b(?:and\s+)?similar(?:ly)?\s+(?:for|with)\s+(?:the\s+)?(?:other|rest|remaining)\b
  | \b(?:continue|repeat)\s+(?:similarly|likewise|in\s+the\s+same\s+way
        |(?:with|for)\s+(?:the\s+)?(?:other|rest|remaining|each))\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_ENDING_WHOLE = re.compile(r"(?:etc|and\s+so\s+on|and\s+more|more\s+to\s+come|to\s+be\s+continued)", re.I)

_STRIP = " \t.…[](){}<>-—–:;,!*=_\"'`"

# Messages of `raise NotImplementedError(...)` that say the work is not done yet, as
# opposed to the interface idiom "subclasses must implement this".
_PLACEHOLDER_MESSAGE = re.compile(
    r"""
    \b(?:todo|fixme|tbd)\b
  | ^(?:(?:this|the|method|function|feature|it)\s+)*(?:is\s+)?not\s+(?:yet\s+)?implemented
        (?:\s+yet)?\W*$
  | \bnot\s+implemented\s+yet\b | \bto\s+be\s+implemented\b
  | ^(?:please\s+)?implement\s+(?:me|this|later)\b
  | ^(?:a\s+)?(?:placeholder|stub)(?:\s+\w+)?\W*$ | \byour\s+code\b | \bcoming\s+soon\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


class Remark(Enum):
    ELISION = "elision"
    STUB_NOTE = "stub note"
    ENDING = "ending"


def _core(comment: str) -> tuple[str, bool]:
    """The words of a comment without `#`, ellipses and brackets; and whether it had them."""
    text = comment.strip().lstrip("#").strip()
    framed = (
        text.startswith(("...", "…"))
        or text.endswith(("...", "…"))
        or (text.startswith("(") and text.endswith(")"))
        or (text.startswith("[") and text.endswith("]"))
    )
    core = " ".join(text.strip(_STRIP).split())
    return core, framed


def classify(comment: str) -> frozenset[Remark]:
    """The kinds of placeholder remark a comment (with or without its `#`) is."""
    core, framed = _core(comment)
    kinds: set[Remark] = set()
    if _ELISION_WHOLE.fullmatch(core) or (framed and _ELISION_FRAMED.match(core)):
        kinds.add(Remark.ELISION)
    # A bare "# ..." or "# TODO" is a gap marker only where there is nothing else.
    if _STUB_NOTE.search(core) or _STUB_NOTE_WHOLE.fullmatch(core):
        kinds.add(Remark.STUB_NOTE)
    if _ENDING.search(core) or _ENDING_WHOLE.fullmatch(core) or not core:
        kinds.add(Remark.ENDING)
    if not core and not framed:
        # "#" alone, or a line of "#####": a separator, not a remark.
        return frozenset()
    return frozenset(kinds)


def is_placeholder_message(message: str) -> bool:
    """Whether a NotImplementedError message says the code is simply not written yet."""
    return bool(_PLACEHOLDER_MESSAGE.search(message.strip()))


def is_prose_ending(line: str) -> bool:
    """Whether an uncommented line of prose says the rest is left out or elided."""
    kinds = classify(line)
    return Remark.ENDING in kinds or Remark.ELISION in kinds
