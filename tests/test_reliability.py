"""Builds that lose nothing (issue 6): `codegen` against the loopback Messages API
double, killed, rerun, offline, failing, faulted, and pointed out of its folder. It runs
in process (`tests/cli_runner.py`) but where a process of its own is the point: a build
killed mid-stream, a build that runs as a user without root's capabilities.

A request is *repeated* when a body the double already answered in full (compared as
canonical JSON) is sent again. After a kill, a rerun may send the continuation of an
answer cut mid-stream (a new body), never a body that already got its complete answer.

Shown elsewhere and not repeated here: a second build with nothing changed sends
nothing, `check` on a never-built, an edited and a stale output, a 401 on a one-file
spec, `../x.py` refused before any call (test_cli.py); an API failure failing one file
while the next is written, in process (test_build.py); unusable journal files moved
aside, a process killed mid-stream leaving its text in the journal (test_journal.py);
every spec path error, in process (test_spec.py).
"""

from __future__ import annotations

import ast
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import black
import pytest
import yaml

from codegen import lock
from codegen.build import BuildOptions, build_spec
from codegen.spec import load_spec
from tests.cli_runner import CommandResult, run_codegen
from tests.double import ErrorReply, MessagesDouble, ModuleAuthor, Reply, ScriptedAuthor, Seams, replies
from tests.double.faults import FAULT_KINDS, Faults
from tests.support import ROOT, SECRET, client_for, one_line_error

# Slow (builds killed by signals, in subprocesses): not in the quick loop; `.ci/run` and
# `python -m pytest -m ""` run it.
pytestmark = pytest.mark.slow

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Small stdlib modules: a few answers each at max_tokens 512.
MODULES = ("bisect", "colorsys", "fnmatch", "genericpath")

# (model, whether the double takes prefill). Prefill continuations carry no seams; the
# user-turn ones here carry none either (`Seams(kinds=("none",))`), because an answer
# cut mid-stream comes back as part of an answer, which ModuleAuthor can only read as a
# prefix of what it means to write.
PREFILL = ("claude-haiku-4-5", True)
USER_TURN = ("claude-sonnet-5-5", False)

Request = dict[str, Any]


# -- running codegen -------------------------------------------------------------------


def environment(url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CODEGEN_"))}
    env["PYTHONPATH"] = str(ROOT)
    if url is not None:
        env |= {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET}
    return env


def codegen(*args: str, url: str | None = None) -> CommandResult:
    return run_codegen(*args, env=environment(url))


def codegen_process(
    *args: str, url: str | None = None, launcher: Sequence[str] = ("-m", "codegen")
) -> subprocess.CompletedProcess[str]:
    """codegen in a process of its own, started by `python *launcher`."""
    return subprocess.run(
        [sys.executable, *launcher, *args],
        capture_output=True,
        text=True,
        env=environment(url),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def report(result: CommandResult | subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    """`--format json` output: path -> the file's entry."""
    return {f["path"]: f for f in json.loads(result.stdout)["specs"][0]["files"]}


def write_spec(folder: Path, files: list[dict[str, Any]], **top: Any) -> Path:
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump({"version": 1, **top, "files": files}))
    return path


# -- what the double saw ------------------------------------------------------------------


def canonical(body: Request) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def assert_nothing_repeated(double: MessagesDouble) -> None:
    """No body answered in full was sent again. (A body is sent by one file's
    conversation, one request at a time: a later arrival came after the answer.)"""
    sent = [canonical(r) for r in double.requests]
    for i in double.answered:
        again = [j + 1 for j in range(i + 1, len(sent)) if sent[j] == sent[i]]
        assert not again, f"request {i + 1} was answered in full and sent again as {again}"


def first_prompt(request: Request) -> str:
    content = request["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def for_file(request: Request, paths: Sequence[str]) -> str:
    """Which of `paths` a request is about (codegen asks "Write the file `path`")."""
    return next(p for p in paths if f"`{p}`" in first_prompt(request))


class ByFile:
    """An author with a script per file, whatever order concurrent files ask in; it
    notes when each file's requests arrive."""

    def __init__(self, scripts: dict[str, Sequence[Reply | ErrorReply | Callable[[Request], Any]]]) -> None:
        self.authors = {path: ScriptedAuthor(script) for path, script in scripts.items()}
        self.arrivals: dict[str, list[float]] = {path: [] for path in scripts}

    def __call__(self, request: Request) -> Reply | ErrorReply:
        path = for_file(request, list(self.authors))
        self.arrivals[path].append(time.monotonic())
        return self.authors[path](request)


# -- the files ------------------------------------------------------------------------------


def targets() -> dict[str, str]:
    return {f"lib/{m}.py": (STDLIB / f"{m}.py").read_text() for m in MODULES}


def module_author(mode: tuple[str, bool]) -> ModuleAuthor:
    return ModuleAuthor(targets(), prefill_accepted=mode[1], seams=Seams(kinds=("none",), seed=5))


def module_spec(folder: Path, mode: tuple[str, bool], files: Sequence[str] | None = None) -> Path:
    return write_spec(
        folder,
        [{"path": p, "prompt": f"the module {p}"} for p in files or targets()],
        model=mode[0],
        max_tokens=512,
        max_continuations=100,
    )


def same_as_formatted(written: Path, source: str) -> bool:
    formatted = black.format_str(source, mode=black.Mode())
    return ast.dump(ast.parse(written.read_text())) == ast.dump(ast.parse(formatted))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


def tree(folder: Path) -> dict[str, bytes | str | None]:
    """Every path under `folder`: a file's bytes, a link's target, None for a folder."""
    return {
        str(p.relative_to(folder)): (
            os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() else None
        )
        for p in sorted(folder.rglob("*"))
    }


# -- a build killed mid-stream, then rerun ---------------------------------------------------


@pytest.mark.parametrize(
    ("sig", "mode"),
    [(signal.SIGINT, PREFILL), (signal.SIGKILL, USER_TURN)],
    ids=["SIGINT-prefill", "SIGKILL-user-turn"],
)
def test_a_build_killed_mid_stream_resumes_without_a_repeated_request(
    tmp_path: Path, sig: signal.Signals, mode: tuple[str, bool]
) -> None:
    files = targets()
    # A fast model until a file is written, then a slow one (~0.5 s an answer), so the
    # kill can land half-way down the wire.
    double = MessagesDouble(module_author(mode))
    spec = module_spec(tmp_path, mode)

    def mid_build() -> bool:
        # A file is written, and the answer under way is well into the wire and well
        # short of its end (--jobs 1: it is the only one, and every earlier answer is
        # journalled and every written file in the lock, see test_an_output_written_...).
        latest = len(double.requests) - 1
        return (
            any((tmp_path / p).exists() for p in files)
            and latest >= 0
            and latest not in double.answered
            and double.chunks_sent[latest] >= 20
            and double.chunks_total[latest] - double.chunks_sent[latest] >= 30
        )

    with double.serve() as url:
        proc = subprocess.Popen(
            [sys.executable, "-m", "codegen", "build", str(spec), "--jobs", "1"],
            env=environment(url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: any((tmp_path / p).exists() for p in files), "a file written")
            double.event_delay = 0.004
            wait_for(mid_build, "an answer half-way down the wire, with a file written")
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        cut = len(double.requests) - 1
        assert cut not in double.answered  # the kill came mid-stream
        killed_run = {canonical(r) for r in double.requests}
        if sig == signal.SIGINT:
            assert proc.returncode == 130 and "Traceback" not in err
            assert err.strip().splitlines()[-1].startswith("codegen: interrupted;")
        else:
            assert proc.returncode == -signal.SIGKILL
        # Whole files only: those written are right, and no temporary file is left.
        written = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "lib").iterdir())
        assert written and all(p in files and same_as_formatted(tmp_path / p, files[p]) for p in written), (
            written
        )

        double.event_delay = 0
        rerun = codegen("build", str(spec), "--format", "json", url=url)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        resumed = double.requests[cut + 1 :]
    # And the build after that sends none (in process: the CLI's is in test_cli.py).
    again = build_spec(load_spec(spec), BuildOptions(), client=client_for(double))
    double.check()
    # What was answered is replayed from the journal and the cut answer is continued from
    # its journalled text: the rerun sends nothing the killed run sent.
    assert resumed and not killed_run & {canonical(r) for r in resumed}
    assert_nothing_repeated(double)
    results = report(rerun)
    assert all(results[p]["status"] == "unchanged" for p in written)
    assert sum(f["replayed"] for f in results.values()) > 0
    for path, source in files.items():
        assert same_as_formatted(tmp_path / path, source), path
    assert again.exit_code == 0 and len(double.requests) == cut + 1 + len(resumed)


def test_an_output_written_before_a_kill_could_record_it_is_not_taken_for_a_strangers(tmp_path: Path) -> None:
    # In process: the CLI adds nothing to this.
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nA = 1\n```")]))
    spec = load_spec(write_spec(tmp_path, [{"path": "a.py", "prompt": "x"}]))
    assert build_spec(spec, BuildOptions(), client=client_for(double)).exit_code == 0
    # What a SIGKILL between write_atomic(a.py) and lock.save() leaves: the file, no record.
    lock_file = tmp_path / "spec.lock"
    data = json.loads(lock_file.read_text())
    del data["outputs"]["a.py"]
    lock_file.write_text(json.dumps(data))
    rerun = build_spec(spec, BuildOptions(), client=client_for(double))
    # Its answer is in the journal, and what that gives is the file on disk.
    assert rerun.files[0].status in ("unchanged", "written"), rerun.files[0]
    assert len(double.requests) == 1 and "a.py" in json.loads(lock_file.read_text())["outputs"]


# -- offline ------------------------------------------------------------------------------------


def test_offline_after_deleting_the_outputs_rebuilds_them_byte_identical_with_no_request(
    tmp_path: Path,
) -> None:
    files = list(targets())[:3]
    # Every seam kind: the journal replays seamed user-turn conversations as they were.
    author = ModuleAuthor(targets(), prefill_accepted=False, seams=Seams(seed=11))
    double = MessagesDouble(author, delta_chars=200)
    spec = module_spec(tmp_path, USER_TURN, files)
    # The first build in process (the CLI's own is tested above), the offline one not.
    assert build_spec(load_spec(spec), BuildOptions(), client=client_for(double)).exit_code == 0
    with double.serve() as url:
        outputs = {p: (tmp_path / p).read_bytes() for p in files}
        recorded = (tmp_path / "spec.lock").read_bytes()
        sent = len(double.requests)
        for p in files:
            (tmp_path / p).unlink()
        # And a new file the journal knows nothing of: --offline cannot make it up.
        spec = module_spec(tmp_path, USER_TURN, [*files, "lib/genericpath.py"])
        offline = codegen("build", str(spec), "--offline", "--format", "json", url=url)
    double.check()
    assert author.continuations and len(double.requests) == sent  # none
    assert {p: (tmp_path / p).read_bytes() for p in files} == outputs
    assert (tmp_path / "spec.lock").read_bytes() == recorded
    results = report(offline)
    assert all(results[p]["status"] == "written" and results[p]["replayed"] > 0 for p in files)
    new = results["lib/genericpath.py"]
    assert new["status"] == "failed" and "run without --offline" in new["detail"]
    assert offline.returncode == 3 and not (tmp_path / "lib" / "genericpath.py").exists()


# -- check --------------------------------------------------------------------------------------


def test_check_names_each_missing_incomplete_stale_and_edited_output(tmp_path: Path) -> None:
    paths = ["missing.py", "incomplete.py", "stale.py", "edited.py", "fine.py"]
    double = MessagesDouble(
        ByFile({p: [replies.text(f"```python\nX = {n}\n```")] for n, p in enumerate(paths)})
    )
    entries = [{"path": p, "prompt": f"the file {p}"} for p in paths]
    spec = write_spec(tmp_path, entries)
    assert build_spec(load_spec(spec), BuildOptions(), client=client_for(double)).exit_code == 0

    (tmp_path / "missing.py").unlink()
    # An incomplete file the lock vouches for, as one written by an older codegen whose
    # validators let it through would be.
    cut = "def f(x):\n    return (x +\n"
    (tmp_path / "incomplete.py").write_text(cut)
    recorded = json.loads((tmp_path / "spec.lock").read_text())
    recorded["outputs"]["incomplete.py"]["output"] = lock.digest(cut)
    (tmp_path / "spec.lock").write_text(json.dumps(recorded))
    entries[2]["prompt"] = "something else"
    write_spec(tmp_path, entries)
    (tmp_path / "edited.py").write_text("X = 3  # mine\n")

    checked = codegen("check", str(spec), "--format", "json")
    assert checked.returncode == 1, checked.stderr
    [found] = json.loads(checked.stdout)["specs"]
    problems = {p["path"]: p["message"] for p in found["problems"]}
    assert problems.keys() == set(paths) - {"fine.py"}
    assert problems["missing.py"] == "missing"
    assert problems["incomplete.py"].startswith("incomplete: line 2:")
    assert problems["incomplete.py"].endswith("[truncated]")
    assert problems["stale.py"].startswith("stale:")
    assert problems["edited.py"].startswith("edited by hand")


# -- paths out of output_dir ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("../x.py", "files[0].path: '../x.py' leaves output_dir"),
        ("/etc/x.py", "files[0].path: '/etc/x.py' is absolute"),
        ("x.py", "files[0].path: 'x.py' leaves output_dir through a symlink"),  # x.py -> ../outside/x.py
    ],
    ids=["dotdot", "absolute", "symlink"],
)
def test_a_path_out_of_output_dir_is_refused_with_nothing_written(
    tmp_path: Path, path: str, expected: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink("../outside/x.py", project / "x.py")
    spec = write_spec(project, [{"path": path, "prompt": "x"}])
    before = tree(tmp_path)
    etc_before = Path("/etc/x.py").exists()
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nX = 1\n```")]))
    with double.serve() as url:
        result = codegen("build", str(spec), url=url)
    assert result.returncode == 2
    assert expected in one_line_error(result)
    assert double.requests == [] and tree(tmp_path) == before
    assert Path("/etc/x.py").exists() == etc_before


# -- API failures ---------------------------------------------------------------------------------


def test_refused_credentials_stop_the_build_at_once_with_one_line(tmp_path: Path) -> None:
    # 401 on one file is in test_cli.py; 403 goes the same way, and no other file is tried.
    double = MessagesDouble(
        lambda request: ErrorReply(403, "permission_error", "Your API key does not have permission")
    )
    spec = write_spec(tmp_path, [{"path": f"{name}.py", "prompt": name} for name in "abc"])
    with double.serve() as url:
        result = codegen("build", str(spec), "--quiet", url=url)
    assert result.returncode == 3
    line = one_line_error(result)
    assert "403" in line and "ANTHROPIC_API_KEY" in line and SECRET not in line
    assert len(double.requests) <= 3  # --jobs 4: the files already under way, no retry
    assert not any(tmp_path.glob("*.py"))


def test_429_529_and_5xx_are_retried_after_retry_after_and_a_failed_file_keeps_its_progress(
    tmp_path: Path,
) -> None:
    start = replies.cut("```python\nA = (")
    end = replies.text("1)\n```")
    # Each error's wait, as the API says it: longer than the SDK's own first backoff
    # (0.5 s at most), so a retry that comes sooner did not honour it.
    waits = {"rate.py": 1.0, "overloaded.py": 0.8, "server.py": 1.0}
    errors = {
        "rate.py": ErrorReply(429, "rate_limit_error", "rate limited", headers={"retry-after": "1"}),
        "overloaded.py": ErrorReply(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "800"}),
        "server.py": ErrorReply(500, "api_error", "Internal server error", headers={"retry-after": "1"}),
    }
    failing = [True]

    def down(request: Request) -> Reply | ErrorReply:
        # Overloaded, with the double's default retry-after-ms: 1, for every retry.
        return replies.overloaded() if failing[0] else end

    author = ByFile({**{p: [start, e, end] for p, e in errors.items()}, "down.py": [start, *[down] * 20]})
    double = MessagesDouble(author)
    spec = write_spec(tmp_path, [{"path": p, "prompt": p} for p in author.authors])
    with double.serve() as url:
        first = codegen("build", str(spec), "--format", "json", url=url)
        sent = list(double.requests)
        assert not (tmp_path / "down.py").exists()
        failing[0] = False
        rerun = codegen("build", str(spec), "--format", "json", url=url)
    double.check()

    results = report(first)
    assert first.returncode == 3, first.stderr
    by_file = {p: [r for r in sent if for_file(r, list(author.authors)) == p] for p in author.authors}
    for path, wait in waits.items():
        assert results[path]["status"] == "written", results[path]
        assert (tmp_path / path).read_text() == "A = 1\n"
        first_answer, refused, retried = by_file[path]
        # The retry is the same continuation: the first answer is not bought again.
        assert canonical(refused) == canonical(retried) != canonical(first_answer)
        arrivals = author.arrivals[path]
        assert arrivals[2] - arrivals[1] >= wait - 0.02, (path, arrivals)
    # down.py: the SDK's retries run out and that file fails alone, the others carry on.
    assert results["down.py"]["status"] == "failed" and "529" in results["down.py"]["detail"]
    continuation = by_file["down.py"][1]
    assert len(by_file["down.py"]) > 2 and all(
        canonical(r) == canonical(continuation) for r in by_file["down.py"][1:]
    )
    # The rerun sends only down.py's continuation: its first answer is in the journal.
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert [canonical(r) for r in double.requests[len(sent) :]] == [canonical(continuation)]
    assert report(rerun)["down.py"]["replayed"] == 1
    assert (tmp_path / "down.py").read_text() == "A = 1\n"


def test_injected_429s_529s_and_mid_stream_breaks_still_complete_every_file(tmp_path: Path) -> None:
    files = targets()
    # 5% of requests each: a 429, a 529, a dropped connection, an `error` event mid-stream.
    # The seed puts every kind among the first requests (asserted below).
    author = Faults(module_author(USER_TURN), rate=0.05, seed=31)
    double = MessagesDouble(author)
    spec = module_spec(tmp_path, USER_TURN)
    # One file at a time: faults fall by the order requests arrive, and with files built
    # at once that order is the threads'. A break then fell, now and then, where this
    # author cannot follow (a user-turn answer broken off mid-line, then retried after
    # a 429), which is the author's limit, not codegen's.
    with double.serve() as url:
        result = codegen("build", str(spec), "--jobs", "1", "--verbose", "--format", "json", url=url)
    double.check()
    assert {kind for _, kind in author.injected} == set(FAULT_KINDS), author.injected
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(f["status"] == "written" for f in report(result).values())
    for path, source in files.items():
        assert same_as_formatted(tmp_path / path, source), path
    assert_nothing_repeated(double)
    # The key is in no output, log line, journal, lock or kept file.
    assert SECRET not in result.stdout + result.stderr
    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert (tmp_path / ".codegen" / "journal.sqlite3").exists()
    assert SECRET.encode() not in on_disk


# -- files the build finds in its way ----------------------------------------------------------


def test_a_corrupt_and_a_foreign_journal_give_a_warning_and_a_fresh_journal(tmp_path: Path) -> None:
    specs = []
    for kind in ("corrupt", "foreign"):
        folder = tmp_path / kind
        (folder / ".codegen").mkdir(parents=True)
        journal = folder / ".codegen" / "journal.sqlite3"
        if kind == "corrupt":
            journal.write_bytes(random.Random(0).randbytes(5000))
        else:
            with sqlite3.connect(journal) as db:
                db.execute("CREATE TABLE notes (body TEXT)")
        specs.append(write_spec(folder, [{"path": f"{kind}.py", "prompt": kind}]))
    old = {
        kind: (tmp_path / kind / ".codegen" / "journal.sqlite3").read_bytes()
        for kind in ("corrupt", "foreign")
    }
    double = MessagesDouble(ScriptedAuthor([replies.text("```python\nA = 1\n```")] * 2))
    with double.serve() as url:
        result = codegen("build", *map(str, specs), url=url)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for kind in ("corrupt", "foreign"):
        folder = tmp_path / kind
        assert (folder / f"{kind}.py").read_text() == "A = 1\n"
        aside = folder / ".codegen" / f"journal.sqlite3.{kind}-1"
        assert aside.read_bytes() == old[kind]  # moved aside as it was, not lost
        warning = next(line for line in result.stderr.splitlines() if aside.name in line)
        assert "warning:" in warning and "started a fresh journal" in warning
        with sqlite3.connect(folder / ".codegen" / "journal.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM answers WHERE status = 'complete'").fetchone() == (1,)


# Root ignores file modes; without these capabilities a root process obeys them like
# any user's (Linux; other users start codegen as it is).
AS_A_USER = """
import ctypes, os, sys

if os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after exec
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
os.execv(sys.executable, [sys.executable, "-m", "codegen", *sys.argv[1:]])
"""


class ReadOnly:
    """A build into a read-only output folder, run once for the tests below."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.out = folder / "out"
        self.out.mkdir()
        self.spec = write_spec(folder, [{"path": "a.py", "prompt": "a"}], output_dir="out")
        self.double = MessagesDouble(ScriptedAuthor([replies.text("```python\nA = 1\n```")]))
        self.out.chmod(0o555)
        try:
            with self.double.serve() as url:
                self.result = codegen_process(
                    "build", str(self.spec), "--format", "json", url=url, launcher=("-c", AS_A_USER)
                )
        finally:
            self.out.chmod(0o755)


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> ReadOnly:
    return ReadOnly(tmp_path_factory.mktemp("read-only"))


def test_a_read_only_output_folder_is_a_clear_error(read_only: ReadOnly) -> None:
    result, out = read_only.result, read_only.out
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "a.py: failed" in result.stderr
    entry = report(result)["a.py"]
    assert entry["status"] == "failed"
    assert entry["detail"] == f"{out / 'a.py'}: cannot write: Permission denied"
    assert list(out.iterdir()) == [] and not (read_only.folder / "spec.lock").exists()
    # Once the folder can be written, the answer comes from the journal: nothing is lost.
    double = read_only.double
    again = build_spec(load_spec(read_only.spec), BuildOptions(), client=client_for(double))
    assert again.files[0].status == "written" and again.files[0].replayed == 1
    assert len(double.requests) == 1 and (out / "a.py").read_text() == "A = 1\n"


def test_a_file_that_cannot_be_written_still_reports_the_calls_it_paid_for(read_only: ReadOnly) -> None:
    entry = report(read_only.result)["a.py"]
    assert entry["calls"] == 1 and entry["output_tokens"] > 0
