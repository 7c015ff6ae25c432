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

import ast
import re
import warnings
from collections.abc import Sequence
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
  | (?:keep|keeping|preserve|retain)\s+(?:the\s+|all\s+)?(?:existing|previous|original|prior)
        \s+{_FILLER}{_NARROW}(?:\s+{_GAP}.*)?
  | (?:the\s+|all\s+)?existing\s+{_FILLER}{_NARROW}(?:\s+{_GAP}.*)?
  | (?:the\s+|all\s+)?(?:previous|original|prior)\s+{_FILLER}{_NARROW}\s+{_GAP}.*
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
     | {_CODE}\s+(?:omitted|unchanged|elided|here|continues|remains|stays|as\s+(?:before|above))\b
     | (?:omitted|unchanged|elided|{_BREVITY}|as\s+before|same\s+as\s+before|snip)\b
     | same\s+(?:\w+\s+){{0,2}}as\s+(?:above|before|earlier|previously|the\s+(?:original|previous))\b
     | (?:identical|similar|analogous)\s+to\b
     | (?:mirrors?|copy|copies|reuses?|repeats?)\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+)?
        (?:{_CODE}|loop|above|previous|original|one\s+above)\b
     | (?:see|refer\s+to)\s+(?:the\s+)?(?:previous|original|above|earlier)\b
     | (?:\w+\s+){{0,2}}(?:stays?|remains?)\s+(?:the\s+same|unchanged|as\s+(?:is|before|it\s+was))\b
     | (?:\w+\s+){{0,2}}(?:does|do)\s+not\s+change\b
     | not\s+(?:shown|reproduced|included|repeated)\b
     | (?:snipped|truncated|abbreviated|shortened|trimmed|left\s+out)\b
     | (?:the\s+)?(?:real|actual|full|long)\s+(?:work|implementation|logic|code|body)\b
     | (?:as\s+)?in\s+the\s+original\b
     | (?:placeholder|work\s+in\s+progress|wip|fill\s+(?:this\s+|it\s+)?in)\b
     | write\s+the\s+(?:body|code|rest)\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Short framed remarks that are a gap as a whole: "(as above)", "... the rest ...".
_ELISION_FRAMED_WHOLE = re.compile(
    r"""
    (?:and\s+)?(?:the\s+)?(?:rest|remainder)(?:\s+(?:unchanged|as\s+before|as\s+above|follows))?
  | (?:same\s+)?as\s+(?:above|before|earlier|previously)
  | (?:the\s+)?same(?:\s+(?:again|here|logic|code))?
  | (?:the\s+)?(?:implementation|logic|body|code)(?:\s+(?:needed|pending|missing|later|elsewhere))?
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


# A frame marks a gap in a short remark; a long sentence in brackets or trailing off
# ("(For simplicity, we go ahead and ...)") is prose.
_FRAMED_WORDS = 12
# A closing remark that the rest follows is short: "and so forth," inside a long
# sentence of explanation is prose.
_ENDING_WORDS = 14


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
        or (text.startswith("<") and text.endswith(">"))
    )
    core = " ".join(text.strip(_STRIP).split())
    return core, framed


def classify(comment: str) -> frozenset[Remark]:
    """The kinds of placeholder remark a comment (with or without its `#`) is."""
    core, framed = _core(comment)
    kinds: set[Remark] = set()
    short = len(core.split()) <= _FRAMED_WORDS
    if _ELISION_WHOLE.fullmatch(core) or (
        framed and short and (_ELISION_FRAMED.match(core) or _ELISION_FRAMED_WHOLE.fullmatch(core))
    ):
        kinds.add(Remark.ELISION)
    # A bare "# ..." or "# TODO" is a gap marker only where there is nothing else.
    if _STUB_NOTE.search(core) or _STUB_NOTE_WHOLE.fullmatch(core):
        kinds.add(Remark.STUB_NOTE)
    if (
        (_ENDING.search(core) and len(core.split()) <= _ENDING_WORDS)
        or _ENDING_WHOLE.fullmatch(core)
        or not core
    ):
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


# -- comment blocks ----------------------------------------------------------------------

# A line of a comment block that starts a list item: "- foo", "* bar", "1. baz", "a) qux".
_LIST_ITEM = re.compile(r"(?:[-*•+]|\d{1,2}[.)]|[a-z][.)])\s")
# A line that ends its sentence: a stop, or an ellipsis (which closes a frame).
_SENTENCE_END = re.compile(r"(?:[.!?:;]|…)[\"'`)\]>]*\Z")
# Where one line holds the end of a sentence and the start of the next.
_SENTENCE_BREAK = re.compile(
    r"(?<=[a-z0-9)\]'\"`][.!?])\s+(?=[A-Z(\[<]|…\s*\w)|(?<=[\w)\]'\"`][.!?;])\s+(?=(?:\.\.\.|…)\s*\w)"
)
_FRAME_OPENS = ("...", "…", "(", "[", "<")
_WORD = re.compile(r"[^\W_]")
# A comment of ellipses alone ("...", "... ...") marks a gap; other lines without a
# word ("#", "# -----") separate sentences.
_ELLIPSES = re.compile(r"(?:\.{3,}|…)(?:\s*(?:\.{3,}|…))*")


def sentences(lines: Sequence[str]) -> list[tuple[int, str]]:
    """The remarks a block of consecutive comment lines makes: its sentences, each
    with the index of the line it starts on.

    A comment is read as a human wrote it, one sentence over several lines: the
    second line of "so we have to\\n# duplicate that logic here." is no remark of its
    own. A sentence ends with its line when the line ends with a stop (`.` `!` `?` `:`
    `;` or an ellipsis), when the next line opens a frame (`...`, a bracket) or a list
    item, or at a line with no words (`#`, `# -----`).
    """
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0

    def flush() -> None:
        if current:
            found.append((start, " ".join(current)))
            current.clear()

    for index, line in enumerate(lines):
        text = line.strip().lstrip("#").strip()
        if not _WORD.search(text) and not _ELLIPSES.fullmatch(text):
            flush()
            continue
        if text.startswith(_FRAME_OPENS) or _LIST_ITEM.match(text):
            flush()
        pieces = _SENTENCE_BREAK.split(text)
        for number, piece in enumerate(pieces):
            if number:
                flush()
            if not current:
                start = index
            current.append(piece)
        if _SENTENCE_END.search(text) or text.endswith("..."):
            flush()
    flush()
    return found


# -- what a stub body's comment says ------------------------------------------------------

# Directives to tools, not remarks: type-ignore, noqa and pragma comments, and the like.
_PRAGMA = re.compile(
    r"\#+\s*(?:type:|noqa\b|pragma\b|pyright:|pylint:|fmt:|mypy:|nosec\b|isort:|ruff:|flake8|yapf:"
    r"|pyre-|noinspection\b|lgtm\b|nocover\b|no\s+cover\b|coding[:=]|-\*-|vim?:|simplint:|numpydoc\b"
    r"|black\b|spell-?checker:|cspell:|codespell:|ty:)",
    re.IGNORECASE,
)
# A stub body is empty on purpose when its comment or docstring says why nothing is
# done there: "Nothing to do.", "no-op", "Override in subclasses", "handled by X".
_EMPTY_ON_PURPOSE = re.compile(
    r"""
    \bno[- ]?op\b
  | \bnothing\s+(?:to|else|is|needs?|more|happens|here\s+to|for|we\s+can)\b
  | \b(?:does|do|will|would|should)\s+nothing\b
  | \b(?:don't|do\s+not|doesn't|does\s+not|won't|will\s+not|cannot|can't|never|shouldn't|should\s+not
        |needn't|need\s+not|isn't|is\s+not|aren't|are\s+not)\b(?!\s+(?:change|changed)\b)
  | \b(?:no|not)\s+(?:need|needed|necessary|required|applicable|supported|used|relevant|called|possible
        |longer|implemented\s+(?:on|for|by|in|here\s+because))\b
  | \bthere\s+(?:is|are|'s)\s+(?:no|nothing)\b
  | \bunnecessary\b | \bunsupported\b | \bunused\b | \bnot\s+(?:\w+\s+)?needed\b
  | \bintentional(?:ly)?\b | \bdeliberate(?:ly)?\b | \bon\s+purpose\b | \bby\s+design\b | \bpurposely\b
  | \b(?:silently|just|simply|we|deliberately|intentionally|to)\s+ignore\b | \bignored\b
  | \bignore\s+(?:it|this|that|them|these|errors?|exceptions?|the\s+\w+)\s*\W*$
  | ^(?:skip|ignore|bypass|suppress|silence)\b(?!.*\b(?:and|then|but)\b)
  | \bbypass | \bsuppress | \bmonkey-?patch | \buncomment\b | \blazily\b
  | \boverrid(?:e|den|es|ing)\b | \boverwrit(?:e|ten)\b | \bsubclass(?:es|ing)?\b | \babstract\b
  | \bhook\b | \binterface\b | \bprotocol\b | \bdefault\s+(?:implementation|behaviou?r|is)\b
  | \b(?:can|may|will|could|is\s+(?:meant|supposed)\s+to)\s+be\s+(?:replaced|overridden|patched|redefined
        |monkeypatched|swapped|extended)\b
  | \b(?:handled|processed|checked|computed|done|performed|managed|taken\s+care\s+of)
        \s+(?:by|in|elsewhere|later|above|below|separately|at)\b
  | \b(?:in|by)\s+(?:the\s+)?[\w.]+\(\)
  | \b(?:just|only)\s+(?:here|exists?|there)\s+(?:to|for|so)\b
  | \bexists?\s+(?:only\s+)?(?:for|to|so)\b | \bbackwards?[- ]compat | \bcompatibility\b
  | \bif\s+you\s+(?:wish|want|like|need)\b | \balways\s+(?:valid|true|false|safe|ok|succeeds?|allowed)\b
  | \bdummy\b | \bmarker\b | \bdeclaration\b | \bsentinel\b
  | \bopt(?:s|ed|ing)?[- ]out\b | ^optional\W*$
  | \bnot\s+to\s+be\s+(?:called|used|initiali[sz]ed|instantiated)\b
  | \bleft\s+(?:empty|blank)\b | \bempty\s+(?:on\s+purpose|body|method|function|implementation)\b
  | \?\W*$
    """,
    re.IGNORECASE | re.VERBOSE,
)
_EMPTY_DOCSTRING = re.compile(
    r"""
    \bno[- ]?op\b | \b(?:does|do)\s+nothing\b | \bnothing\s+to\s+do\b | \boverrid(?:e|den|ing)\b
  | \bsubclass(?:es)?\s+(?:must|should|may|can|will)\b | \bhook\b | \babstract\b
  | \bintentionally\b | \bdeliberately\b | \bplaceholder\s+for\s+subclasses\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# What commented-out code parses to, unlike words: a call, an assignment, an attribute.
_CODE_NODES = (
    ast.Call,
    ast.Assign,
    ast.AugAssign,
    ast.Attribute,
    ast.Subscript,
    ast.Return,
    ast.Import,
    ast.ImportFrom,
    ast.Raise,
    ast.Assert,
    ast.Delete,
)
_CODE_LIKE = re.compile(r"[=(.\[]")


def is_pragma(comment: str) -> bool:
    """Whether a comment is a directive to a tool (`# type: ignore`, `# noqa`)."""
    return _PRAGMA.match(comment.strip()) is not None


def is_commented_code(comment: str) -> bool:
    """Whether a comment is a line of code commented out (`# self.close()`)."""
    text = comment.strip().lstrip("#").strip()
    if not _CODE_LIKE.search(text) or classify(text) & {Remark.ELISION, Remark.STUB_NOTE}:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an invalid escape warns; nothing is printed
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(node, _CODE_NODES) for node in ast.walk(tree))


_FOR_SUBCLASSES = re.compile(
    r"\bsub-?class(?:es)?\b.{0,40}\b(?:implement|override|define|provide|fill)"
    r"|\b(?:implemented|overridden|defined|provided)\s+(?:in|by)\s+(?:a\s+|the\s+|each\s+)?sub-?class",
    re.IGNORECASE,
)


def for_subclasses(text: str) -> bool:
    """Whether a note says that subclasses write the body ("Subclasses should implement
    this method."): an interface's method, empty on purpose though it reads as a note of
    code to write."""
    return _FOR_SUBCLASSES.search(text) is not None


def empty_on_purpose(text: str) -> bool:
    """Whether a comment in a stub body says why nothing is done there."""
    return _EMPTY_ON_PURPOSE.search(text) is not None


def documents_empty(docstring: str) -> bool:
    """Whether a stub body's docstring says the body is empty on purpose: a docstring
    describes what the function does, so only plain words count ("Does nothing.",
    "Subclasses override this.")."""
    return _EMPTY_DOCSTRING.search(docstring) is not None
