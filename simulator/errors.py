"""Expected errors and exit codes.

Every error a user can cause (bad YAML, unknown scenario, unreadable audio, missing
device) is an :class:`OpsimError`: the CLI prints its message and exits with its code,
never with a traceback.  Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    #: a bug: an unexpected exception
    INTERNAL = 1
    #: the command line itself was wrong (typer/click uses 2 as well)
    USAGE = 2
    #: a scenario, replies or transcript file is invalid
    INVALID_INPUT = 3
    #: a scenario id, session id or model name does not exist
    NOT_FOUND = 4
    #: audio could not be read or is silent / corrupt
    BAD_AUDIO = 5
    #: an optional backend, model or device is not available on this machine
    UNAVAILABLE = 6
    #: an output file or the database could not be written (a folder or a symbolic link in
    #: the way, no permission, a full disk, a read-only database)
    CANNOT_WRITE = 7
    #: a scenario's scripted calls ran, and some expectation failed (``opsim test``)
    TESTS_FAILED = 8
    #: the user interrupted (Ctrl-C); what was said so far is saved
    INTERRUPTED = 130


class OpsimError(Exception):
    """An expected error with a message meant for a person."""

    exit_code: ExitCode = ExitCode.INVALID_INPUT

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ScenarioError(OpsimError):
    """A scenario file is malformed or inconsistent (one or more located problems)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems), ExitCode.INVALID_INPUT)


class NotFoundError(OpsimError):
    exit_code = ExitCode.NOT_FOUND


class AudioError(OpsimError):
    exit_code = ExitCode.BAD_AUDIO


class UnavailableError(OpsimError):
    exit_code = ExitCode.UNAVAILABLE


class CannotWriteError(OpsimError):
    exit_code = ExitCode.CANNOT_WRITE


class InvalidReplyError(OpsimError):
    """A reply that cannot be taken (not text, too long): the call goes on without it."""
