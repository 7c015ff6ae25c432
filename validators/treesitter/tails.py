"""Suspicious tails: what a cut leaves that still parses.

A grammar accepts more than its language: tree-sitter-go reads statements at top
level, tree-sitter-javascript a `const` with no value. A file cut inside a word or
after a name often ends in just such a construct, so a tree with no error whose last
construct is one of these is a cut. Each rule takes the root and returns the
suspicious node, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from validators.treesitter.text import node_text, shown

if TYPE_CHECKING:
    import tree_sitter as ts


@dataclass(frozen=True)
class Suspect:
    """A construct a cut leaves: the node, and what to tell the user about it."""

    node: ts.Node
    message: str


_GO_DECLARATIONS = frozenset(
    {
        "package_clause",
        "import_declaration",
        "function_declaration",
        "method_declaration",
        "type_declaration",
        "const_declaration",
        "var_declaration",
    }
)

# Every directive C and C++ preprocessors know; `#inc` is the start of `#include`.
_DIRECTIVES = frozenset(
    {
        "define",
        "undef",
        "include",
        "include_next",
        "import",
        "if",
        "ifdef",
        "ifndef",
        "elif",
        "elifdef",
        "elifndef",
        "else",
        "endif",
        "error",
        "warning",
        "pragma",
        "line",
        "ident",
        "sccs",
        "assert",
        "unassert",
        "embed",
    }
)


def last_construct(root: ts.Node) -> ts.Node | None:
    """The root's last named child that is not a comment."""
    count = root.named_child_count
    child = root.named_child(count - 1) if count else None
    while child is not None and "comment" in child.type:
        child = child.prev_named_sibling
    return child


def top_level_statement(root: ts.Node) -> Suspect | None:
    """Go: a statement at top level (`fun`, cut from `func`), which Go does not allow."""
    last = last_construct(root)
    if last is None or last.type in _GO_DECLARATIONS:
        return None
    return Suspect(last, f"the file ends in a statement outside any function: `{shown(last)}`")


def go_declaration_without_value(root: ts.Node) -> Suspect | None:
    """Go: a last `const X` or `var x` with neither a value nor a type.

    (A last `func` with no body would catch more cuts, but Go files declare functions
    written in assembly that way, often last.)
    """
    last = last_construct(root)
    if (
        last is None
        or last.type not in ("const_declaration", "var_declaration")
        or last.named_child_count != 1
    ):
        return None
    spec = last.named_children[0]
    if spec.type not in ("const_spec", "var_spec") or spec.child_by_field_name("value") is not None:
        return None
    if spec.child_by_field_name("type") is not None:
        return None
    return Suspect(last, f"the file ends in a declaration with no value: `{shown(last)}`")


def bare_expression(root: ts.Node) -> Suspect | None:
    """JavaScript and TypeScript: a last statement that is only a name or `a.b`."""
    last = last_construct(root)
    if last is None or last.type != "expression_statement" or last.named_child_count != 1:
        return None
    expression = last.named_children[0]
    if expression.type not in ("identifier", "member_expression"):
        return None
    return Suspect(last, f"the file ends in a bare name: `{shown(last)}`")


def try_without_handler(root: ts.Node) -> Suspect | None:
    """JavaScript and TypeScript: a last `try { ... }` with neither `catch` nor `finally`,
    which the grammar accepts and the language does not."""
    last = last_construct(root)
    if last is None or last.type != "try_statement":
        return None
    if last.child_by_field_name("handler") is not None or last.child_by_field_name("finalizer") is not None:
        return None
    return Suspect(last, "the file ends in a `try` block with no `catch` or `finally`")


def const_without_value(root: ts.Node) -> Suspect | None:
    """JavaScript and TypeScript: a last `const x` with no value and no type.

    JavaScript requires a value; `declare const x: T` in a declaration file has a
    type, so only the form with neither is a cut.
    """
    last = last_construct(root)
    if last is not None and last.type == "export_statement":
        last = last.child_by_field_name("declaration")
    if last is not None and last.type == "ambient_declaration":  # `declare const X`
        last = last.named_child(0) if last.named_child_count else None
    if last is None or last.type != "lexical_declaration" or last.child(0) is None:
        return None
    keyword = last.child(0)
    if keyword is None or keyword.type != "const":
        return None
    for declarator in last.named_children:
        if declarator.type != "variable_declarator":
            continue
        if declarator.child_by_field_name("value") is None and declarator.child_by_field_name("type") is None:
            return Suspect(last, f"the file ends in a `const` with no value: `{shown(last)}`")
    return None


# Top-level statements that end with `;` in a file written with semicolons.
_TERMINATED = frozenset(
    {
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
        "import_statement",
        "export_statement",
        "type_alias_declaration",
        "ambient_declaration",
    }
)


def missing_semicolon(root: ts.Node) -> Suspect | None:
    """JavaScript and TypeScript: a last statement without the `;` that every other
    statement of the file ends with (`export const x = a.b` cut from `a.b.c;`).

    Only in files that use semicolons (at least two other statements, each with one);
    a file written without them says nothing.
    """
    last = last_construct(root)
    if last is None or last.type not in _TERMINATED or node_text(last).endswith((";", "}")):
        return None
    statements = [
        child
        for child in root.named_children
        if child.type in _TERMINATED and child != last and not node_text(child).endswith("}")
    ]
    if len(statements) < 2 or not all(node_text(child).endswith(";") for child in statements):
        return None
    return Suspect(last, f"the file ends in a statement without its `;`: `{shown(last)}`")


def unfinished_directive(root: ts.Node) -> Suspect | None:
    """C and C++: a last `#` directive no preprocessor knows (`#inc`), or an `#include`
    whose path is not closed (`#include <std`)."""
    last = last_construct(root)
    while last is not None and last.type.startswith("preproc_if"):
        # The last directive may sit inside an `#ifdef` that the cut left open.
        inner = last_construct(last)
        if inner is None or inner == last:
            break
        last = inner
    if last is None:
        return None
    if last.type == "preproc_include":
        path = last.child_by_field_name("path")
        said = node_text(path).strip() if path is not None else ""
        if (
            said[:1] == "<"
            and not said.endswith(">")
            or said[:1] == '"'
            and (len(said) < 2 or said[-1] != '"')
        ):
            return Suspect(last, f"the file ends in an unfinished `#include`: `{shown(last)}`")
        return None
    if last.type != "preproc_call":
        return None
    directive = last.child_by_field_name("directive")
    if directive is None:
        return None
    name = node_text(directive).lstrip("#").strip()
    if name in _DIRECTIVES:
        return None
    return Suspect(last, f"the file ends in an unknown directive: `{shown(last)}`")


# The leaves a name is read as, in every grammar that reads files so (`unended`).
_NAMES = frozenset(
    {
        "identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "type_identifier",
        "field_identifier",
        "package_identifier",
        "private_property_identifier",
        "statement_identifier",
    }
)


def cut_in_last_line(root: ts.Node, data: bytes, *, unused_only: bool) -> Suspect | None:
    """A file with no line break at its end stops inside its last line. When that line
    stops after a space, or in a name (with `unused_only`, a name the file has nowhere
    else: `requir`, `module.exports = Appr`), it was cut there: a file that is done ends
    with its line, and a model's answer with the line break before its closing fence.

    `data` is the text as parsed: the source and the one line break `Text.of` adds.
    """
    source = data[:-1]
    if not source.strip() or source.endswith((b"\n", b"\r")):
        return None
    last = last_construct(root)
    if last is None:
        return None
    if source.endswith((b" ", b"\t")):
        return Suspect(last, f"the last line stops after a space, with no line break: `{shown(last)}`")
    if (
        not unused_only
        and last.type in ("function_declaration", "method_declaration")
        and last.child_by_field_name("body") is None
        and last.end_byte == len(source)
    ):
        # Go: a function declared without a body (written in assembly) stands on a line
        # of its own like any other; with no line break after it, its `{` was cut.
        return Suspect(last, f"the file stops after a signature, with no line break: `{shown(last)}`")
    leaf = root.descendant_for_byte_range(len(source) - 1, len(source))
    if leaf is None or leaf.type not in _NAMES or leaf.end_byte != len(source):
        return None
    name = leaf.text or b""
    if unused_only and len(re.findall(rb"(?<![\w$])" + re.escape(name) + rb"(?![\w$])", source)) > 1:
        return None
    said = name.decode("utf-8", "replace")
    return Suspect(last, f"the file stops in the name `{said}`, with no line break: `{shown(last)}`")
