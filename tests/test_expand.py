"""Expand/contract type changes (issue 17) through the installed `pymig`: the lifecycle
(`expanded`, `pymig complete`, auto_complete, `pymig down` from each phase) on small tables."""

from __future__ import annotations

import pytest

from helpers import Project, catalog, connect, log, wait_until

SETUP = '''
    """Orders, and two tables that reference them."""
    from pymig import *
    operations = [
        create_table("orders", column("id", "serial", primary_key=True), column("note", "text"),
                     column("code", "varchar(20)")),
        create_table("items", column("id", "serial", primary_key=True), column("order_id", "integer", references="orders")),
        create_table("payments", column("id", "serial", primary_key=True),
                     column("order_id", "integer", references="orders")),
        create_index("orders", ["note"]),
    ]
'''
BIGINT = '''
    """The orders key to bigint."""
    from pymig import *
    operations = [alter_column("orders", "id", type="bigint")]
'''
ROWS = 2000
BIG = 12_000  # the headline and kill tests' orders (the benchmark has 1M)


def _seed(url: str) -> None:
    with connect(url) as conn:
        conn.execute(f"INSERT INTO orders (note, code) SELECT 'n' || g, 'c' || g FROM generate_series(1, {ROWS}) g")
        conn.execute(f"INSERT INTO items (order_id) SELECT g FROM generate_series(1, {ROWS}) g")
        conn.execute(f"INSERT INTO payments (order_id) SELECT g FROM generate_series(1, {ROWS} / 2) g")


def pymig_objects(url: str) -> list[str]:
    """Whatever of pymig's is left in the schema: columns, triggers, functions, indexes, constraints."""
    with connect(url) as conn:
        return [r[0] for r in conn.execute("""
            SELECT attrelid::regclass || '.' || attname FROM pg_attribute JOIN pg_class ON pg_class.oid = attrelid
             WHERE attname LIKE '%pymig%' AND NOT attisdropped AND relkind IN ('r', 'p', 'v')
            UNION ALL SELECT tgname FROM pg_trigger WHERE tgname LIKE '%pymig%'
            UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE '%pymig%'
            UNION ALL SELECT relname FROM pg_class WHERE relname LIKE '%pymig%' AND relname NOT LIKE 'pymig\\_%'
            UNION ALL SELECT conname FROM pg_constraint WHERE conname LIKE '%pymig%' AND conname NOT LIKE 'pymig\\_%'""")]


def _rows(url: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute("SELECT o.id, o.note, o.code, (SELECT count(*) FROM items i WHERE i.order_id = o.id) "
                            "FROM orders o ORDER BY o.id").fetchall()


def _type(url: str, table: str, column: str) -> str:
    with connect(url) as conn:
        return conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = %s::regclass AND attname = %s", (table, column)).fetchone()[0]


@pytest.fixture
def project(tmp_path, db_url) -> Project:
    p = Project(tmp_path, db_url)
    p.write("001_orders.py", SETUP)
    p.ok("up")
    _seed(db_url)
    p.write("002_bigint.py", BIGINT)
    return p


def test_up_expanded_down_up_complete_and_down_after_it(project):
    url = project.url
    before, rows = catalog(url), _rows(url)
    sql = project.ok("sql")
    for phase in ("-- phase expand:", "-- phase switch:", "-- contract of migrations/002_bigint.py",
                  "-- phase contract:"):
        assert phase in sql, sql
    out = project.ok("up")
    assert "applied migrations/002_bigint.py" in out and "(expanded:" in out
    assert "002_bigint.py  expanded" in project.ok("status")
    assert _type(url, "orders", "id") == "bigint" and _type(url, "orders", "id_pymig_old") == "integer"
    with connect(url) as conn:  # the application writes meanwhile: both columns hold the value
        new_id = conn.execute("INSERT INTO orders (note) VALUES ('during') RETURNING id").fetchone()[0]
        conn.execute("UPDATE orders SET note = 'changed' WHERE id = 1")
        assert conn.execute("SELECT count(*) FROM orders WHERE id <> id_pymig_old").fetchone()[0] == 0
        conn.execute("INSERT INTO items (order_id) VALUES (%s)", (new_id,))
    project.ok("down")
    assert catalog(url) == before
    assert pymig_objects(url) == []
    after = _rows(url)
    assert after[:1] == [(1, "changed", "c1", 1)] and after[1:ROWS] == rows[1:] and after[-1] == (new_id, "during", None, 1)
    assert [d for _, _, d, _ in log(url)][-2:] == ["up", "down"]
    # then up again, and the contract: a bigint key named as before, nothing of pymig's left
    before, rows = catalog(url), _rows(url)
    project.ok("up")
    assert "nothing to apply" in project.ok("up")  # expanded counts as applied
    assert project.ok("sql", "--complete").count("-- phase contract:") == 1
    out = project.ok("complete")
    assert "completed migrations/002_bigint.py" in out
    assert "002_bigint.py  applied" in project.ok("status")
    assert pymig_objects(url) == []
    assert _type(url, "orders", "id") == "bigint"
    with connect(url) as conn:
        assert conn.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE conrelid = 'orders'::regclass AND contype <> 'n'").fetchall() == [("orders_pkey", "PRIMARY KEY (id)")]
        assert sorted(conn.execute("SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f'").fetchall()) \
            == [("items_order_id_fkey", True), ("payments_order_id_fkey", True)]
        assert conn.execute("SELECT data_type::text FROM pg_sequences WHERE sequencename = 'orders_id_seq'"
                            ).fetchone()[0] == "bigint"
        conn.execute("INSERT INTO orders (id, note) VALUES (3000000000, 'big')")  # past the integer range
        conn.execute("DELETE FROM orders WHERE id = 3000000000")
    assert _rows(url) == rows
    assert "nothing to complete" in project.ok("complete")
    # after the contract the inverse is the ordinary type change (which expands and contracts in one go)
    project.ok("down", "--allow-data-loss")
    assert pymig_objects(url) == []
    assert _type(url, "orders", "id") == "integer"
    assert _rows(url) == rows
    assert catalog(url) == before  # the sequence counts in integer again too
    assert [d for _, _, d, _ in log(url)][-3:] == ["up", "complete", "down"]
    res = project.run("complete", "1")
    assert res.returncode == 1 and "migrations/001_orders.py is not expanded (it is applied)" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


class Writer:
    """The application: inserts orders with an item each and updates random orders, without pause,
    from its own connection, until stopped; every failed write is kept. Statements are not prepared
    (a prepared `RETURNING id` fails once after any type change of id: docs/expand-contract.md)."""

    def __init__(self, url: str):
        import threading

        self.url, self.errors, self.writes = url, [], 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        wait_until(lambda: self.writes > 20, what="the writer's first writes")
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(30)

    def _run(self):
        import random

        import psycopg

        rng = random.Random(17)
        with psycopg.connect(self.url, autocommit=True, prepare_threshold=None) as conn:
            top = conn.execute("SELECT max(id) FROM orders").fetchone()[0]
            while not self.stop_event.is_set():
                try:
                    new = conn.execute("INSERT INTO orders (note, code) VALUES ('w', 'w') RETURNING id").fetchone()[0]
                    conn.execute("INSERT INTO items (order_id) VALUES (%s)", (new,))
                    conn.execute("UPDATE orders SET note = note || '+' WHERE id = %s", (rng.randint(1, top),))
                    self.writes += 3
                except psycopg.Error as e:
                    self.errors.append(str(e))


def _fks_valid(url: str) -> list[tuple]:
    with connect(url) as conn:
        return sorted(conn.execute("SELECT conname, convalidated, confrelid::regclass::text FROM pg_constraint "
                                   "WHERE contype = 'f'").fetchall())


def test_headline_int_to_bigint_key_under_a_concurrent_writer(tmp_path, db_url):
    """orders with an integer key that two tables reference: up, down, up, and the contract (through
    auto_complete at the next up) while a writer inserts and updates without pause; no write fails, both columns agree, the foreign keys stay
    valid, down restores the old state with every row, complete leaves a bigint key and nothing else."""
    project = Project(tmp_path, db_url)
    project.write("001_orders.py", SETUP)
    project.ok("up")
    with connect(db_url) as conn:
        conn.execute(f"INSERT INTO orders (note, code) SELECT 'n' || g, 'c' || g FROM generate_series(1, {BIG}) g")
        conn.execute(f"INSERT INTO items (order_id) SELECT g FROM generate_series(1, {BIG}) g")
        conn.execute(f"INSERT INTO payments (order_id) SELECT g FROM generate_series(1, {BIG}, 2) g")
    before = catalog(db_url)
    project.write("002_bigint.py", BIGINT)
    fks = [("items_order_id_fkey", True, "orders"), ("payments_order_id_fkey", True, "orders")]
    with Writer(db_url) as writer:
        project.ok("up")
        with connect(db_url) as conn:
            assert conn.execute("SELECT count(*) FROM orders WHERE id IS DISTINCT FROM id_pymig_old").fetchone()[0] == 0
        assert _fks_valid(db_url) == fks
        project.ok("down")
        assert catalog(db_url) == before
        project.ok("up")
        # the contract at the next `pymig up`, with auto_complete, before the new migration
        (project.root / "pyproject.toml").write_text("[tool.pymig]\nauto_complete = true\n")
        project.write("003_extra.py", '"""Extra."""\nfrom pymig import *\noperations = [add_column("orders", "extra", "text")]\n')
        sql = project.ok("sql")
        assert sql.index("-- contract of migrations/002_bigint.py") < sql.index("-- migrations/003_extra.py")
        out = project.ok("up")
        assert out.index("completed migrations/002_bigint.py (auto_complete)") < out.index("applied migrations/003_extra.py")
    assert writer.errors == [] and writer.writes > 100, writer.errors[:3]
    assert _type(db_url, "orders", "id") == "bigint" and pymig_objects(db_url) == []
    assert _fks_valid(db_url) == fks
    with connect(db_url) as conn:
        assert conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'p'"
                            ).fetchall() == [("orders_pkey",)]
        # every order the writer made is there, with its item; none was lost by the down
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == BIG + conn.execute(
            f"SELECT count(*) FROM items WHERE id > {BIG}").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM orders o WHERE NOT EXISTS "
                            "(SELECT 1 FROM items i WHERE i.order_id = o.id)").fetchone()[0] == 0


def _kill_test_project(tmp_path, db_url, settings: str) -> tuple[Project, list]:
    project = Project(tmp_path, db_url)
    (tmp_path / "pyproject.toml").write_text(f"[tool.pymig]\n{settings}\n")
    project.write("001_orders.py", SETUP)
    project.ok("up")
    with connect(db_url) as conn:
        conn.execute(f"INSERT INTO orders (note, code) SELECT 'n' || g, 'c' || g FROM generate_series(1, {BIG}) g")
        conn.execute(f"INSERT INTO items (order_id) SELECT g FROM generate_series(1, {BIG}) g")
    before = catalog(db_url)
    project.write("002_bigint.py", BIGINT)
    return project, before


def _progress(url: str):
    with connect(url) as conn:
        row = conn.execute("SELECT progress FROM pymig_migrations WHERE version = 2").fetchone()
        return row[0] if row else None


def _waiting_switch(url: str) -> int:
    with connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND query LIKE '%DROP CONSTRAINT \"payments_order_id_fkey\"%'").fetchone()[0]


def _finishes_after_the_kill(project: Project) -> None:
    """The rerun resumes and ends expanded, both columns equal; complete ends with a bigint key and
    nothing of pymig's."""
    url = project.url
    (project.root / "pyproject.toml").write_text("")  # the rerun at the defaults
    assert "002_bigint.py  partial" in project.ok("status")
    out = project.ok("up")
    assert "resuming migrations/002_bigint.py" in out and "(expanded:" in out, out
    with connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE id IS DISTINCT FROM id_pymig_old").fetchone()[0] == 0
    project.ok("complete")
    assert pymig_objects(url) == [] and _type(url, "orders", "id") == "bigint"
    assert [c for c in _fks_valid(url) if c[0] == "items_order_id_fkey"] == [("items_order_id_fkey", True, "orders")]


def test_kill_9_during_the_backfill_then_up_finishes(tmp_path, db_url):
    """Killed between two batches: `pymig down` then takes back what the expand committed; killed
    again, the rerun of `pymig up` goes on after the last batch."""
    project, before = _kill_test_project(tmp_path, db_url, 'backfill_pause = "2s"')
    for attempt in (1, 2):
        proc = project.start("up", output=tmp_path / "up.log")
        try:
            wait_until(lambda: (_progress(db_url) or {}).get("after") is not None, timeout=60, what="a backfill batch")
        finally:
            proc.kill()
            proc.wait(30)
        assert (_progress(db_url) or {}).get("after") is not None  # killed between two batches
        if attempt == 1:
            project.ok("down")
            assert catalog(db_url) == before and pymig_objects(db_url) == []
    _finishes_after_the_kill(project)


def test_kill_9_during_the_switch_then_up_finishes(tmp_path, db_url):
    """A session holding a lock on payments keeps the switch transaction waiting (its lock timeout
    and retries): pymig is killed while inside it, then the session goes."""
    project, _ = _kill_test_project(tmp_path, db_url, 'lock_timeout = "5s"')
    with connect(db_url) as blocker:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE payments IN ACCESS SHARE MODE")
        proc = project.start("up", output=tmp_path / "up.log")
        try:
            wait_until(lambda: _waiting_switch(db_url), timeout=60, what="the switch waiting for its lock")
        finally:
            proc.kill()
            proc.wait(30)
        blocker.execute("ROLLBACK")
    assert _type(db_url, "orders", "id") == "integer"  # the switch's transaction did not commit
    _finishes_after_the_kill(project)


def test_verify_runs_an_expanded_migration_through_every_phase(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_orders.py", SETUP)
    project.write("002_bigint.py", BIGINT)
    out = project.ok("verify")
    assert "ok    migrations/002_bigint.py" in out, out
    assert "2 migrations verified" in out


# -- the other type changes ---------------------------------------------------------------------------

CASES = {
    # old type, a CHECK on it, the operation, a written value, what makes the two columns agree
    "text_to_integer_using": ("text", "", 'alter_column("things", "v", type="integer", using="nullif(v, \'\')::integer")',
                              "'41'", "v::text = v_pymig_old"),
    "identity_to_bigint": ("integer", ', identity="by default"', 'alter_column("things", "v", type="bigint")',
                           "nextval(pg_get_serial_sequence('things', 'v'))", "v = v_pymig_old"),
    "timestamp_to_timestamptz_with_a_check": (
        "timestamp", ', check="v > \'2000-01-01\'"', 'alter_column("things", "v", type="timestamptz")',
        "localtimestamp", "v = v_pymig_old"),
}


def _things(tmp_path, db_url, old_type: str, check: str = "") -> Project:
    project = Project(tmp_path, db_url)
    project.write("001_things.py", f'''
        """Things."""
        from pymig import *
        operations = [
            create_table("things", column("id", "serial", primary_key=True), column("v", "{old_type}"{check}),
                         column("note", "text")),
            create_index("things", ["v"]),
        ]
    ''')
    project.ok("up")
    return project


def _write_things(url: str, value: str, stop, errors: list) -> None:
    import random

    import psycopg

    rng = random.Random(3)
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        while not stop.is_set():
            try:
                conn.execute(f"INSERT INTO things (v, note) VALUES ({value}, 'w')")
                conn.execute("UPDATE things SET note = note || '+' WHERE id = %s", (rng.randint(1, 1000),))
            except psycopg.Error as e:
                errors.append(str(e))


@pytest.mark.parametrize("case", sorted(CASES))
def test_type_change_in_every_phase_under_a_writer(tmp_path, db_url, case):
    """up (expanded: both columns agree), down before the contract (the schema before, every row),
    up, complete (the new type, nothing of pymig's)."""
    import threading

    old_type, check, op, value, agree = CASES[case]
    project = _things(tmp_path, db_url, old_type, check)
    with connect(db_url) as conn:
        conn.execute(f"INSERT INTO things (v, note) SELECT {value}, 'n' || g FROM generate_series(1, 1000) g")
    before = catalog(db_url)
    project.write("002_retype.py", f'"""Retype."""\nfrom pymig import *\noperations = [{op}]\n')
    stop, errors = threading.Event(), []
    writer = threading.Thread(target=_write_things, args=(db_url, value, stop, errors), daemon=True)
    writer.start()
    try:
        assert "(expanded:" in project.ok("up")
        with connect(db_url) as conn:
            assert conn.execute(f"SELECT count(*) FROM things WHERE NOT ({agree})").fetchone()[0] == 0
        project.ok("down")
        assert catalog(db_url) == before
        project.ok("up")
        project.ok("complete")
        assert pymig_objects(db_url) == []  # (a down after the contract: test_up_expanded_down_up_complete...)
    finally:
        stop.set()
        writer.join(30)
    assert errors == []
    with connect(db_url) as conn:  # the writer's rows are all there, and none lost its value
        assert conn.execute("SELECT count(*) FROM things WHERE v IS NULL").fetchone()[0] == 0


def test_varchar_to_text_with_a_check_is_one_plain_statement(tmp_path, db_url):
    """varchar(n) to text only changes the catalog: no expand, no `expanded`; the CHECK stays."""
    import threading

    project = _things(tmp_path, db_url, "varchar(20)", ', check="char_length(v) > 0"')
    with connect(db_url) as conn:
        conn.execute("INSERT INTO things (v, note) SELECT 'x' || g, 'n' FROM generate_series(1, 1000) g")
    before = catalog(db_url)
    project.write("002_retype.py", '"""Retype."""\nfrom pymig import *\noperations = [alter_column("things", "v", type="text")]\n')
    sql = project.ok("sql")
    assert "-- phase" not in sql and 'ALTER TABLE "things" ALTER COLUMN "v" TYPE text' in sql
    stop, errors = threading.Event(), []
    writer = threading.Thread(target=_write_things, args=(db_url, "'w'", stop, errors), daemon=True)
    writer.start()
    try:
        out = project.ok("up")
        assert "(expanded:" not in out and "002_retype.py  applied" in project.ok("status")
        assert _type(db_url, "things", "v") == "text"
        assert [r[1] for r in catalog(db_url) if r[1].startswith("things.things_v_check")] == ["things.things_v_check"]
        project.ok("down")
        assert catalog(db_url) == before
    finally:
        stop.set()
        writer.join(30)
    assert errors == []
