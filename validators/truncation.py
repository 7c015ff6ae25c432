"""Why a Python file does not parse: cut short, or broken in the middle.

Pure functions of text. A file is *truncated* when some text appended at its end
would make it parse: it stops inside a bracket or a string, after a block header or
a decorator, after a backslash, in the middle of a statement. Anything else is a
*syntax* error. Two tests decide, cheapest first:

1. libcst's parser stopped at the end of the input: everything before was a valid
   start of a module, so the file is a prefix of one.
2. A small completion makes the file parse or fail only at its end: the string it
   stops in is closed, a trailing backslash dropped, a half-typed word or operator
   (`self.as`, `..`) removed. Tokenizer errors ("unterminated string") carry no
   position, and a cut inside a token can fail one token before the end; these
   completions cover both.

The lexer here only follows brackets, strings and comments, which is all that is
needed to say what the file stops inside; libcst remains the judge of what parses.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

import libcst as cst

from validators.findings import Code, Finding

# CPython refuses more than 200 nested brackets; libcst's native parser overflows its
# stack long before it would give up, so deeper text is never handed to it.
MAX_NESTING = 200

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\r\n]*)
  | (?P<prefix>(?<!\w)[rRbBuUfFtT]{1,2})?(?P<quote>'''|\"\"\"|'|\")
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<continuation>\\(?:\r\n|\r|\n|\Z))
  | (?P<newline>\r\n|\r|\n)
  | (?P<code>[^\s\#'\"()\[\]{}\\]+)
    """,
    re.VERBOSE,
)
# The end of a string once its opening quote is known: an escape, the closing quote,
# or (single-quoted strings only) the newline that leaves it unterminated.
_STRING_END = {
    quote: re.compile(r"\\(?:\r\n|[\s\S])|(?P<end>" + re.escape(quote) + r")" + eol)
    for quote, eol in (
        ("'''", ""),
        ('"""', ""),
        ("'", r"|(?P<eol>\r\n|\r|\n)"),
        ('"', r"|(?P<eol>\r\n|\r|\n)"),
    )
}
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_ERROR_AT = re.compile(r"error at (\d+):(\d+)")
_ONLY_TRIVIA = re.compile(r"(?:\s|\#[^\r\n]*)*")
# A token the cut went through touches the end: `self.as`, `x = ..`. One followed
# by a newline was typed in full, and dropping it proves nothing.
_PARTIAL_TOKEN = re.compile(r"(?:\w+|[.!<>=*/%&|^+\-@:~]+)\Z")
_HEADER = re.compile(
    r"(?:async\s+)?(?:def|class|if|elif|else|for|while|try|except|finally|with|match|case)\b"
)
_DEFINITION = re.compile(r"^([ \t]*)(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_MAX_EXPECTED = 6


@dataclass(frozen=True)
class Opening:
    """An unclosed bracket or string: its opening text and where it starts (1-based)."""

    text: str
    line: int
    column: int


@dataclass(frozen=True)
class Tail:
    """The lexical state where a text stops."""

    brackets: tuple[Opening, ...]
    string: Opening | None
    # Open replacement fields `{` of an f-string that the file stops inside.
    string_braces: int
    continuation: bool
    # The last logical line that holds code, stripped of its comment.
    last_statement: str
    # The deepest bracket nesting anywhere in the text.
    depth: int


def scan(text: str) -> Tail:
    """Follow brackets, strings and comments to the end of `text`."""
    brackets: list[Opening] = []
    depth = 0
    line, line_start = 1, 0
    # The span of the logical line being read, and of the last one that held code.
    current: tuple[int, int] | None = None
    last: tuple[int, int] | None = None
    continuation = False
    position = 0
    while True:
        match = _TOKEN.search(text, position)
        if match is None:
            break
        kind = match.lastgroup
        continuation = False
        if kind in ("newline", "continuation"):
            continuation = kind == "continuation" and text[match.end() :].strip() == ""
            if kind == "newline" and not brackets and current is not None:
                last, current = current, None
            if match.group().strip("\\"):
                line, line_start = line + 1, match.end()
            position = match.end()
            continue
        if kind == "comment":
            position = match.end()
            continue
        start = match.start()
        if kind == "quote":
            quote = match.group("quote")
            end, state = _string_end(text, match.end(), quote)
            if state == "open":
                body = text[match.end() :]
                prefix = (match.group("prefix") or "").lower()
                return Tail(
                    brackets=tuple(brackets),
                    string=Opening(quote, line, match.start("quote") - line_start + 1),
                    string_braces=_open_braces(body) if "f" in prefix else 0,
                    continuation=False,
                    last_statement=_span(text, (current or (start, start))[0], len(text)),
                    depth=depth,
                )
            crossed = list(re.finditer(r"\r\n|\r|\n", text[match.end() : end]))
            if crossed:
                line, line_start = line + len(crossed), match.end() + crossed[-1].end()
        elif kind == "open":
            brackets.append(Opening(match.group(), line, start - line_start + 1))
            depth = max(depth, len(brackets))
            end = match.end()
        else:
            if kind == "close" and brackets:
                brackets.pop()
            end = match.end()
        current = (current[0] if current else start, end)
        position = end
    if current is not None:
        last = current
    return Tail(
        brackets=tuple(brackets),
        string=None,
        string_braces=0,
        continuation=continuation,
        last_statement=_span(text, *last) if last else "",
        depth=depth,
    )


def _span(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


def _string_end(text: str, start: int, quote: str) -> tuple[int, str]:
    """Where a string whose opening quote ends at `start` ends, and how: "closed" by
    its quote, "broken" by a newline (single quotes only), or still "open" at the end."""
    for match in _STRING_END[quote].finditer(text, start):
        if match.group("end"):
            return match.end(), "closed"
        if match.groupdict().get("eol"):
            # An unescaped newline ends a single-quoted string: unterminated, and the
            # error is on this line, not at the end of the file.
            return match.end(), "broken"
    return len(text), "open"


def _open_braces(body: str) -> int:
    """How many `{` replacement fields of an f-string body are still open."""
    depth = 0
    for match in re.finditer(r"\{\{|\}\}|[{}]", body):
        if match.group() == "{":
            depth += 1
        elif match.group() == "}" and depth:
            depth -= 1
    return depth


def lines_of(text: str) -> list[str]:
    """The physical lines of `text`, with their endings, split as the tokenizer does."""
    return _LINE.findall(text)


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and 0-based character column, clamped to the text."""
    lines = lines_of(text)
    if line > len(lines):
        return len(text)
    start = sum(len(each) for each in lines[: line - 1])
    return min(start + column, start + len(lines[line - 1]))


def error_position(text: str, error: cst.ParserSyntaxError) -> tuple[int, int] | None:
    """Where libcst's parser failed, as a 1-based line and 0-based character column.

    The message carries the true position ("error at 3:4"); `raw_column` is not it.
    Its column counts UTF-8 bytes. Tokenizer errors carry none.
    """
    found = _ERROR_AT.search(error.message)
    if found is None:
        return None
    line, byte_column = int(found.group(1)), int(found.group(2))
    lines = lines_of(text)
    if line > len(lines):
        return line, 0
    prefix = lines[line - 1].encode("utf-8", "surrogatepass")[:byte_column]
    return line, len(prefix.decode("utf-8", "ignore"))


def stops_at_end(text: str, error: cst.ParserSyntaxError) -> bool:
    """Whether the parser failed after everything but whitespace and comments."""
    position = error_position(text, error)
    if position is None:
        return False
    rest = text[offset_of(text, *position) :]
    if _ONLY_TRIVIA.fullmatch(rest) is not None:
        return True
    # At the end of input libcst counts the column in characters, not bytes: a last
    # line with non-ASCII text puts the end exactly at its length in characters.
    found = _ERROR_AT.search(error.message)
    assert found is not None
    line, column = int(found.group(1)), int(found.group(2))
    lines = lines_of(text)
    return line == len(lines) and column == len(lines[-1].rstrip("\r\n"))


def _attempt(text: str) -> tuple[bool, tuple[int, int] | None]:
    """Whether `text` parses or is a valid start of a module that stops too early;
    and if neither, where libcst's parser failed."""
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        if stops_at_end(text, error):
            return True, None
        return False, error_position(text, error)
    except (cst.CSTValidationError, RecursionError):
        return False, None
    return True, None


def _completions(text: str, tail: Tail) -> list[str]:
    """Small edits at the end of `text` that undo a cut, most telling first."""
    candidates = []
    if tail.string is not None:
        quote = tail.string.text
        body = text[offset_of(text, tail.string.line, tail.string.column - 1) + len(quote) :]
        trailing_backslashes = len(body) - len(body.rstrip("\\"))
        # An odd run of backslashes would escape the closing quote.
        guard = " " if trailing_backslashes % 2 else ""
        if len(quote) == 3 and not guard and not tail.string_braces:
            # A cut inside the closing quotes leaves one or two of them typed.
            typed = len(body) - len(body.rstrip(quote[0]))
            if typed % 3:
                candidates.append(text + quote[typed % 3 :])
        candidates.append(text + guard + "}" * tail.string_braces + quote)
    if tail.continuation:
        candidates.append(text.rstrip()[:-1])
    # Only the end matters; searching the whole text would try every position.
    window = max(len(text) - 200, 0)
    partial = _PARTIAL_TOKEN.search(text, window)
    if partial is not None and partial.start() > 0:
        candidates.append(text[: partial.start()])
    return candidates


def is_truncated(text: str, error: cst.ParserSyntaxError, tail: Tail | None = None) -> bool:
    """Whether a text that libcst cannot parse was cut short rather than broken."""
    return _judge(text, error, tail if tail is not None else scan(text))[0]


def _judge(text: str, error: cst.ParserSyntaxError, tail: Tail) -> tuple[bool, tuple[int, int] | None]:
    """Whether the text is truncated; if not, the best known position of its error.

    A tokenizer error has no position, but once the string it complains of is
    closed the parser can say where the text really breaks.
    """
    if stops_at_end(text, error):
        return True, None
    position = error_position(text, error)
    for candidate in _completions(text, tail):
        viable, where = _attempt(candidate)
        if viable:
            return True, None
        position = position or where
    return False, position


def end_position(text: str) -> tuple[int, int]:
    """The 1-based line and column just after the last non-blank character."""
    stripped = text.rstrip()
    if not stripped:
        return 1, 1
    lines = lines_of(stripped)
    return len(lines), len(lines[-1].rstrip("\r\n")) + 1


def describe_end(tail: Tail) -> str:
    """What the file stops inside, in words."""
    if tail.string is not None:
        where = f"{tail.string.line}:{tail.string.column}"
        return f"the file ends inside a string opened at {where}"
    if tail.brackets:
        opening = tail.brackets[-1]
        return f"the file ends inside '{opening.text}' opened at {opening.line}:{opening.column}"
    if tail.continuation:
        return "the file ends after a line continuation backslash"
    statement = tail.last_statement.strip()
    shown = statement if len(statement) <= 60 else statement[:57] + "..."
    if statement.startswith("@"):
        return f"the file ends after a decorator with nothing under it: {shown}"
    if statement.endswith(":") and _HEADER.match(statement):
        return f"the file ends after a block header with no body: {shown}"
    return f"the file ends in an unfinished statement: {shown}"


def scope_at(text: str, line: int) -> str:
    """The qualified name of the def or class whose body holds `line`, judged by
    indentation alone: used for files that do not parse, where there is no tree."""
    stack: list[tuple[int, str]] = []
    for number, physical in enumerate(lines_of(text), start=1):
        if number > line:
            break
        content = physical.strip()
        if not content or content.startswith("#"):
            continue
        indent = len(physical) - len(physical.lstrip(" \t"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        definition = _DEFINITION.match(physical)
        if definition is not None and number < line:
            stack.append((indent, definition.group(2)))
    return ".".join(name for _, name in stack)


def _parser_message(text: str, error: cst.ParserSyntaxError) -> str:
    """libcst's message, shortened: its list of expected tokens can run to forty."""
    message = error.message.strip().splitlines()[0]
    message = re.sub(r"^(parser|tokenizer) error: (error at \d+:\d+: )?", "", message)
    expected = re.match(r"expected one of (.*)$", message)
    if expected is not None:
        options = expected.group(1).split(", ")
        shown = ", ".join(options[:_MAX_EXPECTED])
        more = f" and {len(options) - _MAX_EXPECTED} more" if len(options) > _MAX_EXPECTED else ""
        message = f"expected one of {shown}{more}"
    position = error_position(text, error)
    if position is not None:
        offset = offset_of(text, *position)
        found = re.match(r"\w{1,30}|[^\w\s]{1,3}", text[offset:])
        if found is not None:
            message = f"unexpected '{found.group()}': {message}"
    return message


def diagnose(text: str, error: cst.ParserSyntaxError, python_error: SyntaxError | None = None) -> Finding:
    """The one finding for a text libcst cannot parse: `truncated` or `syntax`.

    `python_error` is CPython's complaint about the same text, used for the position
    of tokenizer errors, which libcst reports without one.
    """
    tail = scan(text)
    truncated, position = _judge(text, error, tail)
    if truncated:
        line, column = end_position(text)
        return Finding(Code.TRUNCATED, line, column, scope_at(text, line + 1), describe_end(tail))
    if position is not None:
        line, column = position[0], position[1] + 1
    elif python_error is not None and python_error.lineno:
        line, column = python_error.lineno, max(python_error.offset or 1, 1)
    else:
        line, column = 1, 1
    line = min(line, max(len(lines_of(text)), 1))
    message = f"cannot parse: {_parser_message(text, error)}"
    return Finding(Code.SYNTAX, line, column, scope_at(text, line), message)


# -- cuts that still parse ---------------------------------------------------------------

# Words a cut can leave of a keyword and still parse, as a name: `retur`, `de`, `cla`.
_KEYWORD_PREFIXES = frozenset(
    word[:length]
    for word in [*keyword.kwlist, *keyword.softkwlist]
    for length in range(2, len(word))
    if word[:length] not in keyword.kwlist
)
_BUILTINS = frozenset(dir(builtins))
# Expressions with no effect: what is left of a statement cut after a name or a value.
_NO_EFFECT = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.UnaryOp,
)


@dataclass(frozen=True)
class Cut:
    """A text that parses but was cut: the `truncated` finding, and the first line of
    the definition (or statement) the cut falls in, whose findings are the cut's."""

    finding: Finding
    from_line: int


def cut_short(text: str, tree: ast.Module) -> Cut | None:
    """Whether a text that parses was cut anyway, where `ast` cannot see it.

    A last statement that is a word cut from a keyword (`retur`, `de`) was cut. A
    text that does not end in a newline was cut when its last line is only
    indentation, or ends inside a comment, or in an expression with no effect
    (`self.fix`, `lines.a`), or in a name used nowhere else (`prev_`). A cut between
    two complete statements leaves nothing to see: only the required names can tell.
    """
    if not text.strip():
        return None
    chain = _last_statements(tree)
    last = chain[-1] if chain else None
    start = _definition_start(chain) if chain else 1
    value = last.value if isinstance(last, ast.Expr) else None
    if isinstance(value, ast.Name) and value.id in _KEYWORD_PREFIXES and _ends_text(text, last):
        return _cut(text, start, f"the file ends in a word cut short: {value.id}")
    if text.endswith(("\n", "\r")):
        return None
    tail = lines_of(text)[-1]
    if not tail.strip():
        return _cut(text, start, "the file ends in the indentation of a line with nothing on it")
    ending = _last_token(text)
    if ending is None:
        return None
    if ending.type == tokenize.COMMENT:
        return _cut(text, start, f"the file ends inside a comment: {_shown(ending.string)}")
    if isinstance(value, _NO_EFFECT) and not _is_string_or_ellipsis(value) and _ends_text(text, last):
        return _cut(text, start, f"the file ends in an unfinished statement: {_shown(tail.strip())}")
    if ending.type == tokenize.NAME and _used_once(text, ending.string):
        return _cut(text, start, f"the file ends in the middle of a name: {ending.string}")
    return None


def _cut(text: str, from_line: int, message: str) -> Cut:
    line, column = end_position(text)
    return Cut(Finding(Code.TRUNCATED, line, column, scope_at(text, line + 1), message), from_line)


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _last_statements(tree: ast.Module) -> list[ast.stmt]:
    """The last statement of the module, then the last of its last body, and so on."""
    chain: list[ast.stmt] = []
    body: list[ast.stmt] = tree.body
    while body:
        statement = body[-1]
        chain.append(statement)
        body = _last_body(statement)
    return chain


def _last_body(statement: ast.stmt) -> list[ast.stmt]:
    for name in ("finalbody", "orelse"):
        value = getattr(statement, name, None)
        if isinstance(value, list) and value:
            return value
    handlers = getattr(statement, "handlers", None)
    if handlers:
        return list(handlers[-1].body)
    cases = getattr(statement, "cases", None)
    if cases:
        return list(cases[-1].body)
    body = getattr(statement, "body", None)
    return body if isinstance(body, list) and body and isinstance(body[0], ast.stmt) else []


def _definition_start(chain: list[ast.stmt]) -> int:
    """The first line of the innermost definition the last statement is in (its
    decorators included), else of the last top-level statement."""
    for statement in reversed(chain):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return min([statement.lineno] + [each.lineno for each in statement.decorator_list])
    return chain[0].lineno


def _ends_text(text: str, statement: ast.stmt | None) -> bool:
    """Whether nothing but whitespace follows the statement on its last line, and
    the line is the text's last that is not blank."""
    end = statement.end_lineno if statement is not None else None
    if statement is None or end is None:
        return False
    lines = lines_of(text.rstrip())
    return (
        end == len(lines)
        and not lines[-1].encode("utf-8", "surrogatepass")[statement.end_col_offset or 0 :].strip()
    )


def _is_string_or_ellipsis(value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and (
        value.value is Ellipsis or isinstance(value.value, str | bytes)
    )


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return []


def _last_token(text: str) -> tokenize.TokenInfo | None:
    trivia = (tokenize.NEWLINE, tokenize.NL, tokenize.DEDENT, tokenize.INDENT, tokenize.ENDMARKER)
    meaningful = [token for token in _tokens(text) if token.type not in trivia]
    return meaningful[-1] if meaningful else None


def _used_once(text: str, name: str) -> bool:
    """Whether `name` is a word cut short: written nowhere else in the text, not a
    keyword or a builtin, and no `import *` could define it."""
    if keyword.iskeyword(name) or name in _BUILTINS:
        return False
    tokens = _tokens(text)
    if any(
        token.string == "*" and index > 0 and tokens[index - 1].string == "import"
        for index, token in enumerate(tokens)
    ):
        return False
    return sum(1 for token in tokens if token.type == tokenize.NAME and token.string == name) == 1
