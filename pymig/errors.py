"""Errors a user can cause. The CLI prints `str(error)` and exits non-zero; no traceback unless --debug."""


class PymigError(Exception):
    """A failure with a message meant for the user, and an optional hint on how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class ConfigError(PymigError):
    """Bad command-line options, configuration or database URL."""

    exit_code = 2


class MigrationFileError(PymigError):
    """A migration file that cannot be loaded or validated; raised before anything is applied."""


class OperationError(PymigError):
    """An operation that cannot apply to the schema as it stands (missing table, column, ...)."""


class IrreversibleError(PymigError):
    """A down plan that crosses an operation with no inverse."""


class PreflightError(PymigError):
    """Data checks that refused a migration; nothing was changed."""


class ExecutionError(PymigError):
    """The database rejected a statement; the migration's transaction was rolled back."""


class CheckError(ExecutionError):
    """A preflight check's own query failed (a user's preflight query, or a check that needs an
    object a refused operation did not create)."""


class LockError(PymigError):
    """Another runner held the migration lock for too long."""


class ConnectionLost(ExecutionError):
    """The database connection went away mid-run (server restart, terminated backend, network)."""


class Interrupted(PymigError):
    """Ctrl-C or SIGTERM after part of a migration committed (that part stays, recorded)."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 130):
        super().__init__(message, hint)
        self.exit_code = exit_code


class Terminated(KeyboardInterrupt):
    """SIGTERM (CI cancellation, systemd, Kubernetes), raised where Ctrl-C would be: same handling,
    exit status 143."""

    exit_code = 143


class AssertedCheckFailed(Exception):
    """Internal, never shown: a message that held a preflight check as an assertion (one statement
    that fails when the check finds rows, sent with the statements after it) failed, and nothing of
    the migration had committed. The executor rolls back and runs the migration again with its
    checks run one by one, which reports them (or whatever else failed) as usual."""


class BatchFailed(Exception):
    """Internal: a group of migrations held to commit as one transaction (PostgresDatabase.hold_commit)
    failed; none of them committed. The command runs them again one by one, where the failing one
    fails (or not) as it would have without the group. `lost`: the connection went, and whether
    the group committed is unknown (`pymig status` knows)."""

    def __init__(self, versions: list[int], error: Exception, lost: list[str] | None = None):
        super().__init__(versions)
        self.versions, self.error, self.lost = versions, error, lost
