"""`codegen estimate`: the arithmetic (checked by hand), count_tokens through the real SDK
against the double, the local fallback, and the command (run in process)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegen.errors import AuthenticationError, UsageError
from codegen.estimate import (
    DEFAULT_OUTPUT_TOKENS,
    LINE_TOKENS,
    LocalCounter,
    ServerCounter,
    estimate_file,
    estimate_spec,
    local_tokens,
    open_counter,
)
from codegen.models import MODELS, lookup
from codegen.report import render_estimate
from codegen.spec import load_spec
from codegen.streaming.anthropic import Connection, CountTokensUnavailable, MessagesClient
from tests.double import MessagesDouble, ScriptedAuthor
from tests.double.wire import estimate_input_tokens
from tests.support import SECRET, client_for, codegen, one_line_error, spec_file

SONNET = MODELS["claude-sonnet-5-5"]  # $2 in, $10 out, $2.50 cache write, $0.10 read; min 2,048


def small(**changes: object) -> dict[str, object]:
    """A file of 10,000 tokens at 4,096 a call: three calls, the last one short."""
    shape: dict[str, object] = dict(
        system_tokens=3000,
        prompt_tokens=1000,
        output_tokens=10_000,
        max_tokens=4096,
        info=SONNET,
        continue_tokens=50,
        max_continuations=8,
    )
    return {**shape, **changes}


# -- the arithmetic ------------------------------------------------------------------


def test_user_turns_with_the_history_cached() -> None:
    e = estimate_file("a.py", **small())  # type: ignore[arg-type]
    assert (e.calls, e.continuations, e.cut) == (3, 2, False)
    # Inputs: 3000+1000 = 4000; 4000 + 4096 + 50 = 8146; 4000 + 8192 + 2*50 = 12292.
    # The first file of the run writes all of its first request; each continuation
    # reads the previous request and writes the rest of its own.
    assert e.usage.input_tokens == 0
    assert e.usage.cache_write_tokens == 4000 + (8146 - 4000) + (12292 - 8146) == 12292
    assert e.usage.cache_read_tokens == 4000 + 8146 == 12146
    assert e.usage.output_tokens == 10_000
    # 10,000 x $10 + 12,292 x $2.50 + 12,146 x $0.10, per million.
    assert e.cost == pytest.approx((100_000 + 30_730 + 1_214.6) / 1e6) == pytest.approx(0.1319446)


def test_a_later_file_reads_the_system_prompt_written_by_the_first() -> None:
    e = estimate_file("b.py", **small(system_cached=True))  # type: ignore[arg-type]
    assert e.usage.cache_read_tokens == 3000 + 4000 + 8146
    assert e.usage.cache_write_tokens == 1000 + 4146 + 4146
    assert e.cost == pytest.approx((100_000 + 9292 * 2.5 + 15146 * 0.1) / 1e6)


def test_without_history_caching_every_continuation_resends_its_history() -> None:
    e = estimate_file("a.py", **small(history_cached=False))  # type: ignore[arg-type]
    # Only the system prompt is cached: written by the first call, read by the next two.
    assert e.usage.cache_write_tokens == 3000
    assert e.usage.cache_read_tokens == 3000 + 3000
    assert e.usage.input_tokens == 1000 + (8146 - 3000) + (12292 - 3000) == 15438
    assert e.cost == pytest.approx((15438 * 2 + 100_000 + 3000 * 2.5 + 6000 * 0.1) / 1e6)


def test_a_whole_turn_prefill_resends_the_answer_so_far_at_the_full_rate() -> None:
    e = estimate_file("a.py", **small(info=replace(SONNET, prefill=True)))  # type: ignore[arg-type]
    # Inputs 4000, 8096, 12192: the prompt (4000) is marked, the growing prefill never is.
    assert e.calls == 3
    assert e.usage.cache_write_tokens == 4000 and e.usage.cache_read_tokens == 4000 + 4000
    assert e.usage.input_tokens == 4096 + 8192


def test_a_line_prefill_reads_the_history_and_pays_the_line() -> None:
    e = estimate_file(
        "a.py",
        **small(
            info=replace(SONNET, prefill=True),  # type: ignore[arg-type]
            line_prefill=True,
        ),
    )
    # Inputs 4000; 4000 + 4096 + 50 + 10 = 8156; 4000 + 2 x 4156 = 12312. The breakpoint is
    # on the "continue" message before each line: 8146, then 12302.
    assert e.calls == 3
    assert e.usage.input_tokens == LINE_TOKENS * 2 == 20
    assert e.usage.cache_write_tokens == 4000 + (8146 - 4000) + (12302 - 8146) == 12302
    assert e.usage.cache_read_tokens == 4000 + 8146


def test_prefixes_below_the_caching_minimum_are_not_cached() -> None:
    e = estimate_file(
        "a.py",
        **small(
            system_tokens=500,
            prompt_tokens=300,  # type: ignore[arg-type]
            output_tokens=5000,
        ),
    )
    # 800 tokens: nothing cached; then 800 + 4096 + 50 = 4946, written, never read.
    assert (e.calls, e.usage.input_tokens, e.usage.cache_write_tokens, e.usage.cache_read_tokens) == (
        2,
        800,
        4946,
        0,
    )


def test_a_thinking_budget_takes_its_share_of_every_call() -> None:
    e = estimate_file("a.py", **small(output_tokens=5000, thinking_budget=2048))  # type: ignore[arg-type]
    assert e.calls == 3  # 2,048 text tokens a call
    assert e.usage.output_tokens == 5000 + 3 * 2048


def test_past_max_continuations_the_file_stays_cut() -> None:
    e = estimate_file("a.py", **small(output_tokens=100_000, max_continuations=2))  # type: ignore[arg-type]
    assert (e.calls, e.cut, e.usage.output_tokens) == (3, True, 3 * 4096)


def test_an_unknown_model_has_no_cost_and_no_caching() -> None:
    e = estimate_file("a.py", **small(info=lookup("llama-3")))  # type: ignore[arg-type]
    assert e.cost is None
    assert e.usage.cache_write_tokens == e.usage.cache_read_tokens == 0
    assert e.usage.input_tokens == 4000 + 8096 + 12192  # prefill: the table's default


@given(
    system=st.integers(1, 20_000),
    prompt=st.integers(1, 20_000),
    output=st.integers(1, 80_000),
    max_tokens=st.integers(1024, 16_384),
    prefill=st.booleans(),
    history=st.booleans(),
    warm=st.booleans(),
    line=st.booleans(),
)
def test_every_input_token_is_billed_exactly_once(
    system: int,
    prompt: int,
    output: int,
    max_tokens: int,
    prefill: bool,
    history: bool,
    warm: bool,
    line: bool,
) -> None:
    e = estimate_file(
        "a.py",
        system_tokens=system,
        prompt_tokens=prompt,
        output_tokens=output,
        max_tokens=max_tokens,
        info=replace(SONNET, prefill=prefill),
        continue_tokens=50,
        max_continuations=8,
        system_cached=warm,
        history_cached=history,
        line_prefill=line,
    )
    extra = 0 if prefill and not line else 50 + (LINE_TOKENS if prefill else 0)
    sent = sum(system + prompt + k * (max_tokens + extra) for k in range(e.calls))
    u = e.usage
    assert u.input_tokens + u.cache_write_tokens + u.cache_read_tokens == sent
    assert min(u.input_tokens, u.cache_write_tokens, u.cache_read_tokens) >= 0


# -- counting: the real SDK against the double -----------------------------------------


BODY = {
    "model": "claude-sonnet-5-5",
    "max_tokens": 4096,
    "system": [{"type": "text", "text": "You write code.", "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": "Write the file `a.py`: a stack class."}],
}


def test_count_tokens_goes_through_the_sdk() -> None:
    double = MessagesDouble(ScriptedAuthor([]))
    client = client_for(double)
    assert client.count_tokens(BODY) == estimate_input_tokens(BODY)
    [sent] = double.count_requests
    assert sent["model"] == "claude-sonnet-5-5" and sent["messages"] == BODY["messages"]
    assert "max_tokens" not in sent  # count_tokens takes none
    assert double.requests == []


def test_a_server_without_count_tokens_falls_back_to_a_local_count() -> None:
    double = MessagesDouble(ScriptedAuthor([]), has_count_tokens=False)
    with pytest.raises(CountTokensUnavailable, match="404"):
        client_for(double).count_tokens(BODY)
    counter = ServerCounter(client_for(double), "http://double.test")
    tokens, local = counter.count(BODY)
    assert local and tokens == local_tokens("You write code.Write the file `a.py`: a stack class.")
    assert "local count" in counter.note and "404" in counter.note


def test_refused_credentials_stay_an_error() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            401,
            json={"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
        )

    client = MessagesClient(
        Connection("bad", "http://double.test"),
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(refuse)),
    )
    with pytest.raises(AuthenticationError, match="401"):
        client.count_tokens(BODY)


def test_estimate_spec_counts_the_system_prompt_once_and_each_file(tmp_path: Path) -> None:
    (tmp_path / "b.py").write_text("x = 1\n" * 700)  # 4,200 characters: 1,200 tokens
    spec = load_spec(
        spec_file(
            tmp_path,
            [
                {"path": "a.py", "prompt": "a queue"},
                {"path": "b.py", "prompt": "uses a", "depends_on": ["a.py"]},
            ],
        )
    )
    double = MessagesDouble(ScriptedAuthor([]))
    counter = ServerCounter(client_for(double), "http://double.test")
    result = estimate_spec(spec, counter)
    assert len(double.count_requests) == 3 and double.requests == []
    system = estimate_input_tokens(double.count_requests[0])
    a, b = result.files
    assert a.prompt_tokens == estimate_input_tokens(double.count_requests[1]) - system
    # a.py is not written yet: it goes into b.py's prompt at its expected size.
    assert b.prompt_tokens == estimate_input_tokens(double.count_requests[2]) - system + DEFAULT_OUTPUT_TOKENS
    assert (a.expected_output, a.output_from) == (DEFAULT_OUTPUT_TOKENS, "default")
    assert (b.expected_output, b.output_from) == (1200, "existing file")
    assert not a.local_count and "count_tokens at http://double.test" in result.assumptions[0]
    assert any("b.py: a.py is not written yet" in note for note in result.assumptions)


def test_only_estimates_the_files_named(tmp_path: Path) -> None:
    spec = load_spec(spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}, {"path": "b.py", "prompt": "y"}]))
    result = estimate_spec(spec, LocalCounter(), only=["b.py"])
    assert [f.path for f in result.files] == ["b.py"] and result.files[0].local_count


@pytest.mark.parametrize(("thinking", "line"), [(None, True), ("off", True), (2048, False)])
def test_a_prefill_model_with_prices_is_estimated_as_build_continues_it(
    tmp_path: Path, thinking: object, line: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model that takes prefill and caches from 1,024 tokens, as claude-sonnet-4-5 did
    # (retired; the models that take prefill now cache from 4,096).
    retired = MODELS["claude-sonnet-4-5"]
    monkeypatch.setitem(
        MODELS, "claude-test-prefill", replace(retired, id="claude-test-prefill", retires=None)
    )
    # 1,024 text tokens a call (the thinking budget apart): four calls for 4,000 tokens.
    top: dict[str, object] = {"model": "claude-test-prefill", "max_tokens": 1024}
    if thinking is not None:
        top["thinking"] = thinking
        top["max_tokens"] = 1024 + (thinking if isinstance(thinking, int) else 0)
    spec = load_spec(spec_file(tmp_path, [{"path": "a.py", "prompt": "x"}], **top))
    result = estimate_spec(spec, LocalCounter())
    [f] = result.files
    assert f.continuations == 3
    assert any(
        a.startswith("continued by line prefill" if line else "continued by prefill")
        for a in result.assumptions
    )
    if line:
        # The first request (below the 1,024-token caching minimum) and each line are paid
        # in full; the rest of the history is read from the cache.
        assert f.prompt_tokens < f.usage.input_tokens - LINE_TOKENS * 3 < 1024
        assert f.usage.cache_read_tokens > 2 * 1024
    else:
        # The answer so far is paid in full on every call: 1,024 + 2,048 + 3,072 tokens.
        assert f.usage.input_tokens > 6 * 1024 and f.usage.cache_read_tokens == 0


# -- the command -------------------------------------------------------------------------


def two_files(folder: Path, **top: object) -> Path:
    return spec_file(
        folder,
        [
            {"path": "pkg/a.py", "prompt": "A stack class."},
            {"path": "pkg/b.py", "prompt": "A CLI over the stack.", "depends_on": ["pkg/a.py"]},
        ],
        max_tokens=2048,
        **top,
    )


def test_local_makes_no_request_and_shows_a_table(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([]))
    with double.serve() as url:
        result = codegen(
            "estimate",
            str(two_files(tmp_path)),
            "--local",
            env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET},
        )
    assert result.returncode == 0, result.stderr
    assert double.requests == [] and double.count_requests == []
    lines = result.stdout.splitlines()
    assert lines[0].endswith("(claude-sonnet-5-5, local count): estimate")
    assert lines[1].split() == [
        "file",
        "calls",
        "in",
        "tok",
        "cache",
        "wr",
        "cache",
        "rd",
        "out",
        "tok",
        "cost",
    ]
    # 4,000 tokens at 2,048 a call: two calls each.
    assert [line.split()[:2] for line in lines[2:4]] == [["pkg/a.py", "2"], ["pkg/b.py", "2"]]
    assert lines[5].split()[:2] == ["total", "4"] and lines[5].split()[-1].startswith("$")
    assert "  assumptions:" in lines and "4,000 output tokens" in result.stdout


def test_json_through_count_tokens(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([]))
    with double.serve() as url:
        result = codegen(
            "estimate",
            str(two_files(tmp_path)),
            "--format",
            "json",
            env={"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET},
        )
    assert result.returncode == 0, result.stderr
    assert len(double.count_requests) == 3 and double.requests == []
    [spec] = json.loads(result.stdout)["specs"]
    a, b = spec["files"]
    assert (a["path"], a["calls"], a["continuations"], a["local_count"]) == ("pkg/a.py", 2, 1, False)
    assert b["output_from"] == "default" and b["expected_output_tokens"] == DEFAULT_OUTPUT_TOKENS
    total = spec["total"]
    assert total["calls"] == 4 and total["output_tokens"] == a["output_tokens"] + b["output_tokens"]
    assert total["cost_usd"] == pytest.approx(a["cost_usd"] + b["cost_usd"])
    assert SECRET not in result.stdout + result.stderr


def test_a_server_without_count_tokens_is_said_so(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([]), has_count_tokens=False)
    spec = load_spec(two_files(tmp_path), model_override="llama-3")
    text = render_estimate([estimate_spec(spec, ServerCounter(client_for(double), "here"))], "text")
    assert "(llama-3, local count)" in text
    assert "count_tokens is not available (API error 404" in text
    total = next(line for line in text.splitlines() if line.strip().startswith("total"))
    assert total.split()[-1] == "unknown"  # no prices for a model the table does not know
    assert double.requests == double.count_requests == []


def test_a_spec_error_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = spec_file(tmp_path, [{"path": "../out.py", "prompt": "x"}])
    result = codegen("estimate", str(bad), "--local")
    assert result.returncode == 2 and "leaves output_dir" in one_line_error(result)


def test_no_key_says_how_to_set_one_or_estimate_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UsageError, match="ANTHROPIC_API_KEY.*--local$"), open_counter(local=False):
        pass
    with open_counter(local=True) as counter:
        assert isinstance(counter, LocalCounter)
