"""The `codegen` command: argument parsing, one library call, exit codes. No logic here."""

from __future__ import annotations

import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .config import Config
from .errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CodegenError

app = typer.Typer(
    add_completion=True,
    epilog=(
        "Environment: ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), the key; ANTHROPIC_BASE_URL, "
        "a server that speaks the Messages API (a proxy, llama-server, vLLM, Ollama); "
        "CODEGEN_MODEL, the model of a spec that names none (--model wins over both); "
        "CODEGEN_PREFILL=0, as --no-prefill."
    ),
    no_args_is_help=True,
    help="Turn a YAML spec of source files into complete, verified code written by Claude.",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    text = "text"
    json = "json"
    problems = "problems"


ConfiguredFormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        help="text (the default, or [tool.codegen] format), json, or problems: "
        "a path:line:col: severity: message line per finding.",
    ),
]
FormatOption = Annotated[
    Format,
    typer.Option(
        "--format", help="text, json, or problems: a path:line:col: severity: message line per finding."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary; no progress.")]


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


ColorOption = Annotated[
    Color,
    typer.Option(
        "--color", help="Colour findings: auto (a terminal, unless NO_COLOR is set), always, never."
    ),
]

# The parts of a finding line that are coloured, as ruff colours them.
_FINDING = re.compile(r"^(\s+\d+:\d+\s+)(error|warning)(\s+)([a-z-]+)(\s)")
_CODE = re.compile(r"\[([a-z-]+)\]$")


def _colored(text: str, color: Color) -> str:
    """`text` (a validate or check report) with severities and codes in colour, when
    `color` says so: a terminal and no NO_COLOR for auto."""
    if color is Color.never or (
        color is Color.auto and (os.environ.get("NO_COLOR") or not sys.stdout.isatty())
    ):
        return text
    red, cyan, bold, reset = "\x1b[31m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
    lines = []
    for line in text.splitlines(keepends=True):
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        body = _FINDING.sub(lambda m: f"{m[1]}{bold}{red}{m[2]}{reset}{m[3]}{cyan}{m[4]}{reset}{m[5]}", body)
        body = _CODE.sub(lambda m: f"[{cyan}{m[1]}{reset}]", body)
        if not body.startswith(" ") and body.endswith((" finding", " findings")):
            body = f"{bold}{body}{reset}"
        lines.append(body + end)
    return "".join(lines)


VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("codegen-complete")
        except PackageNotFoundError:  # run from a checkout that is not installed
            number = "unknown (not installed)"
        typer.echo(f"codegen {number}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    _: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Turn a YAML spec of source files into complete, verified code written by Claude."""


def _config_for(specs: list[Path], verbose: bool) -> Config:
    """The [tool.codegen] defaults for the first spec's folder (said with --verbose)."""
    from .config import find_config

    try:
        config = find_config(specs[0].parent if specs else Path.cwd())
    except CodegenError as error:
        _fail(error)
    if verbose:
        typer.echo(f"codegen: config: {config.path or 'no [tool.codegen] found'}", err=True)
    return config


def _fail(error: CodegenError) -> NoReturn:
    for line in error.message.splitlines() or [""]:  # several spec errors: a line each
        typer.echo(f"codegen: error: {line}", err=True)
    raise typer.Exit(error.exit_code)


def _emit(text: str) -> None:
    """Print to stdout; a reader that went away (`| head`) is not an error of ours."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _interrupted() -> NoReturn:
    typer.echo(
        "codegen: interrupted; files already written are kept, and the answers so far "
        "are journalled: build again to resume",
        err=True,
    )
    raise typer.Exit(EXIT_INTERRUPTED)


@app.command()
def build(
    specs: Annotated[list[Path], typer.Argument(help="Spec files (YAML).", show_default=False)],
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Build only this output path (repeatable).")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Files generated at once (default 4, or [tool.codegen] jobs)."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model id, over the spec's and CODEGEN_MODEL.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="Output tokens per call, over the spec.")
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", min=0.0, help="Stop before a call that could pass this many USD."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1.0,
            metavar="SECONDS",
            help="Give up a stream that sends nothing but pings (or nothing at all) this long.",
        ),
    ] = 120.0,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Wait as long as a rate-limited server asks (else a retry-after over 60 s fails)."
        ),
    ] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Answer from recorded responses only.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite outputs edited by hand.")] = False,
    prefill: Annotated[
        bool,
        typer.Option(
            "--prefill/--no-prefill",
            envvar="CODEGEN_PREFILL",
            help="Continue cut answers by assistant prefill where the model takes it; "
            "--no-prefill for a server that ignores prefill without refusing it.",
        ),
    ] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the specs and show the plan; call nothing.")
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Do not run the spec's verify command.")
    ] = False,
    allow_outside: Annotated[
        bool,
        typer.Option("--allow-outside", help="Write outputs outside the spec's project (see the README)."),
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait", help="Fail at once if another build of the spec is running (default: wait)."
        ),
    ] = False,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Through the Message Batches API at half the price, in rounds (minutes to hours); "
            "a later build collects what an earlier one submitted.",
        ),
    ] = False,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach", help="With --batch: submit the round's batch and exit; build again to collect."
        ),
    ] = False,
    poll: Annotated[
        float,
        typer.Option(
            "--poll", min=0.0, metavar="SECONDS", help="With --batch: seconds between checks of a batch."
        ),
    ] = 30.0,
    fmt: ConfiguredFormatOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Generate every file of the specs: continue cut answers, stitch, check, format, write."""
    from rich.console import Console

    from .build import BuildOptions, build_spec
    from .report import render_build
    from .report.terminal import print_summary, progress_display
    from .spec import load_spec
    from .streaming.anthropic import MAX_WAIT, LazyClient

    config = _config_for(specs, verbose)
    fmt = fmt or Format(config.format or "text")
    options = BuildOptions(
        only=tuple(only or ()),
        jobs=jobs or config.jobs or 4,
        max_cost=max_cost if max_cost is not None else config.max_cost,
        offline=offline,
        force=force,
        dry_run=dry_run,
        verbose=verbose,
        prefill=prefill,
        verify=not no_verify,
        allow_outside=allow_outside,
        wait_for_others=not no_wait,
        batch=batch,
        detach=detach,
        batch_poll=poll,
    )
    # Progress on stderr (live on a terminal, else plain lines); stdout holds the summary only.
    progress_console = Console(stderr=True)
    try:
        loaded = [
            load_spec(p, model_override=model, max_tokens_override=max_tokens, default_model=config.model)
            for p in specs
        ]
        client = LazyClient(timeout=timeout, max_wait=None if wait else MAX_WAIT)
        results = []
        try:
            for spec in loaded:
                title = str(spec.path) if len(loaded) > 1 else ""
                with progress_display(progress_console, quiet=quiet, title=title) as observer:
                    results.append(build_spec(spec, options, client=client, progress=observer))
        finally:
            client.close()
    except CodegenError as error:
        _fail(error)
    except KeyboardInterrupt:
        _interrupted()
    summary_console = Console()
    if fmt is Format.text and summary_console.is_terminal:
        print_summary(results, summary_console)
    else:
        _emit(render_build(results, fmt.value))
    raise typer.Exit(max(r.exit_code for r in results))


@app.command()
def check(
    specs: Annotated[list[Path], typer.Argument(help="Spec files (YAML).", show_default=False)],
    fmt: ConfiguredFormatOption = None,
    color: ColorOption = Color.auto,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Fail if an output is missing, incomplete, stale, or edited by hand. No network."""
    from .check import check_spec
    from .report import render_check
    from .spec import load_spec

    config = _config_for(specs, verbose)
    fmt = fmt or Format(config.format or "text")
    try:
        results = [
            (spec, check_spec(spec)) for spec in (load_spec(p, default_model=config.model) for p in specs)
        ]
    except CodegenError as error:
        _fail(error)
    failed = any(problems for _, problems in results)
    if failed or not quiet:
        report = render_check(results, fmt.value)
        _emit(_colored(report, color) if fmt is Format.text else report)
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Python files or folders to check; - reads stdin.", show_default=False),
    ],
    requires: Annotated[
        list[str] | None,
        typer.Option("--requires", help="A name the files must define: Name or Class.member (repeatable)."),
    ] = None,
    max_bytes: Annotated[
        int,
        typer.Option(
            "--max-bytes", min=1, help="A larger file is one too-large finding instead of being parsed."
        ),
    ] = 4_000_000,
    stdin_filename: Annotated[
        str | None,
        typer.Option("--stdin-filename", metavar="PATH", help="The name to report stdin's findings under."),
    ] = None,
    fmt: FormatOption = Format.text,
    color: ColorOption = Color.auto,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Completeness findings: syntax, truncated, placeholder, premature-end, missing."""
    from validators import render

    from .validate import validate_files

    try:
        results = validate_files(
            files, tuple(requires or ()), max_bytes=max_bytes, stdin_filename=stdin_filename
        )
    except CodegenError as error:
        _fail(error)
    # Warnings are shown; errors fail the run.
    failed = any(f.severity.value == "error" for _, findings in results for f in findings)
    if any(findings for _, findings in results) or not quiet or fmt is not Format.text:
        report = render(results, fmt.value)
        _emit(_colored(report, color) if fmt is Format.text else report)
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@app.command()
def init(
    spec: Annotated[Path, typer.Argument(help="Where to write it.")] = Path("specs/app.yaml"),
) -> None:
    """Write a commented example spec to start from; never overwrites a file."""
    from .init import write_example

    try:
        write_example(spec, Path.cwd())
    except CodegenError as error:
        _fail(error)
    _emit(f"wrote {spec}: edit its prompts, then run `codegen build {spec}`\n")


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def status(
    specs: Annotated[list[Path], typer.Argument(help="Spec files (YAML).", show_default=False)],
    offline: Annotated[
        bool, typer.Option("--offline", help="The journal's record only: no network, no key.")
    ] = False,
    fmt: Annotated[StatusFormat, typer.Option("--format", help="text or json")] = StatusFormat.text,
) -> None:
    """Open Message Batches of the specs' --batch builds, with their counts."""
    from .report.batches import render_status
    from .spec import load_spec
    from .status import batch_status
    from .streaming.anthropic import LazyClient

    client = None if offline else LazyClient()
    try:
        results = [batch_status(load_spec(p), client) for p in specs]
    except CodegenError as error:
        _fail(error)
    except KeyboardInterrupt:
        _interrupted()
    finally:
        if client is not None:
            client.close()
    _emit(render_status(results, fmt.value))
    raise typer.Exit(EXIT_OK)


class EstimateFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def estimate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files (YAML).", show_default=False)],
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Estimate only this output path (repeatable).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model id, over the spec's and CODEGEN_MODEL.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="Output tokens per call, over the spec.")
    ] = None,
    local: Annotated[bool, typer.Option("--local", help="Count tokens locally: no network, no key.")] = False,
    fmt: Annotated[EstimateFormat | None, typer.Option("--format", help="text (the default) or json")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Expected calls, tokens and cost per file, before spending anything (count_tokens only)."""
    from .spec import load_spec

    config = _config_for(specs, verbose)
    # [tool.codegen] format is the build's: estimate takes it where it has that format.
    fmt = fmt or (EstimateFormat(config.format) if config.format in ("text", "json") else EstimateFormat.text)
    try:
        loaded = [
            load_spec(p, model_override=model, max_tokens_override=max_tokens, default_model=config.model)
            for p in specs
        ]
    except CodegenError as error:
        _fail(error)
    # After the specs: a spec error is reported without loading the SDK.
    from .estimate import estimate_spec, open_counter
    from .report import render_estimate

    try:
        with open_counter(local=local) as counter:
            results = [estimate_spec(spec, counter, only=tuple(only or ())) for spec in loaded]
    except CodegenError as error:
        _fail(error)
    except KeyboardInterrupt:
        typer.echo("codegen: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _emit(render_estimate(results, fmt.value))
    raise typer.Exit(EXIT_OK)


# Metavars a person reads, by the parameter's name where its type says too little.
_METAVARS = {
    "specs": "SPEC",
    "files": "PATH",
    "spec": "SPEC",
    "only": "PATH",
    "requires": "NAME",
    "model": "ID",
    "jobs": "N",
    "max_tokens": "N",
    "max_bytes": "BYTES",
    "max_cost": "USD",
}


def _readable(command: Any) -> None:
    """Help that reads well: no metavar on a flag (`--force`, not `--force <bool>`), and
    names (`SPEC...`, `N`, `USD`) for the values, not types (`<list[Path]>`). (Typer's
    commands are its own click's: read by their attributes.)"""
    for param in command.params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.name in _METAVARS and param.metavar is None:
            param.metavar = _METAVARS[param.name]
        if getattr(param, "param_type_name", "") == "argument":
            # `SPEC...` in the usage line and beside the help, not `{specs}...` and `<list[Path]>`.
            shown = param.metavar or str(param.name).upper()
            many = "..." if param.nargs != 1 else ""
            optional = not param.required
            param.get_usage_pieces = lambda ctx, s=shown, m=many, o=optional: [f"[{s}{m}]" if o else s + m]
            param.display_type_rich = lambda ctx: None
            param.metavar = shown + many
    for sub in getattr(command, "commands", {}).values():
        _readable(sub)


def main() -> None:
    """Console entry point: Ctrl-C is exit 130 with one line, never a traceback."""
    # Boxes and colours on a terminal; plain text where help is piped or logged.
    app.rich_markup_mode = "rich" if sys.stdout.isatty() and not os.environ.get("NO_COLOR") else None
    command = typer.main.get_command(app)
    _readable(command)
    try:
        command(prog_name="codegen")
    except KeyboardInterrupt:
        print("codegen: interrupted; files already written are kept", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(EXIT_USAGE)
