"""Progress through the installed `pymig`: on a terminal (a pseudo-terminal here) one line rewritten
in place, counting on after a resume; off a terminal a line every few seconds; how long a slow step
(run_python, a long statement) and each migration of `verify` have been running."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from helpers import Project, clean_env, connect

TABLE = '''
    """Items."""
    from pymig import column, create_table

    operations = [create_table("items", column("id", "serial", primary_key=True), column("n", "integer"))]
'''

BACKFILL = '''
    """Fill n."""
    from pymig import backfill

    operations = [backfill("items", set={"n": "id * 2"}, batch_size=50)]
'''

SLOW = '''
    """Slow."""
    import time

    from pymig import run_python


    def slow(conn):
        time.sleep(3)


    operations = [run_python(slow, down=slow)]
'''

# long enough that a Ctrl-C sent once "running for" shows (after 2 s) lands inside it, even on a busy machine
SLOWER = SLOW.replace("time.sleep(3)", "time.sleep(12)")

LINE = re.compile(r"backfill items: ([\d,]+)/([\d,]+) rows")


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_items.py", TABLE)
    project.ok("up")
    with connect(db_url) as conn:
        conn.execute("INSERT INTO items (n) SELECT 0 FROM generate_series(1, 8000)")
    return project


def _ctrl_c_as_on_a_terminal() -> None:
    """A suite started in the background (`cmd &` in a script) ignores SIGINT, and a child inherits
    that; on a user's terminal Ctrl-C is not ignored, so the child gets the default back."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def in_terminal(project: Project, *args: str, interrupt_when=None, timeout: float = 120) -> tuple[int, str]:
    """Run `pymig ARGS` with a pseudo-terminal as its stdout and stderr; send Ctrl-C (SIGINT) once
    `interrupt_when(output so far)` is true."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(project.command(*args), cwd=project.root, env=clean_env(), stdin=slave,
                            stdout=slave, stderr=slave, start_new_session=True, preexec_fn=_ctrl_c_as_on_a_terminal)
    os.close(slave)
    out, sent, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk and proc.poll() is not None:
                break
            out += chunk
        elif proc.poll() is not None:
            break
        if interrupt_when and not sent and interrupt_when(out.decode(errors="replace")):
            os.kill(proc.pid, signal.SIGINT)
            sent = True
    os.close(master)
    return proc.wait(timeout=30), out.decode(errors="replace")


def counts(text: str) -> list[tuple[int, int]]:
    return [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b in LINE.findall(text)]


def test_backfill_on_a_terminal_is_one_line_that_counts_on_after_a_resume(project):
    # batches grow to fill their time budget: 8,000 rows take about 7 batches, so a 1 s pause leaves the
    # Ctrl-C sent after the third a few seconds to land before the backfill ends, even on a busy machine
    (project.root / "pyproject.toml").write_text('[tool.pymig]\nbackfill_pause = "1s"\n')
    project.write("002_fill.py", BACKFILL)
    code, first = in_terminal(project, "up", interrupt_when=lambda out: len(counts(out)) >= 3)
    assert code == 130, first
    assert "interrupted after" in first and "pymig up" in first, first
    seen = counts(first)
    assert len(seen) >= 3 and {total for _, total in seen} == {8000}
    progress_lines = [line for line in first.split("\n") if "backfill items:" in line]
    assert len(progress_lines) == 1 and progress_lines[0].count("\r") >= 3, first  # rewritten in place
    assert "rows/s" in first and "left" in first

    code, second = in_terminal(project, "up")
    assert code == 0, second
    assert "resuming migrations/002_fill.py" in second
    resumed = counts(second)
    assert resumed[0][0] > seen[-1][0] and resumed[0][1] == 8000, (seen, resumed)  # not back at 1%
    assert resumed[-1][0] == 8000
    assert re.search(r"backfill items: 8,000 rows, the last [\d,]+ in \d+ s \(resumed\)\r?\n", second), second
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM items WHERE n = id * 2").fetchone()[0] == 8000


def test_backfill_off_a_terminal_prints_a_line_every_few_seconds(project):
    (project.root / "pyproject.toml").write_text('[tool.pymig]\nbackfill_pause = "1s"\n')
    project.write("002_fill.py", BACKFILL)
    started = time.monotonic()
    res = project.run("up")
    took = time.monotonic() - started
    assert res.returncode == 0, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.startswith("backfill items:")]
    assert "\r" not in res.stderr
    assert lines[-1].startswith("backfill items: 8,000 rows in")
    assert 1 <= len(lines) - 1 <= took / 5 + 1, (took, lines)  # not one line per batch


def test_a_slow_step_and_verify_show_how_long_they_have_been_running(project):
    project.write("002_slow.py", SLOW)
    code, out = in_terminal(project, "up")
    assert code == 0, out
    assert re.search(r"migrations/002_slow\.py: operation 1 \(run_python slow\): running for [23] s", out), out
    assert "applied migrations/002_slow.py" in out
    project.ok("down", "--to", "0", "--allow-data-loss")
    code, out = in_terminal(project, "verify")
    assert code == 0, out
    assert re.search(r"verifying migrations/002_slow\.py \(2 of 2\): running for \d s", out), out
    assert "2 migrations verified" in out


def test_interrupting_a_down_says_how_to_go_on(project):
    project.write("002_slow.py", SLOWER)
    project.ok("up")
    code, out = in_terminal(project, "down", interrupt_when=lambda out: "running for" in out)
    assert code == 130, out
    assert "interrupted" in out and "`pymig down` goes on" in out and "pymig up" not in out, out
    project.write("003_slow.py", SLOWER)
    code, out = in_terminal(project, "up", interrupt_when=lambda out: "running for" in out)
    assert code == 130, out
    assert "`pymig up` goes on" in out, out
