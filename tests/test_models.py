"""Prices: cache writes billed by their lifetime, what the cache saved, and the usage
the client reads from the wire (the API's 5m/1h breakdown, or the requested lifetime)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.build import BuildOptions, build_spec
from codegen.continuation import CallEvent, StopBuild
from codegen.models import Usage, lookup
from codegen.pricing import Budget, cache_savings, cost
from codegen.spec import load_spec
from codegen.streaming.journal import Journal, JournalledStreamer
from tests.double import MessagesDouble, ModuleAuthor, Reply, ScriptedAuthor, text_block
from tests.support import client_for

SONNET_4_6 = lookup("claude-sonnet-4-6")  # $3 in, $15 out, $3.75 5m write, $6 1h write, $0.30 read


def request(ttl: str | None) -> dict[str, Any]:
    marker: dict[str, Any] = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 100,
        "system": [{"type": "text", "text": "You write code.", "cache_control": marker}],
        "messages": [{"role": "user", "content": "Write the file `a.py`."}],
    }


def cached_reply(**fields: Any) -> Reply:
    return Reply(
        content=(text_block("A = 1"),),
        input_tokens=10,
        output_tokens=5,
        cache_creation_input_tokens=3000,
        **fields,
    )


def test_cache_writes_are_billed_at_their_lifetimes_price() -> None:
    five = Usage(cache_write_tokens=1_000_000)
    hour = Usage(cache_write_tokens=1_000_000, cache_write_1h_tokens=1_000_000)
    both = Usage(cache_write_tokens=3_000_000, cache_write_1h_tokens=1_000_000)
    assert cost(five, SONNET_4_6) == pytest.approx(3.75)
    assert cost(hour, SONNET_4_6) == pytest.approx(6.00)
    assert cost(both, SONNET_4_6) == pytest.approx(2 * 3.75 + 6.00)
    assert both.cache_write_5m_tokens == 2_000_000


def test_cost_adds_every_kind_of_token() -> None:
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_write_tokens=2_000_000,
        cache_read_tokens=10_000_000,
        cache_write_1h_tokens=1_000_000,
    )
    assert cost(usage, SONNET_4_6) == pytest.approx(3 + 15 + 3.75 + 6 + 10 * 0.30)
    assert cost(usage, lookup("a-model-nobody-knows")) is None


@pytest.mark.parametrize(
    ("usage", "saved"),
    [
        # 10M read: $30 at the input price, $3 at the read price: $27 saved, nothing written.
        (Usage(cache_read_tokens=10_000_000), 27.0),
        # ... less the premium of 2M 5-minute writes (2 x $0.75) and 1M 1-hour writes (1 x $3).
        (
            Usage(
                cache_read_tokens=10_000_000, cache_write_tokens=3_000_000, cache_write_1h_tokens=1_000_000
            ),
            27.0 - 1.5 - 3.0,
        ),
        # Written and never read back: the premium is lost.
        (Usage(cache_write_tokens=1_000_000), -0.75),
        (Usage(cache_write_tokens=1_000_000, cache_write_1h_tokens=1_000_000), -3.0),
        # Input and output tokens neither save nor cost anything extra.
        (Usage(input_tokens=5_000_000, output_tokens=1_000_000), 0.0),
    ],
)
def test_cache_savings_formula(usage: Usage, saved: float) -> None:
    assert cache_savings(usage, SONNET_4_6) == pytest.approx(saved)


def test_savings_is_the_cost_without_a_cache_less_the_cost_with_it() -> None:
    usage = Usage(
        input_tokens=40_000,
        output_tokens=9_000,
        cache_write_tokens=12_000,
        cache_read_tokens=150_000,
        cache_write_1h_tokens=5_000,
    )
    # Billed without a cache, every cached token would have been a plain input token.
    uncached = Usage(input_tokens=40_000 + 12_000 + 150_000, output_tokens=9_000)
    without, with_cache = cost(uncached, SONNET_4_6), cost(usage, SONNET_4_6)
    assert without is not None and with_cache is not None
    assert cache_savings(usage, SONNET_4_6) == pytest.approx(without - with_cache)
    assert cache_savings(usage, lookup("a-model-nobody-knows")) is None


def test_the_client_reads_the_apis_breakdown_of_cache_writes() -> None:
    # The breakdown (on message_start) wins over the lifetime asked for: here 5m asked,
    # part of it reported as 1h.
    double = MessagesDouble(ScriptedAuthor([cached_reply(cache_creation_1h_input_tokens=1200)]))
    client = client_for(double)
    answer = client.stream(request(None))
    assert answer.usage == Usage(
        input_tokens=10, output_tokens=5, cache_write_tokens=3000, cache_write_1h_tokens=1200
    )
    double.check()


@pytest.mark.parametrize(("ttl", "one_hour"), [("1h", 3000), ("5m", 0), (None, 0)])
def test_without_a_breakdown_the_writes_take_the_requested_lifetime(ttl: str | None, one_hour: int) -> None:
    double = MessagesDouble(ScriptedAuthor([cached_reply(cache_breakdown=False)]))
    answer = client_for(double).stream(request(ttl))
    assert answer.usage.cache_write_tokens == 3000
    assert answer.usage.cache_write_1h_tokens == one_hour


def test_the_journal_keeps_the_split(tmp_path: Path) -> None:
    double = MessagesDouble(ScriptedAuthor([cached_reply(cache_creation_1h_input_tokens=1200)]))
    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        first = JournalledStreamer(client_for(double), journal).stream(request("1h"))
        replayed = JournalledStreamer(None, journal, offline=True).stream(request("1h"))
        assert replayed.usage == first.usage and first.usage.cache_write_1h_tokens == 1200
        assert journal.stats().usage == first.usage


def test_a_build_with_long_calls_pays_1h_writes(tmp_path: Path) -> None:
    # max_tokens 24,000 or more: codegen asks for the 1-hour lifetime, and the double
    # (like the API) reports those writes as 1-hour ones.
    source = "def f(x):\n    return x + 1\n"
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "model": "claude-sonnet-4-6",
                "max_tokens": 24_000,
                "files": [{"path": "a.py", "prompt": "x"}, {"path": "b.py", "prompt": "y"}],
            }
        )
    )
    double = MessagesDouble(ModuleAuthor({"a.py": source, "b.py": source}))
    result = build_spec(load_spec(spec_path), BuildOptions(), client=client_for(double))
    double.check()
    assert all(r["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"} for r in double.requests)
    usage = result.usage
    assert usage.cache_write_tokens > 0 and usage.cache_write_1h_tokens == usage.cache_write_tokens
    assert usage.cache_read_tokens > 0  # the second file read what the first wrote
    at_5m = cost(
        Usage(usage.input_tokens, usage.output_tokens, usage.cache_write_tokens, usage.cache_read_tokens),
        SONNET_4_6,
    )
    assert at_5m is not None and result.cost is not None
    assert result.cost - at_5m == pytest.approx(usage.cache_write_tokens * (6 - 3.75) / 1e6)


def test_max_cost_takes_the_1h_write_price_as_the_worst_input_price() -> None:
    body = request("1h")
    input_tokens = len(repr(body["messages"])) // 3 + len(repr(body["system"])) // 3
    worst_5m = (input_tokens * 3.75 + 100 * 15) / 1e6
    worst_1h = (input_tokens * 6.00 + 100 * 15) / 1e6
    between = (worst_5m + worst_1h) / 2
    Budget(between).check("a.py", CallEvent("first", request("5m")), SONNET_4_6)
    with pytest.raises(StopBuild, match="--max-cost"):
        Budget(between).check("a.py", CallEvent("first", body), SONNET_4_6)


def test_a_retired_model_is_refused_with_its_date_and_successor_and_one_near_it_is_warned(
    tmp_path: Path,
) -> None:
    from datetime import date

    from codegen.build import BuildOptions, build_spec
    from codegen.errors import SpecError
    from codegen.models import MODELS, retirement
    from codegen.spec import load_spec
    from codegen.testing import FakeStreamer
    from tests.support import write_spec

    assert retirement(MODELS["claude-sonnet-4-5"], date(2026, 12, 3)) == (
        "claude-sonnet-4-5 was retired on 2026-11-30; use claude-sonnet-4-6",
        "",
    )
    assert retirement(MODELS["claude-opus-4-5"], date(2026, 12, 3)) == (
        "",
        "claude-opus-4-5 retires on 2027-01-22 (in 50 days); use claude-opus-4-8",
    )
    assert retirement(MODELS["claude-opus-4-5"], date(2026, 11, 1)) == ("", "")
    assert retirement(MODELS["claude-sonnet-5-5"]) == ("", "")
    spec = load_spec(
        write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}], model="claude-sonnet-4-5-20250929")
    )
    client = FakeStreamer()
    with pytest.raises(SpecError) as raised:
        build_spec(spec, BuildOptions(), client=client)
    assert (
        "model: claude-sonnet-4-5-20250929 was retired on 2026-11-30; use claude-sonnet-4-6"
        in raised.value.message
    )
    assert not client.requests
