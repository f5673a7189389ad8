"""PostgresDatabase holds BEGIN and SET LOCAL back and sends them with the next statement, in one
message (two round trips fewer per migration transaction; docs/benchmarks.md). The transaction
must still be exactly what the executor asked for."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from pymig.dialects.postgres import PostgresDatabase


@pytest.fixture
def db(db_url):
    database = PostgresDatabase(db_url)
    yield database
    database.close()


def test_begin_and_set_local_go_out_with_the_next_statement(db):
    db.execute("BEGIN")
    db.execute("SET LOCAL lock_timeout = '1s'")
    assert db.conn.info.transaction_status == TransactionStatus.IDLE  # nothing sent yet
    db.execute("CREATE TABLE t (id int)")
    assert db.conn.info.transaction_status == TransactionStatus.INTRANS
    assert db.rows("SHOW lock_timeout") == [("1s",)]
    db.execute("COMMIT")
    assert db.rows("SHOW lock_timeout") != [("1s",)]  # it was local to the transaction
    assert db.rows("SELECT to_regclass('t') IS NOT NULL") == [(True,)]


def test_a_read_sends_what_is_held_first(db):
    db.execute("BEGIN")
    db.execute("SET LOCAL lock_timeout = '2s'")
    assert db.query("SHOW lock_timeout") == (["lock_timeout"], [("2s",)])
    assert db.conn.info.transaction_status == TransactionStatus.INTRANS
    db.rollback()


def test_run_python_code_gets_the_transaction_already_open(db):
    db.execute("BEGIN")
    conn = db.raw
    assert conn.info.transaction_status == TransactionStatus.INTRANS
    conn.execute("CREATE TABLE made_by_python (id int)")
    db.rollback()
    assert db.rows("SELECT to_regclass('made_by_python') IS NOT NULL") == [(False,)]


def test_a_failing_statement_fails_alone_and_rolls_back(db):
    db.execute("BEGIN")
    db.execute("SET LOCAL lock_timeout = '1s'")
    with pytest.raises(psycopg.Error) as failure:
        db.execute('ALTER TABLE "missing" ADD COLUMN x int')
    assert db.error_text(failure.value) == 'relation "missing" does not exist'
    assert db.conn.info.transaction_status == TransactionStatus.INERROR
    db.rollback()
    assert db.conn.info.transaction_status == TransactionStatus.IDLE
    db.execute("CREATE TABLE after_failure (id int)")  # autocommit again: no transaction was left open
    assert db.conn.info.transaction_status == TransactionStatus.IDLE


def test_rollback_drops_what_is_held(db):
    db.execute("BEGIN")
    db.rollback()
    db.execute("CREATE TABLE not_in_a_transaction (id int)")
    assert db.conn.info.transaction_status == TransactionStatus.IDLE


def test_statements_with_parameters_are_sent_on_their_own(db):
    db.execute("BEGIN")
    db.execute("CREATE TABLE p (v int)")
    db.execute("INSERT INTO p VALUES (%s)", (7,))
    db.execute("COMMIT")
    assert db.rows("SELECT v FROM p") == [(7,)]
