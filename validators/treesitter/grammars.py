"""The table of tree-sitter languages: which grammar, which nodes mean what.

One `Grammar` per language says everything the backend needs to know about it: the
wheel it comes from, its comment and body node types, how a definition is named, the
suspicious tails that a cut leaves parseable, and how sure a mid-file error is. The
checks in this package read the table and know no language by name.

Grammars load lazily, on the first check in that language: importing a grammar and
compiling its tags query costs up to 150 ms, which a Python-only build never pays.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from validators.findings import Severity
from validators.treesitter import tails
from validators.treesitter.lexing import Family

if TYPE_CHECKING:
    import tree_sitter as ts

# How a scope's name is found from its node: a field name, `*field` to follow that
# field for as long as it goes on (C declarators nest: pointer, function, name), or the
# index of a named child.
Step = str | int
NamePath = tuple[Step, ...]
Tail = Callable[["ts.Node"], "tails.Suspect | None"]


class GrammarMissing(Exception):
    """Raised when a language's tree-sitter grammar is not installed.

    The source was not checked, so nothing is known about it; `package` is what to
    install (`pip install tree-sitter-go`).
    """

    def __init__(self, language: str, package: str, reason: str) -> None:
        self.language = language
        self.package = package
        super().__init__(
            f"cannot check {language} files: the grammar is not installed ({reason}); "
            f"install it with `pip install {package}`"
        )


@dataclass(frozen=True)
class Grammar:
    """What the backend knows about one language."""

    name: str  # the user-facing name: "TypeScript"
    package: str  # the pip distribution: "tree-sitter-typescript"
    module: str  # its import name
    function: str = "language"  # the module's function that returns the grammar
    # Tags queries, (module, file) each, compiled together: TypeScript's needs JavaScript's.
    tags: tuple[tuple[str, str], ...] = ()
    # Definitions the shipped tags queries leave out (Java enums, Rust trait methods...).
    extra_tags: str = ""
    comments: frozenset[str] = frozenset({"comment"})
    # Nodes whose children are a body's statements or members (`{ ... }`).
    bodies: frozenset[str] = frozenset()
    # Nodes that open a named scope, and the paths to the parts of their name.
    scopes: Mapping[str, tuple[NamePath, ...]] = field(default_factory=dict)
    # Rules for a tree with no error whose last construct is what a cut leaves.
    tail_rules: tuple[Tail, ...] = ()
    # A file with no line break at its end, whose last line stops after a space or in a
    # name, was cut in that line (`tails.cut_in_last_line`): "any" name, or only a name
    # "unused" elsewhere in the file (where a hand-written file may end in one, as
    # `export default App` without its newline); "": not read so.
    unended: str = ""
    # Calls that stand for code not written, as a query: `@call` is the node reported,
    # `@message` the string argument (a stub only when it says so), `@warn` when the call
    # is itself the stub but real code uses it too (Rust's `unimplemented!()`).
    stubs: str = ""
    # Newer syntax the grammar does not read, as patterns whose `mask` group is blanked
    # (spaces, same length) before parsing: what is left parses as the same construct.
    masks: tuple[bytes, ...] = ()
    # Comments, quotes and brackets, for what a cut leaves open (`lexing.py`).
    family: Family | None = None
    # C and C++: real headers fail to parse wherever a macro stands for syntax. A
    # mid-file error is only a warning there, and an error at the end is a cut only
    # when no error is mid-file and the lexer sees something left open (a bracket, a
    # comment, a string, an `#if`).
    cautious: bool = False

    @property
    def mid_file_severity(self) -> Severity:
        return Severity.WARNING if self.cautious else Severity.ERROR


@dataclass(frozen=True)
class Loaded:
    """A grammar ready to parse, with its queries compiled."""

    grammar: Grammar
    language: ts.Language
    comments: ts.Query
    stubs: ts.Query | None
    masks: tuple[re.Pattern[bytes], ...] = ()

    def masked(self, data: bytes) -> bytes:
        """`data` with the grammar's masks blanked, every newline and offset kept."""
        for mask in self.masks:
            data = mask.sub(_blank, data)
        return data


def _blank(found: re.Match[bytes]) -> bytes:
    start, end = found.span("mask")
    whole = found.group()
    offset = found.start()
    return whole[: start - offset] + b" " * (end - start) + whole[end - offset :]


_NAME: tuple[NamePath, ...] = (("name",),)

_JS_FAMILY = Family(quotes=((b"`", True), (b'"', False), (b"'", False)), char_literals=False)
_C_FAMILY = Family(quotes=((b'"', False),), directives=True)

_JS_SCOPES: dict[str, tuple[NamePath, ...]] = {
    "class_declaration": _NAME,
    "class": _NAME,
    "function_declaration": _NAME,
    "generator_function_declaration": _NAME,
    "function_expression": _NAME,
    "method_definition": _NAME,
    "variable_declarator": _NAME,
}
_TS_SCOPES = {
    **_JS_SCOPES,
    "abstract_class_declaration": _NAME,
    "interface_declaration": _NAME,
    "internal_module": _NAME,
    "module": _NAME,
    "enum_declaration": _NAME,
}
_JS_TAILS = (
    tails.bare_expression,
    tails.const_without_value,
    tails.missing_semicolon,
    tails.try_without_handler,
)
_JS_BODIES = frozenset({"statement_block", "class_body", "switch_body"})
_TS_BODIES = _JS_BODIES | {"interface_body", "enum_body", "object_type"}

_JS_EXTRA = """
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(export_statement (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(field_definition property: (property_identifier) @name) @definition.field
(method_definition name: (property_identifier) @name) @definition.method
"""
_TS_EXTRA = """
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(export_statement (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(ambient_declaration
  (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.constant)
(ambient_declaration
  (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
(method_definition name: (property_identifier) @name) @definition.method
(public_field_definition name: (property_identifier) @name) @definition.field
(property_signature name: (property_identifier) @name) @definition.field
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(internal_module name: (identifier) @name) @definition.module
"""
_JS_STUBS = """
(throw_statement (new_expression arguments: (arguments . [(string) (template_string)] @message .))) @call
"""

# tree-sitter-typescript 0.23 does not read `import("m").T<A>` (an import type with
# type arguments), variance annotations (`<in out T>`, TypeScript 4.7) nor
# `export type * from` (5.0): blanking `import("m").`, `in`/`out` and `type` leaves a
# type reference, a type parameter and an `export *`.
_TS_MASKS = (
    rb"""(?P<mask>\bimport\(\s*(?P<quote>["'])[^"'\n]*(?P=quote)\s*\)\.)""",
    rb"[<,](?:\s|/\*.*?\*/|//[^\n]*\n)*(?P<mask>in\s+out|in|out)\s+(?=[A-Za-z_$][\w$]*\s*(?:[,>=]|extends\b))",
    rb"\bexport\s+(?P<mask>type)\s+\*",
)

_JAVASCRIPT_TAGS = (("tree_sitter_javascript", "tags.scm"),)
_TYPESCRIPT_TAGS = (("tree_sitter_javascript", "tags.scm"), ("tree_sitter_typescript", "tags.scm"))

_C_SCOPES: dict[str, tuple[NamePath, ...]] = {
    "function_definition": (("*declarator",),),
    "struct_specifier": _NAME,
    "union_specifier": _NAME,
    "enum_specifier": _NAME,
}
_C_EXTRA = """
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro
(translation_unit
  (declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.variable)
(translation_unit (declaration declarator: (identifier) @name) @definition.variable)
"""

GRAMMARS: dict[str, Grammar] = {
    "typescript": Grammar(
        name="TypeScript",
        package="tree-sitter-typescript",
        module="tree_sitter_typescript",
        function="language_typescript",
        tags=_TYPESCRIPT_TAGS,
        extra_tags=_TS_EXTRA,
        masks=_TS_MASKS,
        bodies=_TS_BODIES,
        scopes=_TS_SCOPES,
        tail_rules=_JS_TAILS,
        unended="unused",
        stubs=_JS_STUBS,
        family=_JS_FAMILY,
    ),
    "tsx": Grammar(
        name="TSX",
        package="tree-sitter-typescript",
        module="tree_sitter_typescript",
        function="language_tsx",
        tags=_TYPESCRIPT_TAGS,
        extra_tags=_TS_EXTRA,
        masks=_TS_MASKS,
        bodies=_TS_BODIES,
        scopes=_TS_SCOPES,
        tail_rules=_JS_TAILS,
        unended="unused",
        stubs=_JS_STUBS,
        family=_JS_FAMILY,
    ),
    "javascript": Grammar(
        name="JavaScript",
        package="tree-sitter-javascript",
        module="tree_sitter_javascript",
        tags=_JAVASCRIPT_TAGS,
        extra_tags=_JS_EXTRA,
        bodies=_JS_BODIES,
        scopes=_JS_SCOPES,
        tail_rules=_JS_TAILS,
        unended="unused",
        stubs=_JS_STUBS,
        family=_JS_FAMILY,
    ),
    "go": Grammar(
        name="Go",
        package="tree-sitter-go",
        module="tree_sitter_go",
        tags=(("tree_sitter_go", "tags.scm"),),
        extra_tags="""
(method_elem name: (field_identifier) @name) @definition.method
(field_declaration name: (field_identifier) @name) @definition.field
(var_spec name: (identifier) @name) @definition.variable
(const_spec name: (identifier) @name) @definition.constant
""",
        bodies=frozenset({"block", "field_declaration_list", "interface_type"}),
        scopes={
            "function_declaration": _NAME,
            "method_declaration": (("receiver", 0, "type"), ("name",)),
            "type_spec": _NAME,
        },
        tail_rules=(tails.top_level_statement, tails.go_declaration_without_value),
        unended="any",  # gofmt ends every file with a line break
        family=Family(quotes=((b"`", True), (b'"', False))),
        stubs="""
(call_expression
  function: (identifier) @function (#eq? @function "panic")
  arguments: (argument_list . [(interpreted_string_literal) (raw_string_literal)] @message .)) @call
""",
    ),
    "rust": Grammar(
        name="Rust",
        package="tree-sitter-rust",
        module="tree_sitter_rust",
        tags=(("tree_sitter_rust", "tags.scm"),),
        extra_tags="""
(function_signature_item name: (identifier) @name) @definition.method
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(enum_variant name: (identifier) @name) @definition.variant
(field_declaration name: (field_identifier) @name) @definition.field
""",
        comments=frozenset({"line_comment", "block_comment"}),
        bodies=frozenset({"block", "declaration_list", "field_declaration_list", "enum_variant_list"}),
        family=Family(quotes=((b'"', True),)),
        # `try!(...)`, Rust 2015's `?` (serde uses it), where the grammar reads `try` as
        # the 2018 keyword: blanked, it is a parenthesized expression.
        masks=(rb"\b(?P<mask>try!)(?=\s*\()",),
        scopes={
            "impl_item": (("type",),),
            "trait_item": _NAME,
            "mod_item": _NAME,
            "function_item": _NAME,
            "struct_item": _NAME,
            "enum_item": _NAME,
            "union_item": _NAME,
        },
        stubs="""
(macro_invocation macro: (identifier) @stub (#eq? @stub "todo")) @call
(macro_invocation macro: (identifier) @warn (#eq? @warn "unimplemented")) @call
(macro_invocation
  macro: (identifier) @function (#eq? @function "panic")
  (token_tree . "(" . (string_literal) @message . ")")) @call
""",
    ),
    "java": Grammar(
        name="Java",
        package="tree-sitter-java",
        module="tree_sitter_java",
        tags=(("tree_sitter_java", "tags.scm"),),
        extra_tags="""
(enum_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface
(constructor_declaration name: (identifier) @name) @definition.method
(enum_constant name: (identifier) @name) @definition.constant
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
""",
        comments=frozenset({"line_comment", "block_comment"}),
        bodies=frozenset(
            {"block", "class_body", "interface_body", "enum_body", "constructor_body", "switch_block"}
        ),
        family=Family(quotes=((b'"""', True), (b'"', False))),
        scopes={
            "class_declaration": _NAME,
            "interface_declaration": _NAME,
            "enum_declaration": _NAME,
            "record_declaration": _NAME,
            "annotation_type_declaration": _NAME,
            "method_declaration": _NAME,
            "constructor_declaration": _NAME,
        },
        stubs="""
(throw_statement
  (object_creation_expression arguments: (argument_list . (string_literal) @message .))) @call
""",
    ),
    "c": Grammar(
        name="C",
        package="tree-sitter-c",
        module="tree_sitter_c",
        tags=(("tree_sitter_c", "tags.scm"),),
        extra_tags=_C_EXTRA,
        bodies=frozenset({"compound_statement", "field_declaration_list"}),
        scopes=_C_SCOPES,
        tail_rules=(tails.unfinished_directive,),
        family=_C_FAMILY,
        cautious=True,
    ),
    "cpp": Grammar(
        name="C++",
        package="tree-sitter-cpp",
        module="tree_sitter_cpp",
        tags=(("tree_sitter_cpp", "tags.scm"),),
        extra_tags=_C_EXTRA
        + """
(namespace_definition name: (namespace_identifier) @name) @definition.module
(function_declarator declarator: (qualified_identifier) @name) @definition.method
""",
        bodies=frozenset({"compound_statement", "field_declaration_list", "declaration_list"}),
        scopes={
            **_C_SCOPES,
            "namespace_definition": _NAME,
            "class_specifier": _NAME,
        },
        tail_rules=(tails.unfinished_directive,),
        stubs="""
(throw_statement (call_expression arguments: (argument_list . (string_literal) @message .))) @call
""",
        family=_C_FAMILY,
        cautious=True,
    ),
}


def _import(grammar: Grammar, module: str) -> object:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = "tree-sitter" if module == "tree_sitter" else grammar.package
        raise GrammarMissing(grammar.name, package, str(error)) from None


@functools.cache
def load(language: str) -> Loaded:
    """The grammar of `language` (a key of `GRAMMARS`), ready to parse.

    Cached for the life of the process: a grammar and its queries never change, and
    tree-sitter's `Language` and `Query` are immutable (parsers and cursors are made
    per check, since they are not safe to share between threads).
    """
    return load_grammar(GRAMMARS[language])


def load_grammar(grammar: Grammar) -> Loaded:
    """Import `grammar`'s module and compile its queries; GrammarMissing if it is absent."""
    _import(grammar, "tree_sitter")
    import tree_sitter as ts

    module = _import(grammar, grammar.module)
    try:
        parsed = ts.Language(getattr(module, grammar.function)())
    except (AttributeError, ValueError) as error:
        # A grammar built for an ABI this tree-sitter does not read.
        raise GrammarMissing(grammar.name, grammar.package, str(error)) from None
    comments = ts.Query(
        parsed, "[" + " ".join(f"({kind})" for kind in sorted(grammar.comments)) + "] @comment"
    )
    stubs = ts.Query(parsed, grammar.stubs) if grammar.stubs else None
    return Loaded(grammar, parsed, comments, stubs, tuple(re.compile(mask) for mask in grammar.masks))


@functools.cache
def tags_query(language: str) -> ts.Query:
    """The definitions query of `language`: its shipped tags queries and our patterns."""
    import tree_sitter as ts

    loaded = load(language)
    grammar = loaded.grammar
    sources = []
    for module, name in grammar.tags:
        try:
            sources.append(resources.files(module).joinpath("queries", name).read_text("utf-8"))
        except (OSError, ModuleNotFoundError) as error:
            raise GrammarMissing(grammar.name, grammar.package, f"no {name}: {error}") from None
    return ts.Query(loaded.language, "\n".join([*sources, grammar.extra_tags]))
