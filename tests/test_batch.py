"""`codegen build --batch`: the build in rounds of Message Batches, against the double's
batch endpoints (`tests/double/batches.py`) through the real SDK."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen.build import BuildOptions, build_spec, journal_path
from codegen.errors import EXIT_API, EXIT_OK, UsageError
from codegen.progress import Event, Note
from codegen.report import render_build
from codegen.spec import Spec, load_spec
from codegen.status import batch_status
from codegen.streaming.journal import Journal
from codegen.streaming.ledger import Ledger
from codegen.streaming.rounds import Entry, batch_params, custom_id_of, split_round
from tests.double import BuggyAuthor, Fix, MessagesDouble, ModuleAuthor, Seams
from tests.support import STDLIB, client_for, codegen, sdk, write_spec

PATHS = ("lib/bisect.py", "lib/shlex.py", "lib/textwrap.py")
TARGETS = {p: (STDLIB / Path(p).name).read_text() for p in PATHS}
# shlex.py builds on bisect.py: it starts in a later round, once bisect.py is written.
FILES = [
    {"path": "lib/bisect.py", "prompt": "x"},
    {"path": "lib/shlex.py", "prompt": "x", "depends_on": ["lib/bisect.py"]},
    {"path": "lib/textwrap.py", "prompt": "x"},
]
PRICED = "claude-haiku-4-5"  # prices, and takes prefill


def double_for(*, prefill: bool = True, polls: int = 0, cache: bool = False) -> MessagesDouble:
    """The author writes the three files, cut at max_tokens (2048) and continued.
    Without `cache`, no prefix is long enough to cache: streaming and batch usage match."""
    author = ModuleAuthor(
        TARGETS, prefill_accepted=prefill, seams=Seams(seed=7), min_cache_tokens=0 if cache else 10**9
    )
    double = MessagesDouble(author, delta_chars=200)
    double.batches.polls = polls
    return double


def spec_in(folder: Path, model: str = PRICED) -> Spec:
    folder.mkdir(parents=True, exist_ok=True)
    return load_spec(write_spec(folder, FILES, model=model, max_tokens=2048, max_continuations=50))


def batch(**more: Any) -> BuildOptions:
    return BuildOptions(batch=True, batch_poll=0, **more)


def notes(events: list[Event]) -> list[str]:
    return [f"{e.path}: {e.message}" for e in events if isinstance(e, Note)]


def canonical(items: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(i, sort_keys=True) for i in items]


@pytest.mark.parametrize(
    ("model", "prefill"),
    [(PRICED, True), ("claude-sonnet-5-5", False), ("local-model", False)],
)
def test_a_spec_with_a_dependency_and_cut_answers_builds_in_rounds_as_the_streaming_build_does(
    tmp_path: Path, model: str, prefill: bool
) -> None:
    streaming_double = double_for(prefill=prefill)
    streamed = build_spec(spec_in(tmp_path / "s", model), BuildOptions(), client=client_for(streaming_double))
    double = double_for(prefill=prefill, polls=2)
    spec = spec_in(tmp_path / "b", model)
    events: list[Event] = []
    result = build_spec(spec, batch(), client=client_for(double), progress=events.append)
    double.check()
    assert result.exit_code == EXIT_OK and streamed.exit_code == EXIT_OK
    assert [f.status for f in result.files] == ["written"] * 3
    assert all(f.continuations > 0 for f in result.files if f.path != "lib/bisect.py")
    for path in PATHS:
        assert (tmp_path / "b" / path).read_bytes() == (tmp_path / "s" / path).read_bytes()
    # Nothing streamed; every call went into a batch, in several rounds.
    desk = double.batches
    assert double.requests == [] and len(desk.items) == len(streaming_double.requests)
    assert result.batch is not None and result.batch.rounds == len(desk.created) > 2
    assert result.batch.requests == len(desk.items)
    # shlex.py waits for bisect.py: none of its requests is in the first round.
    first = desk.items[: len(desk.created[0])]
    assert len(first) == 2 and not any("`lib/shlex.py`" in json.dumps(i) for i in first)
    # Progress told each batch's counts while it ran.
    said = notes(events)
    assert any(line.startswith(f"{spec.path}: batch msgbatch_") and "0/2 done" in line for line in said)
    # The journal holds each batch and, under each request, its answer.
    ledger = Ledger.read(journal_path(spec))
    assert ledger is not None
    recorded = ledger.batches(str(spec.path.resolve()), open_only=False)
    assert [b.id for b in recorded] == list(result.batch.submitted)
    assert all(b.collected_at is not None for b in recorded) and ledger.batches() == []
    with Journal.open(journal_path(spec)) as journal:
        for b in recorded:
            for item in ledger.items(b.id).values():
                entry = journal.find(item.key, item.attempt)
                assert entry is not None and entry.status in ("complete", "prefill-refused")
    ledger.close()
    # The outputs lost, a rebuild replays the journal for free: nothing is submitted.
    for path in PATHS:
        (tmp_path / "b" / path).unlink()
    again = build_spec(spec, batch(), client=client_for(double))
    assert [f.status for f in again.files] == ["written"] * 3 and len(desk.created) == result.batch.rounds
    assert again.batch is not None and again.batch.rounds == 0
    assert again.cost == (None if model == "local-model" else 0)  # a model with no prices: unknown
    assert "every answer came from the journal; no batch was needed" in render_build([again], "text")


def test_a_batch_build_costs_half_the_streaming_build_and_says_so(tmp_path: Path) -> None:
    streamed = build_spec(spec_in(tmp_path / "s"), BuildOptions(), client=client_for(double_for()))
    result = build_spec(spec_in(tmp_path / "b"), batch(), client=client_for(double_for()))
    assert result.usage == streamed.usage and result.usage.output_tokens > 0
    assert streamed.cost is not None and result.cost == pytest.approx(streamed.cost / 2)
    for f, g in zip(result.files, streamed.files, strict=True):
        assert g.cost and f.cost == pytest.approx(g.cost / 2)
    assert "costs are at the Batch API's 50% prices" in render_build([result], "text")
    assert result.batch is not None
    assert json.loads(render_build([result], "json"))["specs"][0]["batch"]["rounds"] == result.batch.rounds


def test_max_cost_counts_the_batch_prices(tmp_path: Path) -> None:
    # $0.08: the streaming build ($0.118 in all) stops before its last calls; the batch
    # build ($0.059) does not.
    streamed = build_spec(
        spec_in(tmp_path / "s"), BuildOptions(max_cost=0.08), client=client_for(double_for())
    )
    assert "incomplete" in [f.status for f in streamed.files]
    result = build_spec(spec_in(tmp_path / "b"), batch(max_cost=0.08), client=client_for(double_for()))
    assert [f.status for f in result.files] == ["written"] * 3 and result.cost is not None
    assert result.cost < 0.08


def test_batch_items_are_not_streamed_and_their_cache_breakpoints_last_an_hour(tmp_path: Path) -> None:
    double = double_for(cache=True)
    result = build_spec(spec_in(tmp_path), batch(), client=client_for(double))
    assert result.exit_code == EXIT_OK
    marks = [
        b["cache_control"]
        for item in double.batches.items
        for b in [
            *item["system"],
            *(c for m in item["messages"] if isinstance(m["content"], list) for c in m["content"]),
        ]
        if "cache_control" in b
    ]
    assert marks and all(m == {"type": "ephemeral", "ttl": "1h"} for m in marks)
    assert not any("stream" in item for item in double.batches.items)
    # The double billed the writes as 1-hour ones, and the build counted them so.
    assert result.usage.cache_write_1h_tokens == result.usage.cache_write_tokens > 0


def test_detach_submits_and_exits_and_a_later_build_collects_without_submitting_twice(tmp_path: Path) -> None:
    reference = double_for()
    build_spec(spec_in(tmp_path / "s"), BuildOptions(), client=client_for(reference))
    double = double_for(polls=2)  # in progress for the detached build's check and for status's
    spec = spec_in(tmp_path / "b")
    detached = build_spec(spec, batch(detach=True), client=client_for(double))
    assert detached.exit_code == EXIT_OK
    statuses = {f.path: f.status for f in detached.files}
    assert statuses == {
        "lib/bisect.py": "submitted",
        "lib/textwrap.py": "submitted",
        "lib/shlex.py": "planned",
    }
    assert detached.batch is not None and detached.batch.left == detached.batch.submitted
    [batch_id] = detached.batch.left
    text = render_build([detached], "text")
    assert f"{batch_id} in progress: run `codegen build {spec.path} --batch` again" in text
    assert not any((tmp_path / "b" / p).exists() for p in PATHS)
    # `codegen status` (the library call) shows it, counted by the API.
    [open_batch] = batch_status(spec, client_for(double)).batches
    assert (open_batch.id, open_batch.status, open_batch.counts.processing) == (batch_id, "in_progress", 2)

    collected = build_spec(spec, batch(), client=client_for(double))
    assert collected.exit_code == EXIT_OK and [f.status for f in collected.files] == ["written"] * 3
    assert collected.batch is not None and collected.batch.collected == (batch_id,)
    items = canonical(double.batches.items)
    assert len(items) == len(set(items)) == len(reference.requests)  # no request twice
    for path in PATHS:
        assert (tmp_path / "b" / path).read_bytes() == (tmp_path / "s" / path).read_bytes()
    assert batch_status(spec, client_for(double)).batches == ()


def test_a_build_interrupted_while_it_waits_is_collected_by_the_next(tmp_path: Path) -> None:
    double = double_for(polls=3)
    spec = spec_in(tmp_path)

    def interrupt(event: Event) -> None:
        if isinstance(event, Note) and "0/2 done" in event.message:
            raise KeyboardInterrupt  # Ctrl-C while the first batch runs

    with pytest.raises(KeyboardInterrupt):
        build_spec(spec, batch(), client=client_for(double), progress=interrupt)
    ledger = Ledger.read(journal_path(spec))
    assert ledger is not None
    [waiting] = ledger.batches(str(spec.path.resolve()))
    ledger.close()
    assert double.batches.open_batches() == [waiting.id] and waiting.requests == 2
    result = build_spec(spec, batch(), client=client_for(double))
    assert result.exit_code == EXIT_OK and [f.status for f in result.files] == ["written"] * 3
    assert result.batch is not None and result.batch.collected == (waiting.id,)
    items = canonical(double.batches.items)
    assert len(items) == len(set(items))  # no request twice


def test_an_overloaded_item_goes_into_the_next_round(tmp_path: Path) -> None:
    double = double_for()
    double.batches.faults = {0: "overloaded_error"}  # bisect.py's first request
    events: list[Event] = []
    result = build_spec(spec_in(tmp_path), batch(), client=client_for(double), progress=events.append)
    assert result.exit_code == EXIT_OK and [f.status for f in result.files] == ["written"] * 3
    desk = double.batches
    assert desk.items[0] == desk.items[len(desk.created[0])]  # sent again, first in round 2
    assert result.batch is not None and result.batch.retried == 1
    assert any(
        line.startswith("lib/bisect.py: batch msgbatch_")
        and "overloaded_error" in line
        and "next round" in line
        for line in notes(events)
    )
    assert "1 request errored, expired or canceled" in render_build([result], "text")


@pytest.mark.parametrize(
    ("fault", "said"), [("expired", "expired (not processed within 24 hours)"), ("canceled", "canceled")]
)
def test_an_expired_or_canceled_item_goes_into_the_next_round_with_a_note(
    tmp_path: Path, fault: str, said: str
) -> None:
    double = double_for()
    double.batches.faults = {1: fault}  # textwrap.py's first request
    events: list[Event] = []
    result = build_spec(spec_in(tmp_path), batch(), client=client_for(double), progress=events.append)
    assert result.exit_code == EXIT_OK and [f.status for f in result.files] == ["written"] * 3
    assert any(line.startswith("lib/textwrap.py: ") and said in line for line in notes(events))
    assert double.batches.items[1] in double.batches.items[2:]


def test_items_that_keep_failing_are_given_up_after_their_retries(tmp_path: Path) -> None:
    double = double_for()
    double.batches.faults = dict.fromkeys(range(40), "overloaded_error")
    result = build_spec(spec_in(tmp_path), batch(), client=client_for(double))
    by_path = {f.path: f for f in result.files}
    for path in ("lib/bisect.py", "lib/textwrap.py"):
        assert by_path[path].status == "failed" and by_path[path].detail.endswith("4 times: given up")
    assert len(double.batches.items) == 8 and result.exit_code == EXIT_API


def test_an_error_that_will_not_pass_fails_only_its_file_with_one_line(tmp_path: Path) -> None:
    double = double_for()
    double.batches.faults = {0: "invalid_request_error"}
    result = build_spec(spec_in(tmp_path), batch(), client=client_for(double))
    by_path = {f.path: f for f in result.files}
    failed = by_path["lib/bisect.py"]
    assert failed.status == "failed" and failed.api_error
    assert failed.detail.startswith("batch msgbatch_") and "invalid_request_error" in failed.detail
    assert "\n" not in failed.detail
    assert by_path["lib/shlex.py"].status == "skipped" and by_path["lib/textwrap.py"].status == "written"
    assert result.exit_code == EXIT_API


@pytest.mark.parametrize("refusal", ["413", "429"])
def test_a_batch_the_api_refuses_as_too_large_is_split_in_halves(tmp_path: Path, refusal: str) -> None:
    double = double_for()
    if refusal == "413":
        double.batches.max_requests = 1  # every batch of two is too large
    else:
        double.batches.refuse = [429]  # the first create only
    events: list[Event] = []
    result = build_spec(spec_in(tmp_path), batch(), client=client_for(double), progress=events.append)
    assert result.exit_code == EXIT_OK and [f.status for f in result.files] == ["written"] * 3
    desk = double.batches
    assert desk.refused[0] == int(refusal) and [len(c) for c in desk.created[:2]] == [1, 1]
    assert any(
        f"refused a batch of 2 requests ({refusal}" in line and "as two" in line for line in notes(events)
    )
    items = canonical(desk.items)
    assert len(items) == len(set(items))


def test_a_round_over_the_api_limits_goes_into_several_batches() -> None:
    def entry(n: int, size: int) -> Entry:
        return Entry(None, {}, [], size)  # type: ignore[arg-type]

    entries = [entry(n, 10) for n in range(5)]
    assert [len(c) for c in split_round(entries, 2, 1000)] == [2, 2, 1]
    assert [len(c) for c in split_round(entries, 100, 25)] == [2, 2, 1]
    assert [len(c) for c in split_round([entry(0, 50), entry(1, 5)], 100, 25)] == [1, 1]
    assert list(split_round([], 2, 10)) == []


def test_batch_params_drop_stream_and_mark_every_breakpoint_for_an_hour() -> None:
    mark = {"type": "ephemeral"}
    request = {
        "model": "m",
        "max_tokens": 10,
        "stream": True,
        "system": [{"type": "text", "text": "s", "cache_control": mark}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "u", "cache_control": mark}]},
            {"role": "assistant", "content": "a"},
        ],
    }
    params = batch_params(request)
    assert "stream" not in params and request["stream"] is True  # the request itself is unchanged
    assert params["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert params["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert params["messages"][1] == {"role": "assistant", "content": "a"} and mark == {"type": "ephemeral"}
    custom_id = custom_id_of("f" * 64, 12)
    assert len(custom_id) <= 64 and custom_id.endswith("-12")


def test_dry_run_with_batch_plans_the_first_round_and_calls_nothing(tmp_path: Path) -> None:
    double = double_for()
    result = build_spec(spec_in(tmp_path), batch(dry_run=True), client=client_for(double))
    assert [f.status for f in result.files] == ["planned"] * 3 and result.exit_code == EXIT_OK
    assert double.batches.items == [] and double.requests == []
    assert result.batch is not None and result.batch.first_round == 2
    assert "the first round would submit 2 requests" in render_build([result], "text")


def test_offline_with_batch_submits_and_collects_nothing_and_says_what_waits(tmp_path: Path) -> None:
    double = double_for(polls=5)
    spec = spec_in(tmp_path)
    build_spec(spec, batch(detach=True), client=client_for(double))
    retrieves = double.batches.retrieves
    result = build_spec(spec, batch(offline=True), client=client_for(double))
    assert double.batches.retrieves == retrieves and len(double.batches.created) == 1
    assert all(f.status in ("failed", "skipped") for f in result.files)
    text = render_build([result], "text")
    assert (
        "--offline: nothing was submitted or collected" in text
        and "1 open batch waits: build with --batch to collect it" in text
    )


def test_detach_without_batch_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--detach goes with --batch"):
        build_spec(spec_in(tmp_path), BuildOptions(detach=True), client=client_for(double_for()))


def test_the_double_cancels_a_batch_and_shuffles_its_results() -> None:
    double = double_for(polls=5)
    client = sdk(double)
    requests: Any = [
        {
            "custom_id": f"r{n}",
            "params": {
                "model": PRICED,
                "max_tokens": 64,
                "messages": [{"role": "user", "content": "Write the file `lib/bisect.py`."}],
            },
        }
        for n in range(6)
    ]
    created = client.messages.batches.create(requests=requests)
    assert created.processing_status == "in_progress" and created.request_counts.processing == 6
    assert client.messages.batches.cancel(created.id).processing_status == "canceling"
    ended = client.messages.batches.retrieve(created.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 6
    lines = list(client.messages.batches.results(created.id))
    assert sorted(line.custom_id for line in lines) == [f"r{n}" for n in range(6)]
    assert all(line.result.type == "canceled" for line in lines)

    other = client.messages.batches.create(requests=requests)
    client.messages.batches.retrieve(other.id)  # polls left: 4
    for _ in range(5):
        state = client.messages.batches.retrieve(other.id)
    assert state.processing_status == "ended" and state.request_counts.succeeded == 6
    order = [line.custom_id for line in client.messages.batches.results(other.id)]
    assert sorted(order) == [f"r{n}" for n in range(6)] and order != sorted(order)


def test_codegen_status_lists_an_open_batch_and_a_later_build_collects_it(tmp_path: Path) -> None:
    double = double_for(polls=2)
    spec = write_spec(tmp_path, FILES, model=PRICED, max_tokens=2048, max_continuations=50)
    with double.serve() as url:
        env = {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "test"}
        submitted = codegen("build", str(spec), "--batch", "--detach", "--poll", "0", env=env, cwd=tmp_path)
        assert submitted.returncode == 0, submitted.stderr
        [batch_id] = double.batches.open_batches()
        assert f"{batch_id} in progress: run `codegen build {spec} --batch` again" in submitted.stdout
        shown = codegen("status", str(spec), env=env, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert (
            f"{spec}: 1 open batch" in shown.stdout and f"{batch_id}: in_progress, 0/2 done" in shown.stdout
        )
        offline = codegen("status", str(spec), "--offline", "--format", "json", env={}, cwd=tmp_path)
        [listed] = json.loads(offline.stdout)["specs"][0]["batches"]
        assert listed["id"] == batch_id and listed["counts"]["processing"] == 2
        collected = codegen("build", str(spec), "--batch", "--poll", "0", env=env, cwd=tmp_path)
        assert collected.returncode == 0, collected.stderr
        assert f"batch {batch_id}: ended" in collected.stderr
        after = codegen("status", str(spec), env=env, cwd=tmp_path)
    assert f"{spec}: no open batches" in after.stdout
    assert all((tmp_path / p).read_text() for p in PATHS)
    items = canonical(double.batches.items)
    assert len(items) == len(set(items)) and double.requests == []


CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
CALC_TESTS = "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def test_the_verify_steps_repairs_go_into_batches_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the command's pytest starts quicker
    fix = Fix("calc.py", "add", "def add(a, b):\n    return a + b\n", "where -1 = add(2, 3)")
    double = MessagesDouble(BuggyAuthor({"calc.py": CALC, "tests/test_calc.py": CALC_TESTS}, (fix,)))
    command = shlex.join([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    files = [
        {"path": "calc.py", "prompt": "add and mul."},
        {"path": "tests/test_calc.py", "prompt": "tests.", "depends_on": ["calc.py"]},
    ]
    spec = load_spec(write_spec(tmp_path, files, model=PRICED, verify={"command": command, "timeout": 120}))

    def slow_once_verifying(event: Event) -> None:
        if isinstance(event, Note) and event.path == "verify":
            double.batches.polls = 2  # the repair's batch is still running when first checked

    result = build_spec(spec, batch(detach=True), client=client_for(double), progress=slow_once_verifying)
    double.check()
    assert result.verification is not None and result.verification.status == "passed"
    # Two rounds for the files, one for the repair: waited for even with --detach (the
    # build's own request, after the files were written).
    assert double.requests == [] and [len(c) for c in double.batches.created] == [1, 1, 1]
    # Each batch is checked until it ends, and once more by the SDK to read its results.
    assert double.batches.retrieves == (1 + 1) + (1 + 1) + (3 + 1)
    assert "return a + b" in (tmp_path / "calc.py").read_text()
    assert result.batch is not None and result.batch.rounds == 3 and result.batch.left == ()
