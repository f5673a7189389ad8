"""The `pymig` command. click lives here and nowhere else; heavy imports happen per command."""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading

import click

from .errors import Terminated


class State:
    debug = False
    url: str | None = None
    target_urls: tuple = ()  # every URL [tool.pymig.targets] names, for redaction
    command: str | None = None  # for the hint after Ctrl-C


# Options a command may take that feed the configuration rather than the command itself.
_CONFIG_OPTIONS = ("lock_wait", "lock_timeout", "out_of_order", "scratch_prefix_")


def common(fn):
    """--database-url, --dir and --debug, accepted before or after the command name."""

    @click.option("--database-url", "database_url", metavar="URL", default=None,
                  help="Database to migrate (else $DATABASE_URL, else [tool.pymig] database_url).")
    @click.option("--dir", "directory", metavar="PATH", default=None,
                  help="Migrations directory (else [tool.pymig] migrations, else ./migrations).")
    @click.option("--schema", "schema", metavar="NAME", default=None,
                  help="PostgreSQL: the default schema of unqualified names, and of the history tables "
                  "(else [tool.pymig] schema).")
    @click.option("--debug", is_flag=True, default=False, help="Show tracebacks.")
    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx, database_url, directory, schema, debug, **kwargs):
        parent = ctx.find_object(dict) or {}
        from .config import load_config

        State.debug = debug or parent.get("debug", False)
        State.command = ctx.info_name
        overrides = {k: kwargs.pop(k) for k in _CONFIG_OPTIONS if k in kwargs}
        config = load_config(database_url or parent.get("database_url"),
                             directory or parent.get("directory"), schema=schema or parent.get("schema"),
                             **overrides)
        State.url = config.database_url
        State.target_urls = tuple(u for spec in config.targets.values() for u in spec.urls())
        if kwargs.get("target"):
            config = _targeted(config, kwargs, bool(database_url or parent.get("database_url")))
        return fn(config, **kwargs)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", "database_url", metavar="URL", default=None, help="Database to migrate.")
@click.option("--dir", "directory", metavar="PATH", default=None, help="Migrations directory.")
@click.option("--schema", "schema", metavar="NAME", default=None, help="PostgreSQL: the default schema.")
@click.option("--debug", is_flag=True, default=False, help="Show tracebacks.")
@click.version_option(package_name="pymig-db")
@click.pass_context
def cli(ctx, database_url, directory, schema, debug):
    """Database migrations written as Python operations; inverses derived, never hand-written."""
    ctx.obj = {"database_url": database_url, "directory": directory, "schema": schema, "debug": debug}
    State.debug = debug


def targets(json_option: bool = False):
    """--target NAME, --jobs N, --fail-fast (and --json for up/down): the command on many targets."""
    def decorate(fn):
        fn = click.option("--fail-fast", is_flag=True, default=False,
                          help="With --target: start no new target after the first failure.")(fn)
        fn = click.option("--jobs", "jobs", type=click.IntRange(min=1), default=None, metavar="N",
                          help="With --target: targets run at once, one connection each (default 4).")(fn)
        fn = click.option("--target", "target", default=None, metavar="NAME",
                          help="A [tool.pymig.targets.NAME] of pyproject.toml: one database, or a group.")(fn)
        if json_option:
            fn = click.option("--json", "as_json", is_flag=True, help="With --target: a JSON object per target.")(fn)
        return fn
    return decorate


def _targeted(config, kwargs: dict, url_given: bool):
    """The configuration of a plain --target (run as on one database), or the Fleet of a group,
    handed to the command as kwargs["target"]."""
    from . import fleet

    if url_given:
        raise click.UsageError("give --target or --database-url, not both")
    spec = fleet.spec_for(config, kwargs["target"])
    many = kwargs.get("jobs") or kwargs.get("fail_fast") or \
        (State.command in ("up", "down", "complete") and kwargs.get("as_json"))
    if not spec.is_group and not many:
        kwargs["target"] = None
        config = fleet.single_config(config, spec)
        State.url = config.database_url
        return config
    kwargs["target"] = fleet.Fleet(config, spec, fleet.Options(kwargs.get("jobs") or fleet.DEFAULT_JOBS,
                                                               kwargs.get("fail_fast", False), State.debug))
    return config


def _alone(target, jobs, fail_fast, as_json=None) -> None:
    if target is None and (jobs or fail_fast or as_json is True):
        flag = "--jobs" if jobs else "--fail-fast" if fail_fast else "--json"
        raise click.UsageError(f"{flag} goes with --target NAME")


def _ran(outcomes, command: str, verb: str | None = None, as_json: bool = False, text: str | None = None,
         wall: float = 0.0) -> None:
    """Print what a run over targets gives, and exit 1 when a target failed."""
    from . import fleet_report

    if as_json:
        click.echo(json.dumps(fleet_report.as_json(outcomes, verb), indent=2))
    elif text is not None:
        click.echo(text)
    else:
        click.echo(fleet_report.summary(outcomes, verb, wall))
    failed = fleet_report.failure_message(outcomes, command)
    if failed:
        click.echo(f"error: {failed}", err=True)
        sys.exit(1)


def lock_options(fn):
    """--lock-wait and --lock-timeout, for the commands that take the runner lock and run DDL."""
    fn = click.option("--lock-timeout", "lock_timeout", default=None, metavar="DURATION",
                      help="lock_timeout for statements that block traffic, e.g. 500ms, 2s (default 1s); "
                      "retried on timeout.")(fn)
    return click.option("--lock-wait", "lock_wait", default=None, metavar="DURATION",
                        help="How long to wait for another runner's lock: 60 (seconds), 30s, 2min (default 60).")(fn)


@cli.command()
@click.option("--to", "to", type=int, default=None, metavar="VERSION", help="Stop after this version.")
@lock_options
@click.option("--allow-out-of-order", "out_of_order", is_flag=True, default=False,
              help="Apply a pending migration older than the newest applied one (else refused).")
@targets(json_option=True)
@common
def up(config, to, target, jobs, fail_fast, as_json):
    """Apply pending migrations."""
    from . import commands

    _alone(target, jobs, fail_fast, as_json)
    if target is not None:
        return _ran(target.up(to), "up", "applied", as_json, wall=target.wall)
    commands.up(config, to, echo=_progress_echo())


@cli.command()
@click.option("--steps", type=click.IntRange(min=1), default=None, help="How many migrations to undo (default 1).")
@click.option("--to", "to", type=int, default=None, metavar="VERSION", help="Undo everything after VERSION (0: all).")
@lock_options
@click.option("--allow-data-loss", is_flag=True, default=False,
              help="Revert even where the inverses drop tables with rows or columns with values.")
@targets(json_option=True)
@common
def down(config, steps, to, allow_data_loss, target, jobs, fail_fast, as_json):
    """Undo applied migrations with the inverses stored when they were applied."""
    from . import commands

    if steps is not None and to is not None:
        raise click.UsageError("give --steps or --to, not both")
    _alone(target, jobs, fail_fast, as_json)
    if target is not None:
        return _ran(target.down(steps, to, allow_data_loss), "down", "reverted", as_json, wall=target.wall)
    commands.down(config, steps, to, echo=_progress_echo(), allow_data_loss=allow_data_loss)


@cli.command()
@click.argument("version", type=int, required=False)
@lock_options
@targets(json_option=True)
@common
def complete(config, version, target, jobs, fail_fast, as_json):
    """Run the contract phase of expanded migrations (all of them, or VERSION's)."""
    from . import commands

    _alone(target, jobs, fail_fast, as_json)
    if target is not None:
        return _ran(target.complete(version), "complete", "completed", as_json, wall=target.wall)
    commands.complete(config, version, echo=_progress_echo())


@cli.command("sql")
@click.option("--down", "down_", is_flag=True, help="Show what `pymig down` would run.")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="With --down: how many migrations.")
@click.option("--to", "to", type=int, default=None, metavar="VERSION", help="Target version.")
@click.option("--from", "from_", type=int, default=None, metavar="VERSION",
              help="With --offline: the version the database is at (default 0).")
@click.option("--offline", is_flag=True, help="Render from the migration files alone; no database.")
@click.option("--allow-out-of-order", "out_of_order", is_flag=True, default=False,
              help="As for `up`: include pending migrations older than the newest applied one.")
@click.option("--script", is_flag=True,
              help="Print a psql script that runs on its own: checks that refuse, backfill loops, history writes.")
@click.option("--allow-data-loss", is_flag=True, default=False,
              help="With --script --down: let the script drop tables with rows and columns with values.")
@click.option("--complete", "complete_", is_flag=True,
              help="Show what `pymig complete` would run (with --to VERSION: that migration's contract).")
@click.option("--lock-timeout", "lock_timeout", default=None, metavar="DURATION",
              help="lock_timeout for statements that block traffic, e.g. 500ms, 2s (default 1s); retried on timeout.")
@targets()
@common
def sql_(config, down_, steps, to, from_, offline, script, allow_data_loss, complete_, target, jobs, fail_fast):
    """Print the SQL that `up` (or `down`) would run, without changing anything."""
    from . import commands

    if steps is not None and to is not None:
        raise click.UsageError("give --steps or --to, not both")
    if steps is not None and not down_:
        raise click.UsageError("--steps goes with --down")
    if from_ is not None and not offline:
        raise click.UsageError("--from goes with --offline (online, the database says where it is)")
    if allow_data_loss and not (script and down_):
        raise click.UsageError("--allow-data-loss goes with --script --down")
    _alone(target, jobs, fail_fast)
    if complete_ and (down_ or offline or target is not None):
        raise click.UsageError("--complete reads the expanded migrations from the database: not with --down, --offline or --target")
    if target is not None:
        from .matrix import sql_report

        outcomes = target.sql(down_, steps, to, from_, offline, script, allow_data_loss)
        return _ran(outcomes, "sql", text=sql_report(outcomes))
    click.echo(commands.sql(config, down_, steps, to, from_, offline, script, allow_data_loss,
                            complete_=complete_))


@cli.command()
@click.option("--json", "as_json", is_flag=False, flag_value="v1", default=None, type=click.Choice(["v1", "v2"]),
              help="Print JSON: a list (--json), or an object with the current version and that list (--json=v2).")
@targets()
@common
def status(config, as_json, target, jobs, fail_fast):
    """List every migration with its state: applied, expanded, pending, modified or missing."""
    from . import commands

    _alone(target, jobs, fail_fast)
    if target is not None:
        from . import matrix

        outcomes = target.status()
        if as_json:
            return _ran(outcomes, "status", text=json.dumps(matrix.status_json(outcomes), indent=2))
        return _ran(outcomes, "status", text=matrix.status_matrix(outcomes))
    rows = commands.status(config)
    if as_json:
        click.echo(json.dumps(commands.status_json(rows, as_json), indent=2))
        return
    if not rows:
        click.echo("no migrations")
        return
    width = max(len(r["label"]) for r in rows)
    for r in rows:
        when = r["applied_at"] or ""
        click.echo(f"{r['label']:<{width}}  {r['state']:<8}  {when}")
    counts = {}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    why = commands.all_missing_reason(config, rows)
    if why:
        click.echo(why, err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N", help="Only the newest N entries.")
@common
def history(config, as_json, limit):
    """Every up and down ever run (pymig_log): when, which migration, by whom, how long."""
    from . import commands

    rows = commands.history(config, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no history: nothing was applied to this database yet")
        return
    width = max(len(r["label"]) for r in rows)
    for r in rows:
        click.echo(f"{r['at']}  {r['direction']:<4}  {r['label']:<{width}}  {r['by']}  {r['duration_ms']:.0f} ms")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings.")
@click.option("--offline", is_flag=True, help="Do not connect even when a database URL is configured.")
@click.option("--pending", is_flag=True, help="Only the migrations not applied yet to the database.")
@click.option("--since", "since", type=int, default=None, metavar="VERSION",
              help="Only the migrations after VERSION (no database needed).")
@targets()
@common
def check(config, as_json, offline, pending, since, target, jobs, fail_fast):
    """Lint the migrations: irreversible steps, table rewrites, long locks, breaking renames and drops."""
    from . import commands

    if pending and since is not None:
        raise click.UsageError("give --pending or --since, not both")
    if pending and offline:
        raise click.UsageError("--pending reads the database's history; it cannot go with --offline (use --since)")
    _alone(target, jobs, fail_fast)
    if target is not None:
        return _check_targets(target.check(offline, pending, since), as_json)
    findings = commands.check(config, offline, pending, since)
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for f in findings:
            click.echo(f"{f.file}: {f.operation or '-'}\n  {f.code} {f.severity}: {f.message}\n  fix: {f.fix}")
        click.echo(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}, {errors} error{'s' if errors != 1 else ''}")
    if errors:
        sys.exit(1)


def _check_targets(outcomes, as_json: bool) -> None:
    from . import fleet_report, matrix

    text, errors = matrix.check_report(outcomes)
    if as_json:
        text = json.dumps(fleet_report.as_json(outcomes, "findings", lambda o: [f.as_dict() for f in o.value]),
                          indent=2)
    if fleet_report.failure_message(outcomes, "check"):
        _ran(outcomes, "check", text=text)
    click.echo(text)
    if errors:
        sys.exit(1)


@cli.command()
@click.argument("name")
@common
def new(config, name):
    """Write the next numbered migration module from a template."""
    from . import commands

    path = commands.new(config, name)
    click.echo(f"created {path}")


@cli.command()
@click.option("--from", "from_", type=int, default=None, metavar="VERSION",
              help="First migration to verify (earlier ones are applied without checks).")
@click.option("--to", "to", type=int, default=None, metavar="VERSION", help="Last migration to verify.")
@click.option("--scratch-url", metavar="URL", default=None,
              help="An empty database to use (default: one created on the target's server, then dropped).")
@click.option("--scratch-prefix", "scratch_prefix_", default=None, metavar="PREFIX",
              help="Name of the scratch database before its random part (default pymig_verify_).")
@click.option("--seed", "seeds", multiple=True, metavar="FILE",
              help="Sample rows (.sql, or .py with seed(conn)); 003_x.sql loads once 003 is applied. Repeatable.")
@common
def verify(config, from_, to, scratch_url, seeds):
    """Prove each migration round-trips on a scratch database: up, down, up, comparing catalogs."""
    from . import verify as engine

    engine.run(config, from_, to, scratch_url, seeds, echo=_progress_echo())


@cli.command()
@click.argument("version", type=int)
@common
def repair(config, version):
    """Re-record an applied migration from its edited file: checksum and stored inverse (logged)."""
    from .repair import repair as run

    run(config, version, echo=click.echo)


@cli.command()
@click.argument("name", default="baseline")
@click.option("--version", "version", type=int, default=None, metavar="V",
              help="Version of the written migration (default: 1, or the next free number).")
@click.option("--no-mark", is_flag=True, help="Only write the file; do not record it as applied.")
@click.option("--force", is_flag=True, help="Write one even though the database has pymig history.")
@common
def baseline(config, name, version, no_mark, force):
    """Write the database's whole schema as one migration and record it as applied (not run).

    Every schema is read, the default one's names unqualified; --schema NAME reads that one alone."""
    from . import adopt

    adopt.baseline(config, name, version, no_mark, force, echo=click.echo)


@cli.command("import")
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["seed", "flyway", "golang-migrate", "dbmate"]), default=None,
              help="Layout of SOURCE_DIR (default: detected from the file names).")
@click.option("--adopt-history", is_flag=True,
              help="Record the versions the old tool's history table lists as applied (not run).")
@click.option("--allow-gaps", is_flag=True, help="Accept version numbers that skip some (seed, flyway).")
@common
def import_(config, source_dir, fmt, adopt_history, allow_gaps):
    """Convert a folder of SQL migrations into pymig modules, keeping versions and names."""
    from . import importer

    importer.run(config, source_dir, fmt, adopt_history, allow_gaps, echo=click.echo)


@cli.command()
@click.argument("versions", nargs=-1, type=int, required=True)
@click.option("--force", is_flag=True, help="Record them even when the database lacks what they create.")
@common
def mark(config, versions, force):
    """Record migrations as applied without running them (Alembic stamp, Django --fake)."""
    from . import adopt

    adopt.mark(config, list(versions), force, echo=click.echo)


@cli.command()
@click.argument("versions", nargs=-1, type=int, required=True)
@common
def unmark(config, versions):
    """Forget applied migrations without running their inverse."""
    from . import adopt

    adopt.unmark(config, list(versions), echo=click.echo)


def _terminate(signum, frame):
    # Terminated is imported with this module: a SIGTERM that lands while pymig.errors is being imported
    # must not make the handler import it half-initialised
    raise Terminated()


@cli.command("diff")
@click.argument("name", required=False)
@click.option("--schema-file", metavar="FILE", default=None,
              help="SQL file of the desired schema (default: [tool.pymig] schema_file).")
@click.option("--from-url", metavar="URL", default=None, help="A database whose schema is the desired one, read as it is.")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="Decide a rename: users.name=users.full_name, or old_table=new_table. Repeatable.")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when the migrations differ from the schema.")
@click.option("--dry-run", is_flag=True, help="Print the migration instead of writing it.")
@common
def diff_(config, name, schema_file, from_url, renames, check_only, dry_run):
    """Write the next migration: what turns the migrations' schema into the desired one."""
    from .autogen import command

    if check_only:
        if not command.check(config, schema_file, from_url, echo=click.echo):
            sys.exit(1)
        return
    ask = None
    if sys.stdin.isatty() and sys.stdout.isatty():
        def ask(rename):
            return click.confirm(f"{rename}: rename?", default=False)
    source = command.diff(config, name, schema_file, from_url, renames, dry_run, ask,
                          echo=click.echo, warn=lambda text: click.echo(f"warning: {text}", err=True))
    if source is not None:
        click.echo(source, nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of differences.")
@common
def drift(config, as_json):
    """Compare the database with the schema its applied migrations should have produced."""
    from .autogen import command

    found = command.drift(config)
    sides = ("after the applied migrations", "in the database")
    if as_json:
        click.echo(json.dumps([{"kind": d.kind, "name": d.name, "difference": d.describe(*sides),
                                "expected": d.first, "actual": d.second, "changed": d.changed}
                               for d in found], indent=2, default=str))
    elif not found:
        click.echo("no drift: the database has the schema its applied migrations produce")
    else:
        click.echo(f"drift: {len(found)} difference{'s' if len(found) != 1 else ''} from the schema the applied "
                   "migrations produce")
        for d in found:
            click.echo("  " + d.describe(*sides))
    if found:
        sys.exit(1)


def _progress_echo():
    """click.echo for a command that shows progress on stderr: its own lines end the progress line
    first, and the progress display travels with it (`echo.progress`)."""
    from .engine.progress import Display

    display = Display()

    def echo(message=None, err=False):
        display.clear()
        click.echo(message, err=err)

    echo.progress = display
    return echo


def main(argv=None) -> None:
    """Entry point: user errors print one line (no traceback unless --debug) and exit non-zero.
    SIGTERM is handled like Ctrl-C (what committed is recorded; exit status 143)."""
    argv = sys.argv[1:] if argv is None else argv
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        cli.main(args=argv, prog_name="pymig", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt) as e:
        _clear_progress()
        code = getattr(e.__cause__ if isinstance(e, click.exceptions.Abort) else e, "exit_code", 130)
        what = "stopped by SIGTERM: the open transaction was rolled back" if code == 143 else "interrupted"
        click.echo(f"{what}\nhint: {_interrupt_hint(State.command)}", err=True)
        sys.exit(code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except SystemExit:
        raise
    except Exception as e:
        import traceback  # here, not above: `pymig --help` should not pay for them

        from .config import redact
        from .errors import PymigError

        _clear_progress()
        urls = (State.url, *State.target_urls, *_urls_given(argv))
        debug = State.debug or "--debug" in argv
        if debug:
            click.echo(redact(traceback.format_exc(), *urls), err=True)
        if isinstance(e, PymigError):
            click.echo(redact(f"error: {e}", *urls), err=True)
            sys.exit(e.exit_code)
        click.echo(redact(f"error: internal error: {type(e).__name__}: {e}", *urls), err=True)
        if not debug:
            click.echo("run again with --debug for the traceback", err=True)
        sys.exit(3)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _clear_progress() -> None:
    """End a progress line left on the terminal, so that the error starts a line of its own."""
    progress = sys.modules.get("pymig.engine.progress")
    if progress is not None:
        progress.Display.clear_all()


def _urls_given(argv) -> list[str]:
    """Every URL the user handed pymig, for redaction, even when the configuration failed to load."""
    import os

    urls = [os.environ.get("DATABASE_URL")]
    for i, arg in enumerate(argv):
        for option in ("--database-url", "--scratch-url"):
            if arg == option and i + 1 < len(argv):
                urls.append(argv[i + 1])
            elif arg.startswith(option + "="):
                urls.append(arg.split("=", 1)[1])
    return [u for u in urls if u]


def _interrupt_hint(command: str | None) -> str:
    if command == "up":
        return ("migrations reported as applied stay applied, the one in progress was rolled back or, if it "
                "had committed parts, is partial; `pymig status` shows which, `pymig up` goes on")
    if command == "down":
        return ("migrations reported as reverted stay reverted, the one in progress was rolled back; "
                "`pymig status` shows where it stopped, `pymig down` goes on")
    if command == "verify":
        return "the target database was not touched; the scratch database is dropped unless --scratch-url named it"
    return "nothing was changed"


if __name__ == "__main__":
    main()
