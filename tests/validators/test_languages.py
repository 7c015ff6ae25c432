"""`check_source` in every language but Python: the tree-sitter backend (TypeScript,
TSX, JavaScript, Go, Rust, Java, C, C++) and the formats (JSON, TOML, YAML, Markdown).

Each code language has a small module written as people write them; the tests cut it
at every point inside a body, put a placeholder in it, and ask for its definitions.
Real files from site-packages (mypyc's C runtime, READMEs, dist-info JSON) stand for
intact code. Recall and false positives on large corpora are the benchmark's
(`benchmarks/languages.py`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import validators
from validators import Code, Finding, GrammarMissing, Severity, check_source, language_of
from validators.treesitter import GRAMMARS, parse
from validators.treesitter.grammars import load, load_grammar


@dataclass(frozen=True)
class Sample:
    """An intact module, the qualified names it defines, and one of its bodies to stub out."""

    source: str
    defines: tuple[str, ...]
    body: str  # a body of the source (with its braces), replaced in placeholder tests
    scope: str  # the qualified name of the definition that body belongs to


SAMPLES: dict[str, Sample] = {
    "typescript": Sample(
        """import { readFile } from "node:fs/promises";

export interface Todo {
  id: number;
  title: string;
  done(): boolean;
}

export type Filter = (todo: Todo) => boolean;

export enum Status {
  Open,
  Closed,
}

export class TodoList<T extends Todo = Todo> {
  private readonly items: T[] = [];

  add(item: T): void {
    this.items.push(item);
  }

  filter(keep: Filter): T[] {
    return this.items.filter((item) => keep(item));
  }
}

export namespace Store {
  export async function load(path: string): Promise<string> {
    const text = await readFile(path, "utf-8");
    return `${text}\\n`;
  }
}

export const VERSION = "1.0.0";
""",
        ("Todo", "Todo.done", "Filter", "Status", "TodoList", "TodoList.add", "Store.load", "VERSION"),
        "{\n    this.items.push(item);\n  }",
        "TodoList.add",
    ),
    "tsx": Sample(
        """import React, { useState } from "react";

interface CounterProps {
  start?: number;
}

export function Counter({ start = 0 }: CounterProps): JSX.Element {
  const [count, setCount] = useState(start);
  return (
    <button type="button" onClick={() => setCount(count + 1)}>
      clicked {count} times
    </button>
  );
}

export const Label = ({ text }: { text: string }) => <span className="label">{text}</span>;
""",
        ("CounterProps", "Counter", "Label"),
        '{\n  const [count, setCount] = useState(start);\n  return (\n    <button type="button" '
        "onClick={() => setCount(count + 1)}>\n      clicked {count} times\n    </button>\n  );\n}",
        "Counter",
    ),
    "javascript": Sample(
        """'use strict'

const { join } = require('path')

class Cache {
  constructor (dir) {
    this.dir = dir
    this.entries = new Map()
  }

  get (key) {
    return this.entries.get(key)
  }

  set (key, value) {
    this.entries.set(key, value)
    return this
  }
}

function cachePath (dir, key) {
  return join(dir, `${key}.json`)
}

const api = {
  clear (cache) {
    cache.entries.clear()
  },
}

module.exports = { Cache, cachePath, api }
""",
        ("Cache", "Cache.get", "Cache.set", "cachePath", "api.clear"),
        "{\n  return join(dir, `${key}.json`)\n}",
        "cachePath",
    ),
    "go": Sample(
        """package store

import (
	"errors"
	"fmt"
)

// ErrMissing is returned for a key that is not stored.
var ErrMissing = errors.New("missing")

const limit = 64

type Store[K comparable] struct {
	items map[K]string
}

type Getter interface {
	Get(key string) (string, error)
}

// Get returns the value of key.
func (s *Store[K]) Get(key K) (string, error) {
	value, ok := s.items[key]
	if !ok {
		return "", fmt.Errorf("%v: %w", key, ErrMissing)
	}
	return value, nil
}

func New[K comparable]() *Store[K] {
	return &Store[K]{items: make(map[K]string, limit)}
}
""",
        ("ErrMissing", "limit", "Store", "Store.items", "Getter", "Getter.Get", "Store.Get", "New"),
        "{\n\treturn &Store[K]{items: make(map[K]string, limit)}\n}",
        "New",
    ),
    "rust": Sample(
        """use std::collections::HashMap;
use std::fmt;

pub const LIMIT: usize = 64;

#[derive(Debug, Default)]
pub struct Store {
    items: HashMap<String, String>,
}

pub enum Event {
    Put(String),
    Clear,
}

pub trait Backend {
    fn get(&self, key: &str) -> Option<&String>;
    fn name(&self) -> &'static str {
        "memory"
    }
}

impl Store {
    pub fn new() -> Self {
        Self { items: HashMap::with_capacity(LIMIT) }
    }

    pub fn put(&mut self, key: &str, value: &str) -> Option<String> {
        self.items.insert(key.to_owned(), value.to_owned())
    }
}

impl Backend for Store {
    fn get(&self, key: &str) -> Option<&String> {
        self.items.get(key)
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} items", self.items.len())
    }
}

pub mod codec {
    pub fn encode(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }
}
""",
        (
            "LIMIT",
            "Store",
            "Event",
            "Event.Put",
            "Backend",
            "Backend.get",
            "Backend.name",
            "Store.new",
            "Store.put",
            "Store.get",
            "Store.fmt",
            "codec.encode",
        ),
        "{\n        self.items.insert(key.to_owned(), value.to_owned())\n    }",
        "Store.put",
    ),
    "java": Sample(
        """package org.example.store;

import java.util.HashMap;
import java.util.Map;

public class Store {
    public static final int LIMIT = 64;

    private final Map<String, String> items = new HashMap<>();

    public enum Mode { READ, WRITE }

    public record Entry(String key, String value) {
        public String describe() {
            return key + "=" + value;
        }
    }

    public Store() {
        items.clear();
    }

    public String get(String key) {
        if (!items.containsKey(key)) {
            throw new IllegalArgumentException("missing: " + key);
        }
        return items.get(key);
    }

    interface Listener {
        void changed(String key);
    }
}
""",
        (
            "Store",
            "Store.LIMIT",
            "Store.items",
            "Store.Mode",
            "Store.Mode.READ",
            "Store.Entry",
            "Store.Entry.describe",
            "Store.get",
            "Store.Listener.changed",
        ),
        "{\n        if (!items.containsKey(key)) {\n"
        '            throw new IllegalArgumentException("missing: " + key);\n'
        "        }\n        return items.get(key);\n    }",
        "Store.get",
    ),
    "c": Sample(
        """#include <stdlib.h>
#include <string.h>

#define STORE_LIMIT 64

struct store {
    char *items[STORE_LIMIT];
    size_t count;
};

static int store_count = 0;

struct store *store_new(void) {
    struct store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    store_count++;
    return s;
}

int store_put(struct store *s, const char *item) {
    if (s->count == STORE_LIMIT) {
        return -1;
    }
    s->items[s->count++] = strdup(item);
    return 0;
}
""",
        ("STORE_LIMIT", "store", "store_count", "store_new", "store_put"),
        "{\n    if (s->count == STORE_LIMIT) {\n        return -1;\n    }\n    "
        "s->items[s->count++] = strdup(item);\n    return 0;\n}",
        "store_put",
    ),
    "cpp": Sample(
        """#include <map>
#include <string>

namespace store {

class Store {
  public:
    explicit Store(int limit) : limit_(limit) {}
    bool put(const std::string &key, const std::string &value);
    int size() const { return static_cast<int>(items_.size()); }

  private:
    int limit_;
    std::map<std::string, std::string> items_;
};

}  // namespace store

bool store::Store::put(const std::string &key, const std::string &value) {
    if (size() >= limit_) {
        return false;
    }
    items_[key] = value;
    return true;
}
""",
        ("store", "store.Store", "store.Store.size", "store.Store.put"),
        "{\n    if (size() >= limit_) {\n        return false;\n    }\n"
        "    items_[key] = value;\n    return true;\n}",
        "store.Store.put",
    ),
}
CODE = tuple(SAMPLES)


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity is Severity.ERROR]


def codes(findings: list[Finding]) -> list[Code]:
    return [finding.code for finding in findings]


# Extensions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app.ts", "typescript"),
        ("src/App.TSX", "tsx"),
        ("lib/a.js", "javascript"),
        ("a.mjs", "javascript"),
        ("a.cjs", "javascript"),
        ("a.jsx", "javascript"),
        ("cmd/main.go", "go"),
        ("src/lib.rs", "rust"),
        ("A.java", "java"),
        ("a.c", "c"),
        ("a.h", "c"),
        ("a.cpp", "cpp"),
        ("a.cc", "cpp"),
        ("a.hpp", "cpp"),
        ("package.json", "json"),
        ("pyproject.toml", "toml"),
        ("ci.yaml", "yaml"),
        (".github/workflows/ci.yml", "yaml"),
        ("README.md", "markdown"),
        ("pkg/mod.py", "python"),
        ("pkg/mod.pyi", "python"),
        ("Makefile", None),
        ("notes.txt", None),
        ("archive.tar.gz", None),
    ],
)
def test_language_of_reads_the_extension(path: str, language: str | None) -> None:
    assert language_of(path) == language
    assert language_of(Path(path)) == language


def test_every_language_is_checked_by_check_source() -> None:
    assert set(validators.LANGUAGES) == {"python", *GRAMMARS, "json", "jsonc", "toml", "yaml", "markdown"}
    assert {language_of(f"x{suffix}") for suffix in validators.languages.EXTENSIONS} <= set(
        validators.LANGUAGES
    )


def test_an_unknown_language_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown language 'cobol'"):
        check_source("", language="cobol")


def test_python_goes_to_the_libcst_checks() -> None:
    source = "def area(w, h):\n    ret"
    assert check_source(source, language="python") == validators.check(source)
    assert codes(check_source("def f():\n    return 1\n", language="python", requires=["g"])) == [
        Code.MISSING
    ]


# Code languages: intact, cut, stubbed, required ----------------------------------------


@pytest.mark.parametrize("language", CODE)
def test_an_intact_module_has_no_finding(language: str) -> None:
    assert check_source(SAMPLES[language].source, language=language) == []


@pytest.mark.parametrize("language", CODE)
def test_every_definition_it_has_is_found(language: str) -> None:
    sample = SAMPLES[language]
    assert check_source(sample.source, language=language, requires=sample.defines) == []


@pytest.mark.parametrize("language", CODE)
def test_a_definition_it_lacks_is_missing(language: str) -> None:
    sample = SAMPLES[language]
    owner = sample.scope.rsplit(".", 1)[0] if "." in sample.scope else ""
    wanted = ["Absent", f"{owner}.absent" if owner else "also_absent"]
    findings = check_source(sample.source, language=language, requires=[*sample.defines, *wanted])
    assert codes(findings) == [Code.MISSING, Code.MISSING]
    assert [finding.name for finding in findings] == wanted
    assert "required name `Absent` is not defined at top level" in findings[0].message


def _body_offsets(language: str, source: str) -> Iterator[int]:
    """Every byte offset strictly inside a body of `source`, at a character boundary."""
    data = source.encode("utf-8")
    parsed = parse(source, language)
    stack = [parsed.root]
    offsets: set[int] = set()
    while stack:
        node = stack.pop()
        if node.type in GRAMMARS[language].bodies:
            # From its `{`: Go's `interface { ... }` starts with its keyword.
            start = node.start_byte + max(0, data[node.start_byte : node.end_byte].find(b"{"))
            offsets.update(range(start + 1, node.end_byte))
        stack.extend(node.named_children)
    for offset in sorted(offsets):
        if offset < len(data) and (data[offset] & 0xC0) != 0x80:
            yield offset


@pytest.mark.parametrize("language", CODE)
def test_a_cut_anywhere_inside_a_body_is_truncated(language: str) -> None:
    data = SAMPLES[language].source.encode("utf-8")
    missed = []
    for offset in _body_offsets(language, SAMPLES[language].source):
        cut = data[:offset].decode("utf-8")
        found = errors(check_source(cut, language=language))
        if Code.TRUNCATED not in codes(found):
            missed.append((offset, cut[-40:], found))
    assert missed == []


@pytest.mark.parametrize("language", CODE)
def test_the_cut_is_reported_where_the_file_ends(language: str) -> None:
    source = SAMPLES[language].source
    cut = source[: source.index(SAMPLES[language].body) + len(SAMPLES[language].body) // 2]
    (finding,) = errors(check_source(cut, language=language))
    assert finding.code is Code.TRUNCATED
    assert finding.line == cut.rstrip().count("\n") + 1
    assert finding.message.startswith("the file ends")


@pytest.mark.parametrize("language", CODE)
@pytest.mark.parametrize(
    "comment",
    [
        "// ... rest of implementation",
        "/* TODO: implement */",
        "// ...",
        "// implementation omitted for brevity",
    ],
)
def test_a_body_that_is_only_a_placeholder_comment(language: str, comment: str) -> None:
    sample = SAMPLES[language]
    stubbed = sample.source.replace(sample.body, "{\n    " + comment + "\n}", 1)
    (finding,) = check_source(stubbed, language=language)
    assert finding.code is Code.PLACEHOLDER
    assert finding.severity is Severity.ERROR
    assert finding.scope == sample.scope
    assert f"the body of `{sample.scope}` is only a comment" in finding.message
    assert finding.line == stubbed[: stubbed.index(comment)].count("\n") + 1


@pytest.mark.parametrize("language", [language for language in CODE if language not in ("c", "cpp")])
def test_a_body_that_is_only_an_ellipsis(language: str) -> None:
    sample = SAMPLES[language]
    stubbed = sample.source.replace(sample.body, "{\n    ...\n}", 1)
    (finding,) = check_source(stubbed, language=language)
    assert finding.code is Code.PLACEHOLDER
    assert finding.message == f"the body of `{sample.scope}` is only `...`"


@pytest.mark.parametrize("language", ["c", "cpp"])
def test_an_ellipsis_body_in_c(language: str) -> None:
    sample = SAMPLES[language]
    stubbed = sample.source.replace(sample.body, "{\n    ...\n}", 1)
    assert codes(check_source(stubbed, language=language)) == [Code.PLACEHOLDER]


@pytest.mark.parametrize("language", CODE)
def test_a_framed_elision_among_statements_is_a_placeholder(language: str) -> None:
    sample = SAMPLES[language]
    inner = sample.body[1:-1]
    stubbed = sample.source.replace(sample.body, "{\n    // ... existing code ...\n" + inner + "}", 1)
    (finding,) = check_source(stubbed, language=language)
    assert finding.code is Code.PLACEHOLDER
    assert finding.scope == sample.scope
    assert "stands in for code that was left out" in finding.message


@pytest.mark.parametrize("language", CODE)
def test_a_remark_closing_the_file_is_a_premature_end(language: str) -> None:
    source = SAMPLES[language].source + "\n// ... the remaining methods follow the same pattern\n"
    (finding,) = check_source(source, language=language)
    assert finding.code is Code.PREMATURE_END


@pytest.mark.parametrize("language", CODE)
def test_prose_that_ends_the_answer_is_a_premature_end(language: str) -> None:
    source = SAMPLES[language].source + "\nThe other methods follow the same pattern.\n"
    findings = errors(check_source(source, language=language))
    assert codes(findings) == [Code.PREMATURE_END]


@pytest.mark.parametrize(
    ("language", "comment"),
    [
        ("go", "// The original implementation here was a true queue,\n\t// which was rewritten later."),
        ("typescript", "// The rest of the code below handles the\n    // cases the parser leaves."),
        ("java", "// TODO: cache this once it is measured"),
        ("rust", "// see the rest of the implementation in the codec module"),
    ],
)
def test_comments_about_the_code_are_not_placeholders(language: str, comment: str) -> None:
    sample = SAMPLES[language]
    inner = sample.body[1:-1]
    commented = sample.source.replace(sample.body, "{\n    " + comment + "\n" + inner + "}", 1)
    assert check_source(commented, language=language) == []


def test_a_list_ending_in_etc_is_not_a_placeholder() -> None:
    source = 'package p\n\nvar names = []string{\n\t"a",\n\t"b",\n\n\t// etc.\n}\n'
    assert check_source(source, language="go") == []


# Stub calls ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source", "severity"),
    [
        ("rust", "fn area(w: u32, h: u32) -> u32 {\n    todo!()\n}\n", Severity.ERROR),
        ("rust", "fn area(w: u32, h: u32) -> u32 {\n    unimplemented!()\n}\n", Severity.WARNING),
        ("rust", 'fn area() -> u32 {\n    panic!("not implemented yet")\n}\n', Severity.ERROR),
        ("go", 'package p\n\nfunc Area() int {\n\tpanic("TODO: implement")\n}\n', Severity.ERROR),
        ("go", 'package p\n\nfunc Area() int {\n\tpanic("not implemented")\n}\n', Severity.WARNING),
        (
            "typescript",
            'function area(): number {\n  throw new Error("Not implemented yet");\n}\n',
            Severity.ERROR,
        ),
        ("javascript", "function area () {\n  throw new Error('TODO')\n}\n", Severity.ERROR),
        (
            "java",
            'class A {\n  int area() {\n    throw new UnsupportedOperationException("TODO");\n  }\n}\n',
            Severity.ERROR,
        ),
    ],
)
def test_a_stub_call_is_a_placeholder(language: str, source: str, severity: Severity) -> None:
    (finding,) = check_source(source, language=language)
    assert finding.code is Code.PLACEHOLDER
    assert finding.severity is severity


@pytest.mark.parametrize(
    ("language", "source"),
    [
        (
            "go",
            'package p\n\nfunc Area(x int) int {\n\tif x < 0 {\n\t\tpanic("not implemented")\n\t}\n'
            "\treturn x\n}\n",
        ),
        (
            "typescript",
            'function f(x: number): number {\n  if (x < 0) throw new Error("negative");\n  return x;\n}\n',
        ),
        ("java", "class A {\n  void m() {\n    throw new UnsupportedOperationException();\n  }\n}\n"),
    ],
)
def test_a_throw_among_statements_or_without_a_stub_message_is_code(language: str, source: str) -> None:
    assert check_source(source, language=language) == []


# Tails a cut leaves that still parse ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("go", 'package main\n\nimport "fmt"\n\nfun'),
        ("go", "package main\n\nconst Limi"),
        ("javascript", "const a = require('a')\n\nmodule.exports.b"),
        ("javascript", "const a = 1\nconst b"),
        ("javascript", "try {\n  process.cwd()\n} "),
        ("typescript", 'import { a } from "./a";\nimport { b } from "./b";\nexport const c = a + b'),
        ("typescript", "export declare const x: number;\nexport declare const Foc"),
        ("c", "#ifndef A_H\n#define A_H\n#inc"),
        ("c", "#ifndef A_H\n#define A_H\n#include <std"),
        ("cpp", '#pragma once\n#include "a.h'),
        # No line break at the end: a last line that stops in a name the file has nowhere
        # else, or after a space, was cut (in Go, gofmt's files, in any name or after a
        # signature with no body).
        ("javascript", "const { output } = requir"),
        ("javascript", "class ApproveCmd {}\n\nmodule.exports = Appr"),
        ("javascript", "const x = a(1) "),
        ("typescript", "export const x = process.env.NODE_E"),
        ("go", "package ato"),
        ("go", "package a\n\nvar SignalTrace os.S"),
        ("go", "package a\n\nfunc archMin(x, y float64)"),
        ("go", "package a\n\nfunc F() error"),
    ],
)
def test_a_tail_that_only_a_cut_leaves_is_truncated(language: str, source: str) -> None:
    assert codes(errors(check_source(source, language=language))) == [Code.TRUNCATED]


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("javascript", "const a = 1\nconst b = a\nmodule.exports = b\n"),
        ("typescript", "export declare const x: number;\nexport declare const y: string;\n"),
        ("typescript", "const a = 1;\nconst b = 2;\nexport default {\n  a,\n  b,\n}\n"),
        ("go", "package main\n\nconst Limit = 4\n"),
        # With no line break at the end: a name the file uses elsewhere, a bracket, a
        # comment; in Go a signature with its line break (a function in assembly).
        ("javascript", "class App {}\nexport default App"),
        ("javascript", "const a = require('a')\nmodule.exports = { a }"),
        ("typescript", "export const a = 1;\n// the end"),
        ("go", "package a\n\nfunc F() {}"),
        ("go", "package a\n\nfunc archMin(x, y float64) float64\n"),
    ],
)
def test_a_complete_last_statement_is_not_a_cut(language: str, source: str) -> None:
    assert check_source(source, language=language) == []


@pytest.mark.parametrize(
    ("language", "opened"),
    [
        ("typescript", "/**\n   * Adds an item to the list, and"),
        ("javascript", "`item ${item} was"),
        ("go", "`raw"),
    ],
)
def test_a_cut_inside_a_comment_or_a_multiline_string_is_truncated(language: str, opened: str) -> None:
    sample = SAMPLES[language]
    inner = sample.body[1:]
    cut = sample.source[: sample.source.index(sample.body)] + "{\n  " + opened
    assert inner  # the body is replaced by the opening of a comment or string
    findings = errors(check_source(cut, language=language))
    assert codes(findings) == [Code.TRUNCATED]
    assert "the file ends inside a" in findings[0].message


# Errors in the middle -----------------------------------------------------------------


@pytest.mark.parametrize("language", [language for language in CODE if language not in ("c", "cpp")])
def test_a_mid_file_error_is_a_syntax_error(language: str) -> None:
    sample = SAMPLES[language]
    broken = sample.source.replace(sample.body, sample.body[:-1] + ") ) )\n}", 1)
    findings = check_source(broken, language=language)
    assert codes(findings) == [Code.SYNTAX]
    assert findings[0].severity is Severity.ERROR
    assert findings[0].line < broken.count("\n")


@pytest.mark.parametrize("language", ["c", "cpp"])
def test_in_c_a_mid_file_error_is_only_a_warning(language: str) -> None:
    # A macro the parser does not expand breaks real headers the same way.
    sample = SAMPLES[language]
    broken = sample.source.replace(sample.body, sample.body[:-1] + ") ) )\n}", 1)
    (finding,) = check_source(broken, language=language)
    assert finding.code is Code.SYNTAX
    assert finding.severity is Severity.WARNING
    assert "macro" in finding.message


def test_in_c_an_error_at_the_end_of_a_balanced_file_is_only_a_warning() -> None:
    # Nothing is left open: the parser failed on a macro, the file is not cut.
    source = "#include <stdio.h>\n\nextern int f(int a, ...) __THROW __attribute__((x)) __wur"
    findings = check_source(source, language="c")
    assert [(finding.code, finding.severity) for finding in findings] in (
        [],
        [(Code.SYNTAX, Severity.WARNING)],
    )


def test_newer_typescript_syntax_the_grammar_lacks_still_parses() -> None:
    source = (
        'export type * from "./types";\n'
        "export interface Store<\n  /** variance */\n  out K,\n  in out V = unknown,\n"
        "> {\n  get(key: K): V;\n}\n"
        'export declare const Button: import("react").FC<import("react").Props<HTMLElement>>;\n'
    )
    assert check_source(source, language="typescript") == []
    assert check_source(source, language="typescript", requires=["Store.get", "Button"]) == []


def test_rust_2015_try_macro_parses() -> None:
    source = "fn read() -> Result<u8, E> {\n    let byte = try!(next());\n    Ok(byte)\n}\n"
    assert check_source(source, language="rust") == []


# Names --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", CODE)
def test_definition_spans_cover_each_whole_definition(language: str) -> None:
    sample = SAMPLES[language]
    spans = validators.definition_spans(sample.source, language=language)
    assert set(sample.defines) <= set(spans)
    start, end = spans[sample.scope]
    definition = sample.source[start:end]
    assert definition.endswith(sample.body)  # the signature and its body, nothing after
    header = sample.source[start : sample.source.index(sample.body)]
    assert "\n\n" not in header  # and nothing of the definitions before it
    # Replacing the span replaces the definition and keeps every other character.
    rewritten = sample.source[:start] + "<new>" + sample.source[end:]
    assert rewritten.replace("<new>", definition) == sample.source


def test_definition_spans_count_characters_and_prefer_the_body() -> None:
    source = (
        'const s = "ééé";\nfunction f(a: number): number;\nfunction f(a: number): number {\n  return a;\n}\n'
    )
    start, end = validators.definition_spans(source, language="typescript")["f"]
    assert source[start:end] == "function f(a: number): number {\n  return a;\n}"


def test_definition_spans_are_for_tree_sitter_languages() -> None:
    with pytest.raises(ValueError, match="definition_spans"):
        validators.definition_spans("x = 1\n", language="python")


@pytest.mark.parametrize(
    ("language", "source", "parent", "before"),
    [
        (
            "typescript",
            "export class A {\n  x(): number { return 1; }\n}\nclass B {}\n",
            "A",
            "return 1; }\n",
        ),
        ("typescript", "class B {}\n", "B", "{"),
        ("typescript", "interface I { m(): void }\n", "I", " m(): void "),
        ("java", "package p;\npublic class A {\n    int x;\n}\n", "A", "int x;\n"),
        ("cpp", "struct S {\n  int a;\n};\n", "S", "int a;\n"),
        # Rust: the last inherent `impl`, not the struct's fields nor a trait's impl.
        (
            "rust",
            "struct F { a: i32 }\nimpl F {\n    fn a() {}\n}\n"
            "impl Clone for F {\n    fn clone(&self) -> F { F { a: 1 } }\n}\n",
            "F",
            "fn a() {}\n",
        ),
    ],
)
def test_member_slot_is_the_brace_that_closes_the_body(
    language: str, source: str, parent: str, before: str
) -> None:
    slot = validators.member_slot(source, language=language, parent=parent)
    assert slot is not None and source[slot] == "}" and source[:slot].endswith(before)


def test_member_slot_is_none_where_no_body_holds_members_and_the_end_in_go() -> None:
    assert validators.member_slot("struct F { a: i32 }\n", language="rust", parent="F") is None
    assert validators.member_slot("class A {\n  x(\n", language="typescript", parent="A") is None
    assert validators.member_slot("type T int\n", language="go", parent="T") == len("type T int\n")
    with pytest.raises(ValueError, match="member_slot"):
        validators.member_slot("x = 1\n", language="python", parent="A")


def test_definition_spans_of_a_cut_file_keep_the_whole_definitions() -> None:
    source = SAMPLES["go"].source
    cut = source[: source.index("func New")] + "func New[K comp"
    spans = validators.definition_spans(cut, language="go")
    start, end = spans["Store.Get"]
    assert cut[start:end].startswith("func (s *Store[K]) Get(key K)")
    assert cut[start:end].endswith("return value, nil\n}")


def test_rust_paths_may_be_written_with_colons() -> None:
    sample = SAMPLES["rust"]
    assert check_source(sample.source, language="rust", requires=["Store::put", "codec::encode"]) == []


@pytest.mark.parametrize("name", ["", "a..b", "a b", "Store.", 3])
def test_a_required_name_that_cannot_be_one_is_a_value_error(name: object) -> None:
    with pytest.raises(ValueError, match="required name"):
        check_source("package p\n", language="go", requires=[name])  # type: ignore[list-item]


def test_one_required_name_as_a_string_is_one_name() -> None:
    findings = check_source("package p\n", language="go", requires="Store")
    assert [finding.name for finding in findings] == ["Store"]


def test_a_missing_member_is_reported_at_its_owner() -> None:
    source = SAMPLES["java"].source
    (finding,) = check_source(source, language="java", requires=["Store.put"])
    assert finding.scope == "Store"
    assert finding.message == "required name `Store.put` is not defined in Store"
    assert (finding.line, finding.column) == (6, 14)


def test_scopes_of_findings_are_qualified() -> None:
    source = (
        "package p\n\ntype T struct{}\n\nfunc (t *T) Run() {\n\tfor {\n\t\t// ... rest of the loop body\n"
        "\t\tbreak\n\t}\n}\n"
    )
    (finding,) = check_source(source, language="go")
    assert finding.scope == "T.Run"


def test_columns_count_characters() -> None:
    source = 'const s = "ééé"; function f() {\n  ...\n}\n'
    (finding,) = check_source(source, language="javascript")
    assert (finding.line, finding.column) == (2, 3)
    source = 'const s = "ééé"; const x = (\n'
    (finding,) = check_source(source, language="javascript")
    assert finding.code is Code.TRUNCATED


# Robustness ---------------------------------------------------------------------------


NASTY = [
    "",
    "\n\n\n",
    "\x00\x00{",
    "\ufeffpackage p\n",
    "a\r\nb\rc\n",
    "\ud800 lone surrogate",
    "{" * 20_000,
    "(" * 5_000 + ")" * 5_000,
    '"' * 999,
    "/*" * 1000,
    "#if\n" * 500,
    "`${`${`${",
    "...",
    "…\n…",
]


@pytest.mark.parametrize("language", [*CODE, "json", "toml", "yaml", "markdown"])
@pytest.mark.parametrize("source", NASTY, ids=range(len(NASTY)))
def test_no_source_text_makes_it_raise(language: str, source: str) -> None:
    for finding in check_source(source, language=language):
        assert isinstance(finding, Finding)
        assert finding.line >= 1 and finding.column >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from([*CODE, "json", "toml", "yaml", "markdown"]),
    source=st.text(
        alphabet=st.characters(codec="utf-8") | st.sampled_from(list("{}()[]<>;:,.\"'`/*#\n ")), max_size=300
    ),
)
def test_no_random_text_makes_it_raise(language: str, source: str) -> None:
    for finding in check_source(source, language=language):
        assert finding.line >= 1 and finding.column >= 1


@settings(max_examples=60, deadline=None)
@given(language=st.sampled_from(CODE), data=st.data())
def test_no_cut_of_a_sample_makes_it_raise(language: str, data: st.DataObject) -> None:
    source = SAMPLES[language].source
    end = data.draw(st.integers(0, len(source)))
    check_source(source[:end], language=language, requires=SAMPLES[language].defines)


@pytest.mark.parametrize(
    ("language", "source"),
    [("json", "{}"), ("toml", "a = 1\n"), ("yaml", "a: 1\n"), ("go", "package p\n"), ("markdown", "# T\n")],
)
def test_a_byte_order_mark_is_not_text(language: str, source: str) -> None:
    assert check_source("\ufeff" + source, language=language) == []


def test_a_source_larger_than_max_bytes_is_not_parsed() -> None:
    (finding,) = check_source("x" * 100, language="go", max_bytes=10)
    assert finding.code is Code.TOO_LARGE
    assert check_source("package p\n", language="go", max_bytes=None) == []


# A missing grammar -------------------------------------------------------------------


def test_a_grammar_that_is_not_installed_says_what_to_install() -> None:
    absent = replace(GRAMMARS["go"], module="tree_sitter_absent_for_test", package="tree-sitter-absent")
    with pytest.raises(GrammarMissing) as raised:
        load_grammar(absent)
    assert raised.value.package == "tree-sitter-absent"
    assert raised.value.language == "Go"
    assert "pip install tree-sitter-absent" in str(raised.value)


def test_check_source_raises_grammar_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    load.cache_clear()
    monkeypatch.setitem(sys.modules, "tree_sitter_java", None)  # import fails as if not installed
    try:
        with pytest.raises(GrammarMissing, match="tree-sitter-java"):
            check_source("class A {}\n", language="java")
    finally:
        monkeypatch.undo()
        load.cache_clear()
    assert check_source("class A {}\n", language="java") == []


def test_grammars_load_only_when_used() -> None:
    load.cache_clear()
    check_source("{}", language="json")
    check_source("x = 1\n", language="python")
    assert load.cache_info().currsize == 0


# Real files ---------------------------------------------------------------------------


def _site_packages() -> Path:
    import libcst

    return Path(libcst.__file__).resolve().parent.parent


def test_real_c_files_have_no_error() -> None:
    import mypyc

    lib_rt = Path(mypyc.__file__).parent / "lib-rt"
    files = sorted(lib_rt.glob("*.[ch]"))
    assert len(files) > 20
    flagged = {path.name: errors(check_source(path.read_text("utf-8"), language="c")) for path in files}
    assert {name: found for name, found in flagged.items() if found} == {}


def test_real_markdown_json_toml_and_yaml_files_have_no_finding() -> None:
    root = _site_packages()
    files = {
        "markdown": sorted(root.glob("*/*.md")) + sorted(root.glob("*.dist-info/licenses/*.md")),
        "json": sorted(root.glob("*.dist-info/*.json")),
        "toml": sorted(root.glob("pre_commit/resources/*.toml")),
        "yaml": sorted(root.glob("pre_commit/resources/*.y*ml")) + sorted(root.glob("*/*.yaml")),
    }
    checked = 0
    for language, paths in files.items():
        for path in paths:
            assert check_source(path.read_text("utf-8"), language=language) == [], path
            checked += 1
    assert checked >= 10


# JSON, TOML, YAML ---------------------------------------------------------------------

PACKAGE_JSON = (
    '{\n  "name": "calc",\n  "version": "1.0.0",\n  "scripts": {\n    "test": "node --test"\n  }\n}\n'
)
PYPROJECT = '[project]\nname = "calc"\nversion = "1.0"\n\n[tool.codegen]\nmodel = "x"\n'
WORKFLOW = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"


@pytest.mark.parametrize(
    ("language", "source", "present"),
    [
        ("json", PACKAGE_JSON, ["name", "scripts.test"]),
        ("toml", PYPROJECT, ["project", "project.name", "tool.codegen"]),
        ("yaml", WORKFLOW, ["name", "on", "jobs.test.steps"]),
    ],
)
def test_a_data_file_has_its_required_keys(language: str, source: str, present: list[str]) -> None:
    assert check_source(source, language=language, requires=present) == []
    findings = check_source(source, language=language, requires=[*present, "license", "jobs.lint"])
    assert [finding.name for finding in findings] == ["license", "jobs.lint"]
    assert findings[0].message == "required key `license` is not in the file"


@pytest.mark.parametrize(("language", "source"), [("json", PACKAGE_JSON), ("toml", PYPROJECT)])
def test_a_data_file_cut_anywhere_is_truncated(language: str, source: str) -> None:
    for end in range(1, len(source.rstrip())):
        cut = source[:end]
        if language == "toml" and (cut.endswith("\n") or source[end] == "\n"):
            continue  # a TOML file cut at the end of a line is whole
        assert codes(check_source(cut, language=language)) == [Code.TRUNCATED], repr(cut)


@pytest.mark.parametrize(
    ("language", "source", "line"),
    [
        ("json", '{\n  "a": 1,\n  "b": 2,,\n  "c": 3\n}\n', 3),
        ("json", '{"a": 1} {"b": 2}', 1),
        ("toml", "a = 1\nb = = 2\nc = 3\n", 2),
        ("yaml", "a: 1\n b: 2\nc: 3\n", 2),
        ("yaml", "a: [1, 2\nb: 3\nc: 4\n", 2),
    ],
)
def test_a_mid_file_error_in_a_data_file_is_syntax(language: str, source: str, line: int) -> None:
    (finding,) = check_source(source, language=language)
    assert finding.code is Code.SYNTAX
    assert finding.line == line


def test_yaml_cut_inside_a_bracket_or_string_is_truncated() -> None:
    assert codes(check_source("name: ci\non: [push, pull", language="yaml")) == [Code.TRUNCATED]
    assert codes(check_source('name: "continuous', language="yaml")) == [Code.TRUNCATED]


def test_yaml_values_are_composed_not_built() -> None:
    # An impossible date and an alias bomb are valid YAML: nothing is constructed.
    assert check_source("when: 2001-02-30\n", language="yaml", requires=["when"]) == []
    bomb = 'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c]\n'
    assert check_source(bomb, language="yaml", requires=["d"]) == []


def test_empty_data_files() -> None:
    assert codes(check_source("", language="json")) == [Code.TRUNCATED]
    assert check_source("", language="toml") == []
    assert codes(check_source("", language="yaml", requires=["a"])) == [Code.MISSING]


# Markdown -----------------------------------------------------------------------------

README = """# calc

A calculator.

## Install

````markdown
```sh
pip install calc
```
````

Usage
-----

~~~python
import calc
```
not a fence end
~~~

#hashtag is not a heading
"""


def test_markdown_with_nested_and_tilde_fences_is_whole() -> None:
    assert check_source(README, language="markdown", requires=["calc", "## Install", "usage"]) == []


def test_markdown_cut_inside_a_code_block_is_truncated() -> None:
    for marker in ("pip install", "import calc", "not a fence"):
        cut = README[: README.index(marker) + 3]
        (finding,) = check_source(cut, language="markdown")
        assert finding.code is Code.TRUNCATED
        assert "never closed" in finding.message


def test_markdown_required_headings() -> None:
    findings = check_source(
        README, language="markdown", requires=["Install", "License", "hashtag is not a heading"]
    )
    assert [finding.name for finding in findings] == ["License", "hashtag is not a heading"]
    assert findings[0].message == "required heading 'License' is not in the file"


# JSONC ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("tsconfig.json", "jsonc"),
        ("web/tsconfig.build.json", "jsonc"),
        ("jsconfig.json", "jsonc"),
        (".vscode/settings.json", "jsonc"),
        (".devcontainer/devcontainer.json", "jsonc"),
        ("notes.jsonc", "jsonc"),
        ("package.json", "json"),
        ("tsconfig.yaml", "yaml"),
    ],
)
def test_the_json_that_tools_read_with_comments_is_jsonc(path: str, language: str) -> None:
    assert validators.language_of(path) == language


TSCONFIG = """\
{
  // what the compiler checks
  "compilerOptions": {
    "strict": true, /* always */
    "paths": { "@app//*": ["src/*"] },
  },
}
"""


def test_jsonc_comments_and_trailing_commas_are_read_and_strict_json_refuses_them() -> None:
    assert check_source(TSCONFIG, language="jsonc", requires=["compilerOptions.strict"]) == []
    assert codes(check_source(TSCONFIG, language="json")) == [Code.SYNTAX]
    (missing,) = check_source(TSCONFIG, language="jsonc", requires=["compilerOptions.target"])
    assert missing.code is Code.MISSING


@pytest.mark.parametrize("cut", [20, 70, 95, len(TSCONFIG) - 4])
def test_a_jsonc_file_cut_anywhere_is_truncated(cut: int) -> None:
    assert codes(check_source(TSCONFIG[:cut], language="jsonc")) == [Code.TRUNCATED]


def test_a_jsonc_error_mid_file_is_syntax_where_it_stands() -> None:
    (found,) = check_source('{\n  "a": 1 /* x */ "b": 2\n}\n', language="jsonc")
    assert (found.code, found.line) == (Code.SYNTAX, 2)
