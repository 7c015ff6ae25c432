"""The model table: ids, limits, prices per million tokens, and what each model accepts.

Prices are the published list prices (USD per MTok) as of 2026-12-03; Haiku 5.5 is
billed in two bands by prompt length and the table holds the band for prompts up to
100K tokens. A model the table does not know still works: its prices are unknown and
shown as such, and prefill is tried once and remembered if refused.

A model past its retirement date is refused before anything is sent (the API would
answer every request with an error), with the model to move to; one that retires
within `RETIREMENT_WARNING_DAYS` gets a one-line warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

RETIREMENT_WARNING_DAYS = 60

DEFAULT_MODEL = "claude-sonnet-5-5"


@dataclass(frozen=True)
class Prices:
    """USD per million tokens."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


@dataclass(frozen=True)
class ModelInfo:
    id: str
    context_window: int
    max_output: int
    prices: Prices | None
    # Models from the 4.6 generation on answer a trailing assistant message with a 400.
    prefill: bool
    # "adaptive": adaptive thinking available; "always": it cannot be turned off;
    # "budget": only the older budget_tokens form.
    thinking: str
    # Below this many tokens a cache_control breakpoint is silently not cached.
    min_cache_tokens: int
    known: bool = True
    retires: date | None = None  # the API stops serving it on this day
    successor: str = ""  # what to use instead, once it retires


def _p(inp: float, out: float, w5: float, w1h: float, read: float) -> Prices:
    return Prices(inp, out, w5, w1h, read)


_M = 1_000_000
_K = 1_000

MODELS: dict[str, ModelInfo] = {
    m.id: m
    for m in [
        ModelInfo("claude-sonnet-5-5", _M, 128 * _K, _p(2, 10, 2.5, 4, 0.10), False, "adaptive", 2048),
        ModelInfo("claude-opus-5-5", _M, 128 * _K, _p(4, 20, 5, 8, 0.20), False, "always", 4096),
        ModelInfo("claude-haiku-5-5", _M, 128 * _K, _p(0.1, 0.5, 0.125, 0.2, 0.01), False, "adaptive", 4096),
        ModelInfo("claude-opus-4-8", _M, 128 * _K, _p(5, 25, 6.25, 10, 0.50), False, "adaptive", 4096),
        ModelInfo("claude-opus-4-7", _M, 128 * _K, _p(5, 25, 6.25, 10, 0.50), False, "adaptive", 4096),
        ModelInfo("claude-opus-4-6", _M, 128 * _K, _p(5, 25, 6.25, 10, 0.50), False, "adaptive", 4096),
        ModelInfo("claude-sonnet-4-6", _M, 128 * _K, _p(3, 15, 3.75, 6, 0.30), False, "adaptive", 2048),
        ModelInfo("claude-fable-5-2", _M, 128 * _K, _p(8, 40, 10, 16, 0.80), False, "adaptive", 4096),
        ModelInfo(
            "claude-opus-4-5",
            200 * _K,
            64 * _K,
            _p(5, 25, 6.25, 10, 0.50),
            True,
            "budget",
            4096,
            retires=date(2027, 1, 22),
            successor="claude-opus-4-8",
        ),
        ModelInfo(
            "claude-sonnet-4-5",
            200 * _K,
            64 * _K,
            _p(3, 15, 3.75, 6, 0.30),
            True,
            "budget",
            1024,
            retires=date(2026, 11, 30),  # the SDK dropped it in 2.15
            successor="claude-sonnet-4-6",
        ),
        ModelInfo("claude-haiku-4-5", 200 * _K, 64 * _K, _p(1, 5, 1.25, 2, 0.10), True, "budget", 4096),
    ]
}


def retirement(info: ModelInfo, today: date | None = None) -> tuple[str, str]:
    """(error, warning) about the model's retirement: "" for none. An error when it is
    retired (the API refuses it), a warning when that is less than 60 days away."""
    if info.retires is None:
        return "", ""
    today = today or date.today()
    instead = f"; use {info.successor}" if info.successor else ""
    if today >= info.retires:
        return f"{info.id} was retired on {info.retires.isoformat()}{instead}", ""
    days = (info.retires - today).days
    if days <= RETIREMENT_WARNING_DAYS:
        return "", f"{info.id} retires on {info.retires.isoformat()} (in {days} days){instead}"
    return "", ""


def lookup(model_id: str) -> ModelInfo:
    """The table's entry, or a permissive entry for a model it does not know."""
    if model_id in MODELS:
        return MODELS[model_id]
    # Dated snapshots ("claude-sonnet-4-5-20250929") share their alias's entry.
    for known_id, info in MODELS.items():
        if model_id.startswith(known_id + "-"):
            return replace(info, id=model_id)
    return ModelInfo(
        id=model_id,
        context_window=0,
        max_output=0,
        prices=None,
        prefill=True,
        thinking="adaptive",
        min_cache_tokens=0,
        known=False,
    )


@dataclass(frozen=True)
class Usage:
    """Tokens billed for one or more calls.

    `cache_write_tokens` is every token written to the cache; `cache_write_1h_tokens`
    the part of it written with the 1-hour lifetime (billed at 2x the input price,
    where the 5-minute writes are 1.25x).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_1h_tokens: int = 0

    @property
    def cache_write_5m_tokens(self) -> int:
        return self.cache_write_tokens - self.cache_write_1h_tokens

    @staticmethod
    def total(usages: Iterable[Usage]) -> Usage:
        return sum(usages, Usage())

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens - other.input_tokens,
            self.output_tokens - other.output_tokens,
            self.cache_write_tokens - other.cache_write_tokens,
            self.cache_read_tokens - other.cache_read_tokens,
            self.cache_write_1h_tokens - other.cache_write_1h_tokens,
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
        )
