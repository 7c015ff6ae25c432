"""The stitcher on hand-made seams; the property test over the stdlib is in
test_stitch_property.py."""

from __future__ import annotations

import ast

import pytest

from codegen.stitch import Chunk, Draft, extract_code, join_readings, judged_by, stitch

SOURCE = '''\
"""A module."""

import os


class Store:
    """Keeps things."""

    def __init__(self, root):
        self.root = root
        self.items = {}

    def add(self, key, value):
        if key in self.items:
            raise KeyError(key)
        self.items[key] = value

    def path(self, key):
        return os.path.join(self.root, key)
'''


def same_ast(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


def first(chunk: str) -> Chunk:
    return Chunk("Here is the file:\n\n```python\n" + chunk, "start")


def cont(text: str) -> Chunk:
    return Chunk(text, "user_turn")


def split(at: str) -> tuple[str, str]:
    i = SOURCE.index(at)
    return SOURCE[:i], SOURCE[i:]


def test_one_answer_with_prose_and_fences() -> None:
    answer = "Sure! Here is the module.\n\n```python\n" + SOURCE + "```\n\nIt keeps things in a dict.\n"
    assert extract_code(answer) == SOURCE


def test_unfenced_answer_loses_its_prose() -> None:
    answer = "Here is the complete file:\n\n" + SOURCE + "\nThat completes the implementation.\n"
    assert extract_code(answer) == SOURCE


def test_prefill_chunks_concatenate_exactly() -> None:
    head, tail = split("ms[key] = value")
    result = stitch([first(head), Chunk(tail + "```\n", "prefill")])
    assert result.code == SOURCE and result.fence_closed and result.parses


def test_exact_user_turn_continuation_mid_identifier() -> None:
    head, tail = split("ms[key] = value")
    assert stitch([first(head), cont(tail + "```")]).code == SOURCE


def test_prose_and_a_new_fence_at_the_start_of_a_continuation() -> None:
    head, tail = split("    def path")
    text = "Continuing from where I left off:\n\n```python\n" + tail + "```\nDone: the file is complete.\n"
    assert stitch([first(head), cont(text)]).code == SOURCE


def test_repeated_lines_are_dropped() -> None:
    head, tail = split("    def path")
    repeated = "            raise KeyError(key)\n        self.items[key] = value\n\n"
    assert stitch([first(head), cont(repeated + tail + "```")]).code == SOURCE


def test_restarted_method_keeps_one_copy() -> None:
    head, tail = split("if key in self.items:\n            raise")
    restart = SOURCE[SOURCE.index("    def add") : len(head)]
    assert stitch([first(head), cont(restart + tail + "```")]).code == SOURCE


def test_retyped_partial_line() -> None:
    head, tail = split("ms[key] = value")
    retyped = "        self.ite"
    assert stitch([first(head), cont(retyped + tail + "```")]).code == SOURCE


def test_whole_file_restarted() -> None:
    head, _ = split("    def path")
    assert stitch([first(head), cont("```python\n" + SOURCE + "```")]).code == SOURCE


def test_cut_inside_indentation_goes_on_from_next_character() -> None:
    i = SOURCE.index("            raise KeyError") + 4  # four of twelve spaces
    result = stitch([first(SOURCE[:i]), cont(SOURCE[i:] + "```")])
    assert result.code == SOURCE


def test_a_first_line_that_finishes_the_cut_line_is_not_prose() -> None:
    code = "try:\n    x = 1\nexcept ValueError as e:\n    raise\n"
    i = code.index("ValueError")
    assert stitch([first(code[:i]), cont(code[i:] + "```")]).code == code


def test_docstring_text_at_a_seam_is_kept() -> None:
    code = 'def f():\n    """Return it.\n\n    Here is an example:\n        f()\n    """\n    return 1\n'
    i = code.index("    Here is")
    assert stitch([first(code[:i]), cont(code[i:] + "```")]).code == code


def test_a_fence_inside_a_string_is_code() -> None:
    code = 'DOC = """\n```\nnot a fence\n```\n"""\nX = 1\n'
    assert stitch([first(code + "```\n")]).code == code


def test_open_fence_means_the_answer_was_cut() -> None:
    head, _ = split("    def path")
    result = stitch([first(head)])
    assert not result.fence_closed


def test_readings_offer_both_sides_of_an_ambiguous_seam() -> None:
    # Cut inside an indentation run: the exact continuation first.
    readings = list(join_readings("x = 1\n    ", "        y = 2\n"))
    assert readings[0] == "x = 1\n            y = 2\n"
    assert "x = 1\n        y = 2\n" in readings
    # Exactly the cut whitespace again, a depth the file indents to: the line typed
    # again at its own depth first.
    readings = list(join_readings("if a:\n    x = 1\n    ", "    y = 2\n"))
    assert readings[0] == "if a:\n    x = 1\n    y = 2\n"
    assert "if a:\n    x = 1\n        y = 2\n" in readings
    # ... a depth it does not: the rest of an indentation.
    readings = list(join_readings("x = 1\n    ", "    y = 2\n"))
    assert readings[0] == "x = 1\n        y = 2\n"


def test_a_line_typed_again_after_a_cut_at_the_end_of_its_indentation() -> None:
    # pprint, seen in the benchmark: both readings parse, only one is the file. Joined
    # as an exact continuation the class attribute would move into the method above.
    code = (
        "class P:\n    def f(self):\n        write('})')\n\n"
        "    _dispatch[repr] = f\n\n    def g(self):\n        pass\n"
    )
    i = code.index("_dispatch")
    assert stitch([first(code[:i]), cont("    " + code[i:] + "```")]).code == code


def test_parse_decides_between_readings() -> None:
    # "if x:" needs an indented body: only the continuation reading parses.
    code = "if x:\n        y = 2\n"
    result = stitch([first("if x:\n    "), cont("    y = 2\n```")])
    assert result.parses and same_ast(result.code, code)


def test_no_chunks_gives_no_code() -> None:
    assert stitch([]).code == ""


def test_an_answer_cut_right_after_its_opening_fence_and_started_over() -> None:
    # Found by the property test: nothing but the preface and the fence came before.
    chunks = [
        Chunk("Sure! Here's `m.py`.\n\n```python"),
        Chunk("Sure! Here's `m.py`.\n\n```python\nx = 1\n```", "user_turn"),
    ]
    assert stitch(chunks).code == "x = 1\n"


def test_a_cut_inside_the_closing_fence_and_the_fence_typed_again() -> None:
    # Found by the lazy-author benchmark (base64, user turns).
    chunks = [Chunk("```python\nx = 1\n``"), Chunk("```\n\nDone.", "user_turn")]
    assert stitch(chunks).code == "x = 1\n"


def test_a_short_run_typed_again_is_read_by_the_names_the_file_uses() -> None:
    # calendar and ftplib, seen in the benchmark: a cut after `c` (or `>>`) and the line
    # typed again. `cc` is no name of the file; `>>>>>` is no prompt of its doctest.
    code = "c = TextCalendar()\n\nfirstweekday = c.getfirstweekday\n"
    assert stitch([first("c"), cont(code + "```")]).code == code
    doc = 'DOC = """\n>>> ftp.quit()\n\'221 Goodbye.\'\n>>>\n\nA test.\n"""\n'
    i = doc.index(">>>\n\nA") + 2
    assert stitch([first(doc[:i]), cont(doc[i - 2 :] + "```")]).code == doc


def test_a_short_run_continued_exactly_stays_exact() -> None:
    # `___x` cut after `_`, the file naming `___x` and not `__x`: the exact
    # continuation is kept.
    code = "___x = 1\ny = ___x\n"
    assert stitch([first("_"), cont(code[1:] + "```")]).code == code


def test_the_rest_of_an_indent_split_with_its_blank_line_goes_on_exactly() -> None:
    # bz2 and os, seen in the benchmark: `\n\n  ` + `  compresslevel` inside a
    # docstring. Two spaces is no whole depth, even where a line of the file starts at
    # two: the answer goes on from the next character.
    for above in ("", "#  two spaces\n  x = 1\n"):
        code = above + 'def compress(data):\n    """Compress.\n\n    compresslevel, if given.\n    """\n'
        i = code.index("compresslevel") - 2
        assert stitch([first(code[:i]), cont(code[i:] + "```")]).code == code


# -- alignment: continuations placed wherever they open on the text so far ------------

CLASS = SOURCE[SOURCE.index("class Store:") :]


def test_a_restart_of_a_block_longer_than_one_answer_adds_nothing() -> None:
    # Cut in `path`, the model starts the whole class over and is cut again before it
    # gets back to the cut: that answer is wholly a repeat.
    cut = SOURCE.index("os.path.join(")
    restart = "```python\n" + CLASS[: CLASS.index("self.items[key]")]
    rest = SOURCE[cut:]
    code = stitch([first(SOURCE[:cut]), cont(restart), cont(rest + "```\n")]).code
    assert code == SOURCE


def test_a_continuation_from_the_models_own_last_message_is_placed_where_it_opens() -> None:
    # The repeat stopped inside `self.items[key] = value`; the next answer goes on from
    # there (`[key] = value`), through text written two answers ago, past the true cut.
    cut = SOURCE.index("os.path.join(")
    stop = CLASS.index("[key] = value")
    restart = "```python\n" + CLASS[:stop]
    lost = CLASS[stop:] + "```\n"
    code = stitch([first(SOURCE[:cut]), cont(restart), cont(lost)]).code
    assert code == SOURCE


def test_a_restart_that_turns_away_from_what_was_written_adds_nothing() -> None:
    cut = SOURCE.index("os.path.join(")
    other = "```python\n    def path(self, key):\n        key = str(key)\n"
    code = stitch([first(SOURCE[:cut]), cont(other), cont(SOURCE[cut:] + "```\n")]).code
    assert code == SOURCE


def test_a_line_the_file_holds_twice_typed_again_at_the_cut_is_new_code() -> None:
    # The cut line opens like a docstring written earlier in the file (copied between two
    # classes): the continuation types the cut line again, and goes on with new text.
    doc = '    """Keeps things.\n\n    Add them one at a time.\n    """\n'
    source = f"class A:\n{doc}    a = 1\n\n\nclass B:\n{doc}    b = 2\n"
    cut = source.index("Keeps", source.index("class B")) + 2
    again = "```python\n" + source[source.rfind("\n", 0, cut) + 1 :] + "```\n"
    code = stitch([first(source[:cut]), cont(again)]).code
    assert same_ast(code, source)


def test_a_continuation_that_skips_to_the_next_definition_is_recorded() -> None:
    cut = SOURCE.index("raise KeyError")
    skipped = "```python\n    def path(self, key):\n        return os.path.join(self.root, key)\n```\n"
    result = stitch([first(SOURCE[: cut + 5]), cont(skipped)])
    lines = result.code.splitlines()
    [line] = result.unfinished
    assert lines[line - 1] == "            raise"
    assert lines[line] == "    def path(self, key):"


def test_a_continuation_that_finishes_the_definition_is_not_a_skip() -> None:
    cut = SOURCE.index("    def path")
    result = stitch([first(SOURCE[:cut]), cont("```python\n" + SOURCE[cut:] + "```\n")])
    assert result.code == SOURCE and result.unfinished == ()
    # Cut at a line end, a new fence opening the next definition may be a skip: the
    # text cannot tell, so the definition before is named as unsure.
    lines = result.code.splitlines()
    [line] = result.unsure
    assert lines[line - 1] == "        self.items[key] = value"


def test_a_skip_after_a_cut_at_a_line_end_is_unsure() -> None:
    cut = SOURCE.index("        self.items[key]")
    skipped = "```python\n" + SOURCE[SOURCE.index("    def path") :] + "```\n"
    result = stitch([first(SOURCE[:cut]), cont(skipped)])
    lines = result.code.splitlines()
    assert result.unfinished == ()
    [line] = result.unsure
    assert lines[line - 1] == "            raise KeyError(key)"


def test_the_first_answer_of_a_finish_is_not_judged_a_skip() -> None:
    cut = SOURCE.index("    def path")
    answer = Chunk("```python\n" + SOURCE[cut:] + "```\n", "answer")
    result = stitch([first(SOURCE[:cut]), answer])
    assert result.code == SOURCE and result.unfinished == () and result.unsure == ()


def test_a_new_line_after_a_cut_inside_the_indentation_is_not_nested() -> None:
    # `def path` glued to the cut `   ` would nest it in `add`, and that parses too.
    source = "def add(key):\n    return key\n\n\ndef path(key):\n    return key\n"
    cut = source.index("def path") + len("def path(key):\n   ")
    skipped = "```python3\n" + "def other(key):\n    return key\n```\n"
    result = stitch([first(source[:cut]), cont(skipped)])
    assert "\ndef other(key):" in result.code and "    def other" not in result.code
    assert not result.parses  # `path` has no body: the validators see it, a repair follows


def test_a_fault_above_a_seam_does_not_choose_its_reading() -> None:
    # `f` was left cut by a skip (the file no longer parses above the seam). At the
    # seam, the line typed again must still win over the glued `"""Get    """Get`,
    # which leaves a string open and so reads as "only cut".
    before = 'def f(x):\n    if x.\ndef g(a):\n    return a\n\n\ndef get(p):\n    """Get'
    again = '    """Get a thing.\n\n    More.\n    """\n    return p\n'
    code = stitch([first(before), cont(again)]).code
    assert '    """Get a thing.\n' in code and '"""Get    """' not in code


def test_a_skip_from_a_function_with_a_string_at_column_0_is_seen() -> None:
    # The text of `head` at column 0 would end `text` for a reading by indentation.
    source = 'def text(a):\n    head = """\nA problem\n"""\n    for y in a:\n        z = 1\n'
    skipped = "```python\ndef other():\n    return 2\n```\n"
    result = stitch([first(source + "   "), cont(skipped)])
    lines = result.code.splitlines()
    [line] = result.unsure
    assert lines[line - 1] == "        z = 1"


def test_a_remark_after_code_in_a_fence_never_closed_is_dropped() -> None:
    # The answer had no fence; a continuation opened one, and ended with a remark
    # instead of closing it.
    cut = SOURCE.index("    def path")
    chunks = [
        Chunk(SOURCE[:cut], "start"),
        cont("Continuing:\n\n```python3\n" + SOURCE[cut:] + "\nThis completes `store.py`."),
    ]
    assert stitch(chunks).code == SOURCE


def test_an_answer_that_types_an_earlier_function_again_adds_nothing() -> None:
    # Qwen2.5-Coder-0.5B, asked for the rest of a file cut after whole lines, typed an
    # earlier function again and stopped: two lines, but a whole top-level definition.
    kept = "```python\ndef a():\n    return 1\n\ndef peek(x):\n    if not x\n"
    again = "```python\ndef a():\n    return 1\n```"
    for joins in ("user_turn", "answer"):
        assert (
            stitch([Chunk(kept), Chunk(again, joins)]).code
            == "def a():\n    return 1\n\ndef peek(x):\n    if not x\n"
        )


def test_a_cut_in_an_indentation_is_no_line_when_the_answer_goes_on_from_the_line_before() -> None:
    # The quote shows whole lines ("continue from exactly after the last line shown"), so
    # the answer opens with the newline that ends that line. The double's lazy author
    # did; kept, the three spaces were a blank line, inside a docstring of `imp` too.
    code = stitch(
        [
            Chunk('```python\ndef f():\n    """One\n    two\n   '),
            Chunk('\n    three"""\n    return 1\n```', "user_turn"),
        ]
    ).code
    assert code == 'def f():\n    """One\n    two\n    three"""\n    return 1\n'
    code = stitch(
        [Chunk("```python\ndef f():\n    x = 1\n   "), Chunk("```python\n\n    return x\n```", "user_turn")]
    ).code
    assert code == "def f():\n    x = 1\n    return x\n"


@pytest.mark.parametrize(
    ("language", "head", "tail"),
    [
        (
            "typescript",
            "export function total(xs: number[]): number {\n  let sum = 0;\n  for (const x of xs) {\n"
            "    sum += x;\n  }\n  retu",
            "rn sum;\n}\n",
        ),
        (
            "go",
            "package p\n\nfunc Total(xs []int) int {\n\tsum := 0\n\tfor _, x := ra",
            "nge xs {\n\t\tsum += x\n\t}\n\treturn sum\n}\n",
        ),
        (
            "javascript",
            "function f(a) {\n  const b = a.map((x) => x * 2)\n  ret",
            "urn b.filter(Boolean)\n}\n",
        ),
    ],
)
def test_a_tree_sitter_language_judges_a_seam_as_python_does(language: str, head: str, tail: str) -> None:
    # Cut inside a word; the next answer, after a sentence and a new fence, goes on from
    # the very next character: only the language's parser says the two halves are one line
    # (where both readings parse, `su` and `m += x` by automatic semicolons, it cannot).
    fence = "```" + {"typescript": "ts", "go": "go", "javascript": "js"}[language]
    chunks = [Chunk(f"{fence}\n" + head), Chunk(f"Continuing:\n\n{fence}\n" + tail + "```", "user_turn")]
    assert stitch(chunks, python=False, language=language).code == head + tail
    assert stitch(chunks, python=False).code != head + tail  # (no parser: the likeliest reading)


def test_a_continuations_draft_reads_its_seams_in_the_files_language() -> None:
    # The code a continuation loop quotes back to the model as it goes (`Draft.code`).
    head = "function f(a) {\n  const b = a.map((x) => x * 2)\n  ret"
    draft = Draft("javascript")
    for chunk in [Chunk("```js\n" + head), Chunk("Continuing:\n\n```js\nurn b\n}\n```", "user_turn")]:
        draft.add(chunk)
    assert draft.code.startswith(head + "urn b\n}")
    assert judged_by("javascript") == "javascript" and judged_by("c") == judged_by(None) == ""
