"""Qualified names: the scope a node is in, and the definitions a file holds.

The tags queries each grammar ships say what is a definition and what its name is;
a walk up the parents says what it is inside of, using the table's scopes: a method
in a class is `Class.method`, a Go method `Recv.Method`, a Rust function in an
`impl Foo` block `Foo.function`, a C++ `void ns::A::m()` is `ns.A.m`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from validators.findings import Code, Finding
from validators.treesitter.grammars import Grammar, NamePath, tags_query
from validators.treesitter.text import Text, node_text

if TYPE_CHECKING:
    import tree_sitter as ts

# Type arguments, array brackets and parameter lists: `Foo<T>` is `Foo`, `*T[K]` is `T`.
_GROUP = re.compile(r"<[^<>]*>|\[[^\[\]]*\]|\([^()]*\)")
_IDENTIFIER = re.compile(r"[^\W\d][\w$]*|\$[\w$]*")


def required_names(requires: Iterable[str]) -> tuple[str, ...]:
    """The required names, `::` read as `.`; ValueError for one that is not a dotted name."""
    if isinstance(requires, str):
        requires = (requires,)
    names = []
    for name in requires:
        if not isinstance(name, str):
            raise ValueError(f"required name {name!r} is not a string")
        dotted = name.replace("::", ".")
        parts = dotted.split(".")
        if not all(part and not any(ch.isspace() for ch in part) for part in parts):
            raise ValueError(f"required name {name!r} is not a dotted name (`Name`, `Class.method`)")
        names.append(dotted)
    return tuple(dict.fromkeys(names))


def scope_of(node: ts.Node, grammar: Grammar) -> str:
    """The qualified name of the definitions `node` is inside (itself included)."""
    parts: list[str] = []
    current: ts.Node | None = node
    while current is not None:
        paths = grammar.scopes.get(current.type)
        if paths:
            parts[:0] = [name for _, name in _name_parts(current, paths)]
        current = current.parent
    return ".".join(parts)


def definitions(root: ts.Node, language: str, grammar: Grammar) -> dict[str, tuple[ts.Node, ts.Node]]:
    """Every qualified name the file defines, with the node of its name and the node of
    the whole definition (the first of each name, in the order of the text)."""
    import tree_sitter as ts

    found: dict[str, tuple[ts.Node, ts.Node]] = {}
    for _, captures in ts.QueryCursor(tags_query(language)).matches(root):
        kinds = [key for key in captures if key.startswith("definition.")]
        names = captures.get("name")
        if not kinds or not names:
            continue
        name = names[0]
        scope = [node_text(each) for each in captures.get("local.scope", ())]
        qualified = _qualified(name, grammar, scope)
        whole = _whole(captures[kinds[0]][0])
        known = found.get(qualified)
        # A name declared twice (a C++ method in its class and defined below it, an
        # overload signature and its body): the larger is the one with the code.
        if known is None or whole.end_byte - whole.start_byte > known[1].end_byte - known[1].start_byte:
            found[qualified] = (name, whole)
    return dict(sorted(found.items(), key=lambda item: item[1][1].start_byte))


# The statement a definition is one part of: `const f = () => {}` is the declarator `f`
# inside a `const` statement, maybe exported.
_OUTER = frozenset({"lexical_declaration", "variable_declaration", "export_statement", "ambient_declaration"})


def _whole(node: ts.Node) -> ts.Node:
    """The definition with the statement it is the only part of."""
    if node.type == "function_declarator":
        # C and C++ tag the declarator: the definition is what holds it, with its type
        # and body (through any pointer or reference declarators).
        while node.parent is not None and node.parent.type.endswith("declarator"):
            node = node.parent
        if node.parent is not None and node.parent.type in _DECLARATIONS:
            node = node.parent
    while node.parent is not None and node.parent.type in _OUTER and node.parent.named_child_count <= 2:
        node = node.parent
    return node


_DECLARATIONS = frozenset({"function_definition", "declaration", "field_declaration", "template_declaration"})


def missing(
    root: ts.Node, language: str, grammar: Grammar, wanted: Sequence[str], text: Text
) -> list[Finding]:
    """A `missing` finding for each required name the file does not define."""
    defined = {name: nodes[0] for name, nodes in definitions(root, language, grammar).items()}
    found = []
    for name in wanted:
        if name in defined:
            continue
        parts = name.split(".")
        known = next((n for n in range(len(parts) - 1, 0, -1) if ".".join(parts[:n]) in defined), 0)
        parent = ".".join(parts[:known])
        line, column = text.start(defined[parent]) if parent else (1, 1)
        where = f"in {parent}" if parent else "at top level"
        detail = "" if known == len(parts) - 1 else f" ({parts[known]} is not defined)"
        found.append(
            Finding(
                Code.MISSING,
                line,
                column,
                parent,
                f"required name `{name}` is not defined {where}{detail}",
                name=name,
            )
        )
    return found


def _qualified(name: ts.Node, grammar: Grammar, local_scope: Sequence[str]) -> str:
    """The qualified name of the definition whose name node is `name`."""
    outer: list[str] = []
    own: list[str] | None = None
    current = name.parent
    while current is not None:
        paths = grammar.scopes.get(current.type)
        if paths:
            parts = _name_parts(current, paths)
            if own is None and any(_contains(node, name) for node, _ in parts):
                # The definition is itself a scope: its name is what the scope says
                # (a Go method is `Recv.Method`, not `Method`).
                own = [part for _, part in parts]
            else:
                outer[:0] = [part for _, part in parts]
        current = current.parent
    return ".".join([*outer, *(own if own is not None else [*local_scope, base_name(name)])])


def _name_parts(node: ts.Node, paths: Sequence[NamePath]) -> list[tuple[ts.Node, str]]:
    parts = []
    for path in paths:
        target = _follow(node, path)
        if target is not None:
            name = base_name(target)
            if name:
                parts.append((target, name))
    return parts


def _follow(node: ts.Node, path: NamePath) -> ts.Node | None:
    current: ts.Node | None = node
    for step in path:
        if current is None:
            return None
        if isinstance(step, int):
            current = current.named_child(step) if step < current.named_child_count else None
        elif step.startswith("*"):
            while (inner := current.child_by_field_name(step[1:])) is not None:
                current = inner
        else:
            current = current.child_by_field_name(step)
    return current


def base_name(node: ts.Node) -> str:
    """A name as `requires` spells it: `Foo` for `Foo<T>` or `*Foo`, `ns.A.m` for `ns::A::m`."""
    text = node_text(node)
    for _ in range(10):
        stripped = _GROUP.sub("", text)
        if stripped == text:
            break
        text = stripped
    identifiers = _IDENTIFIER.findall(text)
    if not identifiers:
        return ""
    if node.type == "qualified_identifier":
        return ".".join(identifiers)
    return str(identifiers[-1])


def _contains(outer: ts.Node, inner: ts.Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte
