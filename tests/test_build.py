"""One file's pipeline and a spec's files, against the Messages API double."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codegen import prompts
from codegen.build import BuildOptions, build_spec, incomplete_dir
from codegen.errors import EXIT_API, EXIT_FINDINGS, EXIT_OK, UsageError
from codegen.spec import load_spec
from codegen.testing import FakeStreamer, answer, cut
from tests.double import MessagesDouble, ModuleAuthor, ScriptedAuthor, Seams, replies
from tests.support import MODULES, STDLIB, client_for, fake_of, same_as_formatted, write_spec


@pytest.mark.parametrize(
    ("model", "prefill", "prefill_attempts"),
    [
        ("claude-haiku-4-5", True, "all"),  # a 4.5 model: prefill works
        ("claude-sonnet-5-5", False, 0),  # the table knows it refuses: never tried
        ("local-model", False, 1),  # unknown: tried once, refused, remembered
    ],
)
def test_stdlib_modules_come_back_exactly_at_512_tokens(
    tmp_path: Path, model: str, prefill: bool, prefill_attempts: int | str
) -> None:
    targets = {f"lib/{m}.py": (STDLIB / f"{m}.py").read_text() for m in MODULES}
    author = ModuleAuthor(targets, prefill_accepted=prefill, seams=Seams(seed=7))
    double = MessagesDouble(author, delta_chars=200)
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": p, "prompt": "x"} for p in targets],
            model=model,
            max_tokens=512,
            max_continuations=200,
        )
    )
    result = build_spec(spec, BuildOptions(), client=client_for(double))
    double.check()
    assert result.exit_code == EXIT_OK
    for f in result.files:
        assert f.status == "written" and f.continuations > 0
        assert same_as_formatted(tmp_path / f.path, targets[f.path])
    prefills = [r for r in double.requests if r["messages"][-1]["role"] == "assistant"]
    if prefill_attempts == "all":
        assert not author.continuations and len(prefills) == len(double.requests) - len(targets)
    else:
        assert len(prefills) == prefill_attempts and author.continuations


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "local-model"])
def test_a_model_with_prices_continues_by_line_prefill_and_reads_its_history_from_the_cache(
    tmp_path: Path, model: str
) -> None:
    targets = {"lib/glob.py": (STDLIB / "glob.py").read_text()}
    author = ModuleAuthor(targets, prefill_accepted=True, seams=Seams(seed=7), min_cache_tokens=1024)
    double = MessagesDouble(author, delta_chars=200)
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": p, "prompt": "x"} for p in targets],
            model=model,
            max_tokens=512,
            max_continuations=50,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=client_for(double)).files
    double.check()
    assert f.status == "written" and f.continuations > 3
    assert same_as_formatted(tmp_path / f.path, targets[f.path])
    continued = [r["messages"] for r in double.requests[1:]]
    assert all(m[-1]["role"] == "assistant" for m in continued)  # prefill every time
    if model == "claude-haiku-4-5":
        # The cut turn, a user turn, the line it stopped in: the history is read from the cache.
        assert all(len(m) == 2 * k + 2 for k, m in enumerate(continued, start=1))
        assert all(m[-2]["content"][0]["text"] == prompts.CONTINUE_LINE for m in continued)
        assert f.usage.cache_read_tokens > f.usage.input_tokens
    else:
        # No prices, no saving to make: the answer so far is the one final turn.
        assert all(len(m) == 2 for m in continued)


def test_a_dependency_is_written_first_and_given_as_context(tmp_path: Path) -> None:
    targets = {"pkg/a.py": "A = 1\n", "pkg/b.py": "from pkg.a import A\n\nB = A + 1\n"}
    fake = fake_of(ModuleAuthor(targets))
    spec = load_spec(
        write_spec(
            tmp_path,
            [
                {"path": "pkg/b.py", "prompt": "b", "depends_on": ["pkg/a.py"]},
                {"path": "pkg/a.py", "prompt": "a"},
            ],
        )
    )
    result = build_spec(spec, BuildOptions(), client=fake)
    assert [f.path for f in result.files] == ["pkg/a.py", "pkg/b.py"]
    prompt_of_b = fake.requests[-1]["messages"][0]["content"][0]["text"]
    assert "`pkg/a.py`, already written" in prompt_of_b and "A = 1" in prompt_of_b


def test_an_incomplete_file_never_replaces_the_destination(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("GOOD = True\n")
    fake = FakeStreamer([cut("```python\ndef f(x):\n    return (x +")])
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}], max_continuations=0))
    # Even with --force (a.py was not written by codegen) a cut answer replaces nothing.
    result = build_spec(spec, BuildOptions(force=True), client=fake)
    [f] = result.files
    assert f.status == "incomplete" and result.exit_code == EXIT_FINDINGS
    assert (tmp_path / "a.py").read_text() == "GOOD = True\n"
    kept = incomplete_dir(spec) / "a.py"
    assert f.kept == str(kept) and kept.read_text().startswith("def f(x):")


def test_a_complete_answer_that_does_not_parse_is_kept_not_written(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```python\nx = = 1\ny = 2\n```")])
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}], max_repairs=0))
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "incomplete" and "[syntax]" in f.detail
    assert not (tmp_path / "a.py").exists()


def test_a_refusal_is_reported_and_exits_1(tmp_path: Path) -> None:
    fake = fake_of(ScriptedAuthor([replies.refusal("bio")]))
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}]))
    result = build_spec(spec, BuildOptions(), client=fake)
    assert result.files[0].status == "refused" and "bio" in result.files[0].detail
    assert result.exit_code == EXIT_FINDINGS


def test_a_language_no_validator_reads_is_written_and_said_not_validated(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```ini\n[tool]\nname = x\n```"), answer("```toml\n[tool]\nname = 'x'\n```")])
    spec = load_spec(
        write_spec(tmp_path, [{"path": "conf.ini", "prompt": "x"}, {"path": "conf.toml", "prompt": "y"}])
    )
    ini, toml = build_spec(spec, BuildOptions(jobs=1), client=fake).files
    assert ini.status == "written" and "not validated" in ini.detail
    assert toml.status == "written" and toml.validated and "not validated" not in toml.detail
    assert (tmp_path / "conf.toml").read_text() == "[tool]\nname = 'x'\n"


def test_a_second_build_with_nothing_changed_calls_nothing(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```python\nX = 1\n```")])
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}]))
    assert build_spec(spec, BuildOptions(), client=fake).files[0].status == "written"
    mtime = (tmp_path / "a.py").stat().st_mtime_ns
    again = build_spec(spec, BuildOptions(), client=fake)
    assert again.files[0].status == "unchanged" and again.exit_code == EXIT_OK
    assert len(fake.requests) == 1 and (tmp_path / "a.py").stat().st_mtime_ns == mtime


def test_the_same_code_again_is_not_rewritten(tmp_path: Path) -> None:
    answer = replies.text("```python\nX = 1\n```")
    fake = fake_of(ScriptedAuthor([answer, answer]))
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}]))
    build_spec(spec, BuildOptions(), client=fake)
    mtime = (tmp_path / "a.py").stat().st_mtime_ns
    changed = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x, again"}]))
    assert build_spec(changed, BuildOptions(), client=fake).files[0].status == "unchanged"
    assert len(fake.requests) == 2 and (tmp_path / "a.py").stat().st_mtime_ns == mtime


def test_hand_edits_are_kept_unless_forced(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```python\nX = 1\n```")])
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}]))
    build_spec(spec, BuildOptions(), client=fake)
    (tmp_path / "a.py").write_text("X = 1  # mine\n")
    kept = build_spec(spec, BuildOptions(), client=fake)
    assert kept.files[0].status == "skipped" and "edited by hand" in kept.files[0].detail
    assert kept.exit_code == EXIT_FINDINGS and len(fake.requests) == 1
    assert (tmp_path / "a.py").read_text() == "X = 1  # mine\n"
    # --force puts the generated file back; its answer is journalled, so no call is made.
    forced = build_spec(spec, BuildOptions(force=True), client=fake)
    assert forced.files[0].status == "written" and (tmp_path / "a.py").read_text() == "X = 1\n"
    assert len(fake.requests) == 1 and forced.files[0].replayed == 1


def test_an_api_failure_fails_that_file_and_the_others_carry_on(tmp_path: Path) -> None:
    bad = replies.overloaded()
    double = MessagesDouble(ScriptedAuthor([bad, replies.text("```python\nB = 2\n```")]))
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}]))
    result = build_spec(spec, BuildOptions(), client=client_for(double))
    assert [f.status for f in result.files] == ["failed", "written"]
    assert "529" in result.files[0].detail and result.exit_code == EXIT_API


def test_a_file_whose_dependency_failed_is_skipped(tmp_path: Path) -> None:
    fake = fake_of(ScriptedAuthor([replies.refusal()]))
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b", "depends_on": ["a.py"]}],
        )
    )
    result = build_spec(spec, BuildOptions(), client=fake)
    assert [f.status for f in result.files] == ["refused", "skipped"]
    assert len(fake.requests) == 1


def test_max_cost_stops_before_a_call_that_could_pass_it(tmp_path: Path) -> None:
    long_answer = "```python\n" + "".join(f"A{i} = {i}\n" for i in range(1000)) + "```"
    fake = FakeStreamer([answer(long_answer)])
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}],
            model="claude-sonnet-5-5",
            max_tokens=8192,
        )
    )
    # A call can cost up to 8192 output tokens at $10/MTok, about $0.08: the first fits
    # under $0.10, and once it has spent a few cents the second does not.
    result = build_spec(spec, BuildOptions(max_cost=0.1), client=fake)
    assert [f.status for f in result.files] == ["written", "incomplete"]
    assert result.files[0].cost is not None and result.files[0].cost > 0.02
    assert "--max-cost" in result.files[1].detail and len(fake.requests) == 1
    assert result.exit_code == EXIT_FINDINGS


def test_max_cost_stops_a_finish_in_another_language_and_nothing_more_is_asked(tmp_path: Path) -> None:
    long_cut = (
        "```ts\n" + "".join(f"export const a{i} = {i};\n" for i in range(1000)) + "export const b = (\n```"
    )
    fake = FakeStreamer([answer(long_cut)])
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "a.ts", "prompt": "a", "requires": ["c"]}],
            model="claude-sonnet-5-5",
            max_tokens=8192,
        )
    )
    # The first call fits under $0.10; the finish could pass it, so it is not sent, and
    # the add of the missing `c` is not tried after it.
    [f] = build_spec(spec, BuildOptions(max_cost=0.1), client=fake).files
    assert f.status == "incomplete" and len(fake.requests) == 1
    assert [(r.action, r.outcome) for r in f.repairs] == [("finish", "failed")]
    assert "--max-cost" in f.repairs[0].detail


def test_max_cost_needs_known_prices(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "a"}], model="local-llama"))
    with pytest.raises(UsageError, match="needs prices"):
        build_spec(spec, BuildOptions(max_cost=1.0), client=None)


def test_unknown_model_costs_are_unknown(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```python\nA = 1\n```")])
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "a"}], model="local-llama"))
    result = build_spec(spec, BuildOptions(), client=fake)
    assert result.files[0].status == "written" and result.files[0].cost is None
    assert result.cost is None


def test_dry_run_and_only_call_nothing_else(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```python\nB = 2\n```")])
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}]))
    planned = build_spec(spec, BuildOptions(dry_run=True), client=None)
    assert [f.status for f in planned.files] == ["planned", "planned"]
    only = build_spec(spec, BuildOptions(only=("b.py",)), client=fake)
    assert [f.path for f in only.files] == ["b.py"] and len(fake.requests) == 1
    with pytest.raises(UsageError, match="has no file"):
        build_spec(spec, BuildOptions(only=("c.py",)), client=None)


def test_a_file_with_findings_is_kept_not_written(tmp_path: Path) -> None:
    lazy = (
        "```python\nclass Store:\n    def add(self, x):\n"
        "        # ... rest of implementation\n        pass\n```"
    )
    fake = FakeStreamer([answer(lazy)])
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "store.py", "prompt": "x", "requires": ["Store.add", "Store.remove"]}],
            max_repairs=0,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "incomplete" and not (tmp_path / "store.py").exists()
    assert {str(g.code) for g in f.findings} == {"placeholder", "missing"}
    assert f.kept is not None and Path(f.kept).read_text().startswith("class Store:")


def test_a_build_records_its_files_into_the_lock_file_as_it_is_now_not_as_it_read_it(tmp_path: Path) -> None:
    from codegen import lock

    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}]))
    client = FakeStreamer([answer("```python\nA = 1\n```"), answer("```python\nB = 2\n```")])
    assert build_spec(spec, BuildOptions(only=("a.py",)), client=client).exit_code == EXIT_OK
    # The records as a build read them at its start, before another build recorded b.py.
    stale = lock.load(spec)
    assert build_spec(spec, BuildOptions(only=("b.py",)), client=client).exit_code == EXIT_OK
    record = lock.load(spec)["a.py"]
    lock.save(spec, {**stale, "a.py": record}, ["a.py"])
    assert sorted(lock.load(spec)) == ["a.py", "b.py"]


def test_outputs_and_the_lock_file_respect_the_umask(tmp_path: Path) -> None:
    fake = FakeStreamer([answer("```python\nA = 1\n```"), answer("```python\nB = 1\n```")])
    spec = load_spec(
        write_spec(tmp_path, [{"path": "pkg/a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}])
    )
    (tmp_path / "b.py").write_text("B = 0\n")
    (tmp_path / "b.py").chmod(0o640)
    old = os.umask(0o077)
    try:
        result = build_spec(spec, BuildOptions(force=True), client=fake)
    finally:
        os.umask(old)
    assert [f.status for f in result.files] == ["written", "written"]
    modes = {p: stat.S_IMODE((tmp_path / p).stat().st_mode) for p in ("pkg/a.py", "pkg", "spec.lock", "b.py")}
    # New: 0o666 (folders 0o777) less the umask, as the journal is; b.py keeps its own.
    assert modes == {"pkg/a.py": 0o600, "pkg": 0o700, "spec.lock": 0o600, "b.py": 0o640}


def test_a_comment_only_method_body_is_regenerated_by_its_lines_with_no_traceback(tmp_path: Path) -> None:
    spec = load_spec(
        write_spec(
            tmp_path,
            [
                {"path": "a.py", "prompt": "a", "requires": ["A.run", "A.stop"]},
                {"path": "b.py", "prompt": "b"},
            ],
        )
    )
    # Not Python: `def run` has a comment for a body, and `ast` refuses the file.
    first = (
        "```python\nclass A:\n    def run(self):\n        # ... implementation omitted ...\n\n"
        "    def stop(self):\n        return 2\n```"
    )
    client = FakeStreamer(
        [first, "```python\n    def run(self):\n        return 1\n```", "```python\nB = 1\n```"]
    )
    result = build_spec(spec, BuildOptions(jobs=1), client=client)
    a, b = result.files
    assert (a.status, b.status) == ("written", "written"), (a.detail, b.detail)
    assert [(r.action, r.target, r.outcome) for r in a.repairs] == [("regenerate", "A.run", "applied")]
    assert "return 1" in (tmp_path / "a.py").read_text()


def test_an_unexpected_error_on_one_file_stops_that_file_alone_and_counts_its_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import codegen.build.file

    choose = codegen.build.file.choose

    def crash_on_a(text: str, path: str, requires: tuple[str, ...], *, python: bool) -> object:
        if path == "a.py":
            raise RuntimeError("injected")
        return choose(text, path, requires, python=python)

    monkeypatch.setattr(codegen.build.file, "choose", crash_on_a)
    spec = load_spec(write_spec(tmp_path, [{"path": p, "prompt": p} for p in ("a.py", "b.py", "c.py")]))
    client = FakeStreamer(respond=lambda request: answer("```python\nX = 1\n```"))
    result = build_spec(spec, BuildOptions(jobs=2), client=client)
    statuses = {f.path: (f.status, f.detail, f.calls) for f in result.files}
    assert statuses["b.py"][0] == statuses["c.py"][0] == "written"
    status, detail, calls = statuses["a.py"]
    assert status == "incomplete" and calls == 1
    assert detail.startswith("internal error: RuntimeError: injected (") and "please report it" in detail
    assert result.exit_code == EXIT_FINDINGS


def test_files_in_other_languages_are_checked_by_their_validators_before_they_are_written(
    tmp_path: Path,
) -> None:
    spec = load_spec(
        write_spec(
            tmp_path,
            [
                {"path": "src/app.ts", "prompt": "the app", "requires": ["main"]},
                {"path": "cut.ts", "prompt": "cut"},
                {"path": "conf.txt", "prompt": "config", "language": "json"},
            ],
            max_repairs=0,  # checked only: the repairs are the tests below
        )
    )
    client = FakeStreamer(
        [
            "```typescript\nexport function main(): number {\n  return 1;\n}\n```",
            # Complete as an answer, but the code stops inside the function.
            "```typescript\nexport function f(x: number): number {\n  return (x +\n```",
            '```json\n{"name": "x", "deps": [1, 2\n```',
        ]
    )
    result = build_spec(spec, BuildOptions(jobs=1), client=client)
    app, cut_ts, conf = result.files
    assert app.status == "written" and app.validated and "not validated" not in app.detail
    assert cut_ts.status == "incomplete" and cut_ts.findings[0].code == "truncated"
    assert not (tmp_path / "cut.ts").exists()
    assert conf.status == "incomplete" and conf.findings and not (tmp_path / "conf.txt").exists()


def test_a_typescript_file_that_stops_early_is_finished_by_its_own_conversation(tmp_path: Path) -> None:
    # Complete as an answer, but the code stops inside a function (an early end_turn).
    first = "```typescript\nexport function f(x: number): number {\n  return (x +\n```"
    rest = "```typescript\n    1);\n}\n\nexport function g(): number {\n  return f(1);\n}\n```"
    double = MessagesDouble(ScriptedAuthor([replies.text(first), replies.text(rest)]))
    spec = load_spec(write_spec(tmp_path, [{"path": "cut.ts", "prompt": "cut", "requires": ["g"]}]))
    result = build_spec(spec, BuildOptions(), client=client_for(double))
    double.check()
    [f] = result.files
    assert f.status == "written", f.detail
    assert [(r.action, r.outcome) for r in f.repairs] == [("finish", "applied")]
    assert (tmp_path / "cut.ts").read_text() == (
        "export function f(x: number): number {\n  return (x +\n    1);\n}\n\n"
        "export function g(): number {\n  return f(1);\n}\n"
    )
    ask = str(double.requests[1]["messages"][-1]["content"])
    assert "Your answer ended before the file was complete" in ask and "`g`" in ask


@pytest.mark.parametrize(
    ("path", "first", "answer", "expected"),
    [
        (
            "store.ts",
            "```ts\nexport class Store {\n  size(): number {\n    return 0;\n  }\n}\n```",
            "```ts\nclear(): void {\n  this.items = [];\n}\n```",
            "export class Store {\n  size(): number {\n    return 0;\n  }\n\n"
            "  clear(): void {\n    this.items = [];\n  }\n}\n",
        ),
        (
            "lib.rs",
            "```rust\npub struct Store {\n    n: u32,\n}\n\nimpl Store {\n"
            "    pub fn size(&self) -> u32 {\n        self.n\n    }\n}\n```",
            "```rust\nimpl Store {\n    pub fn clear(&mut self) {\n        self.n = 0;\n    }\n}\n```",
            "pub struct Store {\n    n: u32,\n}\n\nimpl Store {\n    pub fn size(&self) -> u32 {\n"
            "        self.n\n    }\n\n    pub fn clear(&mut self) {\n        self.n = 0;\n    }\n}\n",
        ),
        (
            "store.go",
            "```go\npackage store\n\ntype Store struct {\n\tn int\n}\n```",
            "```go\nfunc (s *Store) Clear() {\n\ts.n = 0\n}\n```",
            "package store\n\ntype Store struct {\n\tn int\n}\n\nfunc (s *Store) Clear() {\n\ts.n = 0\n}\n",
        ),
        (
            "Store.java",
            "```java\nclass Store {\n\tint n;\n}\n```",
            "```java\nclass Store {\n    void clear() {\n        n = 0;\n    }\n}\n```",
            "class Store {\n\tint n;\n\n\tvoid clear() {\n\t\tn = 0;\n\t}\n}\n",  # its tabs
        ),
    ],
)
def test_a_required_member_left_out_is_added_in_the_body_it_belongs_to(
    tmp_path: Path, path: str, first: str, answer: str, expected: str
) -> None:
    member = "Store.Clear" if path.endswith(".go") else "Store.clear"
    double = MessagesDouble(ScriptedAuthor([replies.text(first), replies.text(answer)]))
    spec = load_spec(write_spec(tmp_path, [{"path": path, "prompt": "a store", "requires": [member]}]))
    result = build_spec(spec, BuildOptions(), client=client_for(double))
    double.check()
    [f] = result.files
    assert f.status == "written", f.detail
    assert [(r.action, r.target, r.outcome) for r in f.repairs] == [("add", member, "applied")]
    assert (tmp_path / path).read_text() == expected
    assert f"Write the complete definition of `{member}`" in str(double.requests[1]["messages"])


def test_an_added_definition_brings_the_import_it_needs(tmp_path: Path) -> None:
    first = '```ts\nimport { readFileSync } from "node:fs";\n\nexport const a = 1;\n```'
    answer = (
        '```ts\nimport { join } from "node:path";\nimport { readFileSync } from "node:fs";\n\n'
        'export function load(dir: string): string {\n  return readFileSync(join(dir, "x"), "utf8");\n}\n```'
    )
    double = MessagesDouble(ScriptedAuthor([replies.text(first), replies.text(answer)]))
    spec = load_spec(write_spec(tmp_path, [{"path": "load.ts", "prompt": "a loader", "requires": ["load"]}]))
    [f] = build_spec(spec, BuildOptions(), client=client_for(double)).files
    double.check()
    assert f.status == "written", f.detail
    assert (tmp_path / "load.ts").read_text() == (
        'import { readFileSync } from "node:fs";\nimport { join } from "node:path";\n\n'
        "export const a = 1;\n\nexport function load(dir: string): string {\n"
        '  return readFileSync(join(dir, "x"), "utf8");\n}\n'
    )


def test_a_missing_top_level_definition_is_appended_and_an_answer_without_it_fails_the_file(
    tmp_path: Path,
) -> None:
    first = "```ts\nexport function f(): number {\n  return 1;\n}\n```"
    spec = load_spec(
        write_spec(
            tmp_path,
            [
                {"path": "a.ts", "prompt": "a", "requires": ["g"]},
                {"path": "b.ts", "prompt": "b", "requires": ["h"]},
            ],
            max_repairs=1,
        )
    )
    client = FakeStreamer(
        [
            first,
            "```ts\nexport function g(): number {\n  return f() + 1;\n}\n```",
            first,
            "```ts\nexport function other(): void {}\n```",  # not what was asked for
        ]
    )
    a, b = build_spec(spec, BuildOptions(jobs=1), client=client).files
    assert a.status == "written" and [(r.action, r.outcome) for r in a.repairs] == [("add", "applied")]
    assert (tmp_path / "a.ts").read_text() == first[
        6:-3
    ] + "\nexport function g(): number {\n  return f() + 1;\n}\n"
    assert b.status == "incomplete" and [(r.outcome, r.detail) for r in b.repairs] == [
        ("failed", "the answer does not define `h`")
    ]
    assert "required name `h` is not defined" in b.detail and not (tmp_path / "b.ts").exists()


FORMATTER = """\
import sys
code = sys.stdin.read()
if "fail" in sys.argv:
    sys.exit("formatter: cannot read line 1")
sys.stdout.write("// formatted as " + sys.argv[1] + "\\n" + code.replace("  ", "    "))
"""


def test_a_file_in_another_language_goes_through_the_format_command_the_spec_names(tmp_path: Path) -> None:
    import shlex
    import sys

    (tmp_path / "fmt.py").write_text(FORMATTER)
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(tmp_path / 'fmt.py'))} {{path}}"
    code = "```ts\nexport function f(): number {\n  return 1;\n}\n```"
    spec = load_spec(
        write_spec(
            tmp_path,
            [
                {"path": "src/a.ts", "prompt": "a"},
                {"path": "b.ts", "prompt": "b", "format": command + " fail"},
                {"path": "c.ts", "prompt": "c", "format": "no-such-formatter-here --stdin"},
                {"path": "d.go", "prompt": "d"},
            ],
            formatters={"typescript": command},
        )
    )
    go = "```go\npackage d\n\nfunc F() int {\n  return 1\n}\n```"
    result = build_spec(spec, BuildOptions(jobs=1), client=FakeStreamer([code, code, code, go]))
    a, b, c, d = result.files
    assert a.status == "written", a.detail
    assert (tmp_path / "src" / "a.ts").read_text() == (
        "// formatted as src/a.ts\nexport function f(): number {\n    return 1;\n}\n"
    )
    assert b.status == "incomplete" and b.detail == (
        f"the format command `{shlex.join([*shlex.split(command.replace('{path}', 'b.ts')), 'fail'])}` "
        "failed (exit 1): formatter: cannot read line 1"
    )
    assert b.kept and Path(b.kept).read_text() == code[6:-3] and not (tmp_path / "b.ts").exists()
    assert c.status == "incomplete" and "`no-such-formatter-here` was not found" in c.detail
    assert d.status == "written" and (tmp_path / "d.go").read_text() == go[6:-3]  # none for Go: as written
    assert result.exit_code == EXIT_FINDINGS


def test_a_spec_language_that_no_validator_reads_is_a_spec_error(tmp_path: Path) -> None:
    from codegen.errors import SpecError

    with pytest.raises(SpecError) as raised:
        load_spec(write_spec(tmp_path, [{"path": "a.txt", "prompt": "x", "language": "cobol"}]))
    assert (
        raised.value.key_path == "files[0].language"
        and "not a language codegen checks" in raised.value.reason
    )


def test_a_typescript_placeholder_body_is_regenerated_through_the_double_and_written_complete(
    tmp_path: Path,
) -> None:
    first = (
        "```typescript\nexport class Store {\n  private items: string[] = [];\n\n"
        "  add(item: string): void {\n    // ... rest of implementation\n  }\n\n"
        "  size(): number {\n    return this.items.length;\n  }\n}\n```"
    )
    regenerated = "```typescript\nadd(item: string): void {\n  this.items.push(item);\n}\n```"
    double = MessagesDouble(ScriptedAuthor([replies.text(first), replies.text(regenerated)]))
    spec = load_spec(
        write_spec(tmp_path, [{"path": "src/store.ts", "prompt": "a store", "requires": ["Store.add"]}])
    )
    result = build_spec(spec, BuildOptions(), client=client_for(double))
    double.check()
    [f] = result.files
    assert f.status == "written", f.detail
    assert [(r.action, r.target, r.outcome) for r in f.repairs] == [("regenerate", "Store.add", "applied")]
    written = (tmp_path / "src" / "store.ts").read_text()
    assert "    this.items.push(item);\n  }\n\n  size(): number {" in written
    assert "rest of implementation" not in written
    assert "Write the complete definition of `Store.add`" in str(double.requests[1]["messages"])
