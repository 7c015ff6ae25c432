"""The response journal, through the real SDK and the Messages API double: replay, resume
after a cut or a kill, --offline, unusable files, threads, and no key on disk."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from codegen import prompts
from codegen.continuation import Generation, PrefillMemory, generate
from codegen.errors import EXIT_API, APIError, CodegenError, OfflineMissError, PrefillRejectedError
from codegen.models import Usage
from codegen.request import Request
from codegen.streaming import Answer
from codegen.streaming.journal import Journal, JournalledStreamer, request_key
from tests.double import (
    MessagesDouble,
    ModuleAuthor,
    Reply,
    ScriptedAuthor,
    replies,
    text_block,
    thinking_block,
)
from tests.support import client_for

ROOT = Path(__file__).resolve().parent.parent
SECRET = "sk-ant-secret-journal-never-stored"
CODE = "def greet(name):\n    return f'hello {name}'\n\n\nprint(greet('you'))\n"
ANSWER = "```python\n" + CODE + "```"


def body(prompt: str = "Write the file `greet.py`.", **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-test",
        "max_tokens": 1024,
        "system": [],
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }


def greet_request(prefill: bool = False) -> Request:
    return Request(
        "claude-test", tuple(prompts.system_blocks("")), "Write the file `greet.py`.", 1024, None, prefill
    )


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    with Journal.open(tmp_path / ".codegen" / "journal.sqlite3") as opened:
        assert opened.warning is None
        yield opened


def test_an_answered_request_is_replayed_by_the_next_run_without_a_request(journal: Journal) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER)]))
    first = JournalledStreamer(client_for(double), journal).stream(body())
    seen: list[str] = []
    again = JournalledStreamer(client_for(double), journal)
    replayed = again.stream(body(), seen.append)
    assert replayed == first and replayed.text == ANSWER
    assert len(double.requests) == 1
    assert "".join(seen) == ANSWER  # progress displays still see the text
    assert (again.tally.sent, again.tally.replayed, again.tally.resumed) == (0, 1, 0)
    assert again.tally.saved == first.usage and first.usage.output_tokens > 0
    assert journal.stats().complete == 1 and journal.stats().usage == first.usage


def test_a_whole_conversation_replays_offline_identically(journal: Journal) -> None:
    # Cut, a refused prefill, then a user-turn continuation: the refusal is replayed too.
    head = "```python\ndef greet(name):\n    "
    double = MessagesDouble(
        ScriptedAuthor(
            [replies.cut(head), replies.prefill_refused(), replies.text("return f'hello {name}'\n```")]
        )
    )
    online = generate(
        JournalledStreamer(client_for(double), journal),
        greet_request(prefill=True),
        max_continuations=4,
        memory=PrefillMemory(),
    )
    double.check()
    assert online.status == "complete" and len(double.requests) == 3

    memory = PrefillMemory()
    offline_streamer = JournalledStreamer(None, journal, offline=True)
    offline = generate(offline_streamer, greet_request(prefill=True), max_continuations=4, memory=memory)
    assert offline == online
    assert "claude-test" in memory.refused
    assert offline_streamer.tally.replayed == 3 and offline_streamer.tally.sent == 0
    assert journal.stats().refused == 1


def test_a_long_module_conversation_replays_offline(journal: Journal) -> None:
    source = (ROOT / "codegen" / "errors.py").read_text()
    double = MessagesDouble(ModuleAuthor({"pkg/errors.py": source}, prefill_accepted=False))
    request = Request("claude-test", (), "Write the file `pkg/errors.py`.", 200)

    def run(streamer: JournalledStreamer) -> Generation:
        return generate(streamer, request, max_continuations=40, memory=PrefillMemory())

    online = run(JournalledStreamer(client_for(double), journal))
    double.check()
    assert online.status == "complete" and online.continuations > 3
    offline = run(JournalledStreamer(None, journal, offline=True))
    assert offline == online and len(double.requests) == online.calls + 1  # +1: refused prefill


def test_an_identical_resend_within_a_run_is_sent_and_replayed_in_order(journal: Journal) -> None:
    # An empty cut leaves nothing to send back, so the loop sends the same request again:
    # replaying the first answer for it would loop; each sending has its own row.
    double = MessagesDouble(ScriptedAuthor([replies.cut(""), replies.text(ANSWER)]))
    online = generate(
        JournalledStreamer(client_for(double), journal),
        greet_request(),
        max_continuations=4,
        memory=PrefillMemory(),
    )
    assert double.requests[0] == double.requests[1] and online.status == "complete"
    offline = generate(
        JournalledStreamer(None, journal, offline=True),
        greet_request(),
        max_continuations=4,
        memory=PrefillMemory(),
    )
    assert offline == online


def test_an_answer_the_client_returned_cut_replays_as_it_was(journal: Journal) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.dropped(ANSWER, after=25)]))
    cut = JournalledStreamer(client_for(double), journal).stream(body())
    assert cut.interrupted and cut.text == ANSWER[:25]
    replayed = JournalledStreamer(None, journal, offline=True).stream(body())
    assert replayed == cut


def test_thinking_and_stop_details_survive_the_round_trip(journal: Journal) -> None:
    thought = thinking_block("Plan: one function.")
    double = MessagesDouble(
        ScriptedAuthor(
            [
                Reply(
                    content=(thought, text_block("```python\n")),
                    stop_reason="refusal",
                    stop_details={"type": "refusal", "category": "cyber", "explanation": "no"},
                )
            ]
        )
    )
    request = body(thinking={"type": "adaptive"})
    first = JournalledStreamer(client_for(double), journal).stream(request)
    assert first.content[0] == thought and first.stop_details
    assert JournalledStreamer(None, journal, offline=True).stream(request) == first


class Interrupt(KeyboardInterrupt):
    pass


def test_a_stream_cut_by_ctrl_c_is_resumed_from_its_text_not_bought_again(journal: Journal) -> None:
    double = MessagesDouble(
        ScriptedAuthor([replies.text(ANSWER), replies.text(CODE[30:] + "```")]), delta_chars=5
    )
    received: list[str] = []

    def ctrl_c_after_40(text: str) -> None:
        received.append(text)
        if len("".join(received)) >= 40:
            raise Interrupt()

    with pytest.raises(Interrupt):
        JournalledStreamer(client_for(double), journal, flush_chars=10_000, flush_seconds=60).stream(
            body(), ctrl_c_after_40
        )
    kept = "".join(received)
    entry = journal.find(request_key(body()))
    assert entry is not None and entry.status == "partial" and entry.text == kept

    # The next run: the partial comes back as a cut answer, and the loop continues it.
    streamer = JournalledStreamer(client_for(double), journal)
    resumed = streamer.stream(body())
    assert resumed == Answer(
        ({"type": "text", "text": kept},),
        None,
        None,
        Usage(),
        f"resumed: the stream was cut after {len(kept)} characters",
    )
    assert len(double.requests) == 1 and streamer.tally.resumed == 1


def test_a_resumed_conversation_completes_with_one_more_request(journal: Journal) -> None:
    head = ANSWER[:40]
    key = request_key(greet_request().body([{"role": "user", "content": "Write the file `greet.py`."}]))
    journal.append(key, 0, "claude-test", head, first=True)
    journal.release(key, 0)  # the stream that wrote it ended (a killed run)
    double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER[40:])]))
    generation = generate(
        JournalledStreamer(client_for(double), journal),
        greet_request(),
        max_continuations=4,
        memory=PrefillMemory(),
    )
    assert generation.status == "complete" and len(double.requests) == 1
    assert double.requests[0]["messages"][1] == {"role": "assistant", "content": [text_block(head)]}
    # The partial row stays as it is: every later run resumes from it the same way.
    assert (journal.stats().partial, journal.stats().complete) == (1, 1)
    assert (
        generate(
            JournalledStreamer(None, journal, offline=True),
            greet_request(),
            max_continuations=4,
            memory=PrefillMemory(),
        )
        == generation
    )


def test_a_blank_partial_is_sent_again(journal: Journal) -> None:
    journal.append(request_key(body()), 0, "claude-test", "\n  \n", first=True)
    double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER)]))
    assert JournalledStreamer(client_for(double), journal).stream(body()).text == ANSWER
    assert len(double.requests) == 1 and journal.stats().partial == 0


def test_an_api_error_is_not_journalled(journal: Journal) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.overloaded(), replies.text(ANSWER)]))
    streamer = JournalledStreamer(client_for(double), journal)
    with pytest.raises(APIError, match="529"):
        streamer.stream(body())
    assert journal.find(request_key(body())) is None
    # The retry is the same sending, not a second one.
    assert streamer.stream(body()).text == ANSWER
    assert journal.find(request_key(body())) is not None


def test_offline_without_an_answer_is_an_api_error_that_says_what_to_do(journal: Journal) -> None:
    with pytest.raises(OfflineMissError) as raised:
        JournalledStreamer(None, journal, offline=True).stream(body())
    assert isinstance(raised.value, APIError) and raised.value.exit_code == EXIT_API
    assert "no journalled answer" in raised.value.message
    assert "run without --offline" in raised.value.message
    with pytest.raises(ValueError, match="offline"):
        JournalledStreamer(None, journal)


def test_a_replayed_prefill_refusal_raises_again(journal: Journal) -> None:
    double = MessagesDouble(ScriptedAuthor([replies.prefill_refused()]))
    request = body(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": "def f("}])
    with pytest.raises(PrefillRejectedError):
        JournalledStreamer(client_for(double), journal).stream(request)
    with pytest.raises(PrefillRejectedError, match="prefill"):
        JournalledStreamer(None, journal, offline=True).stream(request)


def foreign_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")
    db.close()


def newer_journal(path: Path) -> None:
    Journal.open(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()


def damaged_journal(path: Path) -> None:
    with Journal.open(path) as journal:
        for i in range(200):
            journal.append(f"k{i}", 0, "m", "x" * 2000, first=True)
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 40] = random.Random(1).randbytes(4096 * 37)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "kind", "says"),
    [
        (lambda p: p.write_bytes(random.Random(0).randbytes(5000)), "corrupt", "not a readable database"),
        (foreign_database, "foreign", "another application's database"),
        (newer_journal, "foreign", "schema version 99"),
        (damaged_journal, "corrupt", "corrupt"),
    ],
    ids=["random-bytes", "another-app", "newer-schema", "damaged-pages"],
)
def test_an_unusable_file_is_moved_aside_with_a_warning(
    tmp_path: Path, make: Any, kind: str, says: str
) -> None:
    path = tmp_path / ".codegen" / "journal.sqlite3"
    path.parent.mkdir()
    make(path)
    before = path.read_bytes()
    with Journal.open(path) as journal:
        aside = path.with_name(f"journal.sqlite3.{kind}-1")
        assert journal.warning is not None and "\n" not in journal.warning
        assert says in journal.warning and aside.name in journal.warning
        assert aside.read_bytes() == before  # kept as it was, not deleted
        double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER)]))
        JournalledStreamer(client_for(double), journal).stream(body())
        assert journal.stats().complete == 1
    with Journal.open(path) as reopened:
        assert reopened.warning is None and reopened.stats().complete == 1


def test_a_second_unusable_file_gets_the_next_name(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    for n in (1, 2):
        path.write_bytes(b"not a database, not at all" * 100)
        Journal.open(path).close()
        assert path.with_name(f"journal.sqlite3.corrupt-{n}").exists()


def test_an_empty_file_becomes_a_journal_silently(tmp_path: Path) -> None:
    # What a journal killed before its first commit leaves: nothing to keep or to warn of.
    path = tmp_path / "journal.sqlite3"
    path.touch()
    with Journal.open(path) as journal:
        assert journal.warning is None and journal.stats().complete == 0
    assert list(tmp_path.iterdir()) == [path]


def test_a_folder_in_the_journals_place_is_an_error_not_moved(tmp_path: Path) -> None:
    (tmp_path / "journal.sqlite3").mkdir()
    with pytest.raises(CodegenError, match="is a folder"):
        Journal.open(tmp_path / "journal.sqlite3")


def test_the_file_is_a_wal_mode_journal(journal: Journal) -> None:
    db = sqlite3.connect(journal.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA application_id").fetchone()[0] == 0x63676A6C
    db.close()


def test_threads_share_one_journal(journal: Journal) -> None:
    def author(request: dict[str, Any]) -> Reply:
        prompt = request["messages"][0]["content"]
        return replies.text(f"# {prompt}\n" + "x = 1\n" * 300)

    double = MessagesDouble(author, delta_chars=40)
    streamer = JournalledStreamer(client_for(double), journal, flush_chars=64)
    answers: dict[str, str] = {}
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(3):
                prompt = f"file {n}.{i}"
                answers[prompt] = streamer.stream(body(prompt)).text
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(answers) == 24
    with Journal.open(journal.path) as reopened:
        assert reopened.stats().complete == 24 and reopened.stats().partial == 0
        offline = JournalledStreamer(None, reopened, offline=True)
        for prompt, text in answers.items():
            assert offline.stream(body(prompt)).text == text


def test_the_api_key_is_never_on_disk(tmp_path: Path) -> None:
    path = tmp_path / ".codegen" / "journal.sqlite3"
    double = MessagesDouble(
        ScriptedAuthor(
            [replies.cut(ANSWER[:30]), replies.dropped(ANSWER[30:], after=10), replies.text(ANSWER[40:])]
        )
    )
    with Journal.open(path) as journal:
        generation = generate(
            JournalledStreamer(client_for(double, api_key=SECRET), journal),
            greet_request(),
            max_continuations=4,
            memory=PrefillMemory(),
        )
        assert generation.status == "complete"
        on_disk = b"".join(p.read_bytes() for p in path.parent.iterdir())
        assert SECRET.encode() not in on_disk
        assert b"hello {name}" in on_disk  # the answers are there: the search is real
    with pytest.raises(ValueError, match="credentials"):
        request_key(body(extra_headers={"x-api-key": SECRET}))


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from codegen.streaming.anthropic import Connection, MessagesClient
from codegen.streaming.journal import Journal, JournalledStreamer

url, path, secret = sys.argv[1:]
received = []

def on_text(text):
    received.append(text)
    if sum(map(len, received)) >= 9000:
        os.kill(os.getpid(), signal.SIGKILL)

journal = Journal.open(Path(path))
client = MessagesClient(Connection(secret, url), max_retries=0)
request = {"model": "claude-test", "max_tokens": 1024, "system": [],
           "messages": [{"role": "user", "content": "Write the file `greet.py`."}]}
JournalledStreamer(client, journal).stream(request, on_text)
"""


def test_a_build_killed_mid_stream_leaves_its_text_in_the_journal(tmp_path: Path) -> None:
    long_answer = "```python\n" + "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(800))
    double = MessagesDouble(ScriptedAuthor([replies.text(long_answer)]), delta_chars=50)
    path = tmp_path / ".codegen" / "journal.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    env["PYTHONPATH"] = str(ROOT)
    with double.serve() as url:
        run = subprocess.run(
            [sys.executable, "-c", KILLED_RUN, url, str(path), SECRET],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert run.returncode == -signal.SIGKILL, run.stderr
    with Journal.open(path) as journal:
        assert journal.warning is None
        entry = journal.find(request_key(body()))
        assert entry is not None and entry.status == "partial"
        # At most one flush (2 KB, or a quarter second) of what arrived is lost.
        assert long_answer.startswith(entry.text) and 9000 - 2048 - 50 <= len(entry.text) <= 9050
        resumed = JournalledStreamer(None, journal, offline=True).stream(body())
        assert resumed.text == entry.text and resumed.interrupted
    on_disk = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert SECRET.encode() not in on_disk


# -- owners: a partial answer another build is still streaming ---------------------------

# Another process that takes a row as a stream would (the first piece), says so, and
# on each line of stdin appends one more piece and prints whether the journal took it.
_OTHER_STREAM = """
import sys
from pathlib import Path
from codegen.streaming.journal import Journal
journal = Journal.open(Path(sys.argv[1]))
print(journal.append(sys.argv[2], 0, "claude-test", "OTHER-1\\n", first=True), flush=True)
for n, _ in enumerate(sys.stdin, 2):
    print(journal.append(sys.argv[2], 0, "claude-test", f"OTHER-{n}\\n", first=False), flush=True)
"""


def other_stream(journal: Journal, key: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _OTHER_STREAM, str(journal.path), key],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "True"
    return proc


def test_a_partial_answer_another_live_process_is_streaming_is_neither_resumed_nor_written_to(
    journal: Journal,
) -> None:
    key = request_key(body())
    other = other_stream(journal, key)
    try:
        double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER)]), delta_chars=5)
        streamer = JournalledStreamer(client_for(double), journal, flush_chars=1, flush_seconds=0)
        # Its half answer is still growing: sent again, not continued from it.
        answer = streamer.stream(body())
        assert answer.text == ANSWER and answer.interrupted is None
        assert len(double.requests) == 1 and streamer.tally.resumed == 0
        # Our pieces never went into its row; our complete answer took the row, and
        # the other stream's next piece is refused instead of interleaving with it.
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("more\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "False"
    finally:
        other.kill()
        other.communicate()
    replayed = JournalledStreamer(None, journal, offline=True).stream(body())
    assert replayed.text == ANSWER


def test_a_live_processs_partial_row_refuses_a_second_stream_s_pieces(journal: Journal) -> None:
    key = request_key(body())
    other = other_stream(journal, key)
    try:
        assert journal.append(key, 0, "claude-test", "MINE\n", first=True) is False
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("more\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "True"
        entry = journal.find(key)
        assert entry is not None and entry.live and entry.text == "OTHER-1\nOTHER-2\n"
    finally:
        other.kill()
        other.communicate()


def test_the_partial_answer_of_a_killed_process_is_resumed(journal: Journal) -> None:
    key = request_key(body())
    other = other_stream(journal, key)
    other.kill()  # SIGKILL: no chance to say its stream ended
    other.communicate()
    entry = journal.find(key)
    assert entry is not None and not entry.live
    double = MessagesDouble(ScriptedAuthor([]))
    streamer = JournalledStreamer(client_for(double), journal)
    assert streamer.stream(body()).text == "OTHER-1\n" and streamer.tally.resumed == 1
    assert not double.requests


def test_within_one_process_a_row_is_taken_by_one_stream_until_it_ends(journal: Journal) -> None:
    key = request_key(body())
    assert journal.append(key, 0, "claude-test", "first\n", first=True)
    assert journal.find(key).live  # type: ignore[union-attr]
    assert journal.append(key, 0, "claude-test", "second\n", first=True) is False
    journal.release(key, 0)
    entry = journal.find(key)
    assert entry is not None and not entry.live and entry.text == "first\n"


# -- a journal that cannot be written ----------------------------------------------------


def hold(path: Path) -> sqlite3.Connection:
    """Another program's connection holding the journal in a write transaction."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_journal_held_by_another_program_is_one_line_at_open_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("codegen.streaming.journal.BUSY_SECONDS", 0.05)
    path = tmp_path / ".codegen" / "journal.sqlite3"
    Journal.open(path).close()
    other = hold(path)
    try:
        with pytest.raises(CodegenError) as raised:
            Journal.open(path)
    finally:
        other.close()
    message = raised.value.message
    assert "\n" not in message and "cannot be written" in message and "another program holds it" in message
    assert message.endswith("nothing was sent")


def test_a_journal_that_fails_mid_build_stops_the_calls_and_counts_what_was_paid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen.build import BuildOptions, build_spec
    from codegen.spec import load_spec
    from codegen.testing import FakeStreamer, answer, cut
    from tests.support import write_spec

    monkeypatch.setattr("codegen.streaming.journal.BUSY_SECONDS", 0.05)
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "a.py", "prompt": "a"}, {"path": "b.py", "prompt": "b"}],
            model="claude-haiku-4-5",
        )
    )
    held: list[sqlite3.Connection] = []
    paid = [cut("```python\nA = 1\n", usage=Usage(10, 7)), cut("B = 2\n", usage=Usage(10, 5))]

    def respond(request: dict[str, Any]) -> Answer:
        if len(paid) == 1:  # the second call: another program takes the journal now
            held.append(hold(tmp_path / ".codegen" / "journal.sqlite3"))
        return paid.pop(0) if paid else answer("C = 3\n```")

    client = FakeStreamer(respond=respond)
    try:
        result = build_spec(spec, BuildOptions(), client=client)
    finally:
        for connection in held:
            connection.close()
    # The answer in flight when the journal failed was used and counted; no call after it.
    assert len(client.requests) == 2
    first = result.files[0]
    assert first.path == "a.py" and first.status != "written"
    assert (first.calls, first.usage.output_tokens) == (2, 12)
    assert result.files[1].status == "skipped"
    assert any("cannot" in w and "stopped sending requests" in w for w in result.warnings), result.warnings
