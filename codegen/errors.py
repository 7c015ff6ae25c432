"""Every error codegen reports to a user, with the exit code it maps to.

Only `cli.py` turns these into output and exit codes; everything else raises them.
The message is what the user reads: one line that says what is wrong and, where
there is something to do, what to do.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_INTERRUPTED = 130


class CodegenError(Exception):
    """Base class: `message` is shown to the user, `exit_code` ends the process."""

    exit_code = EXIT_FINDINGS

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CodegenError):
    """Bad command-line input: a missing file, a wrong option, no API key."""

    exit_code = EXIT_USAGE


class SpecError(UsageError):
    """A spec file that cannot be used, reported before any API call."""

    def __init__(self, spec_path: str, key_path: str, reason: str) -> None:
        where = f"{spec_path}: {key_path}: " if key_path else f"{spec_path}: "
        super().__init__(where + reason)
        self.spec_path = spec_path
        self.key_path = key_path
        self.reason = reason


class MissingCredentialsError(UsageError):
    """Neither an API key nor a base URL to send requests to."""

    def __init__(self) -> None:
        super().__init__(
            "no API key: set ANTHROPIC_API_KEY (export ANTHROPIC_API_KEY=sk-ant-...), "
            "or point ANTHROPIC_BASE_URL at a server that speaks the Messages API"
        )


class APIError(CodegenError):
    """The Messages API failed after the SDK's retries (network, 5xx, bad request)."""

    exit_code = EXIT_API


class AuthenticationError(APIError):
    """401/403: retrying cannot help; every file would fail the same way."""


class PrefillRejectedError(APIError):
    """The model refuses a conversation that ends with an assistant message."""


class OfflineMissError(APIError):
    """--offline, and the journal holds no answer to a request the build needs."""
