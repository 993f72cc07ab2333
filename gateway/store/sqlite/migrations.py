"""Forward migrations of the SQLite files, recorded in each file's `PRAGMA user_version`.

Both files (the main database and the preferences database beside it) carry their own
list. On open, each pending migration runs in its own transaction, which also sets the new
version: a process killed halfway leaves the file at the old version and the next start
runs that migration again. Processes starting at once take turns on the writers' lock file
and re-read the version once they hold it, so each migration runs once."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from gateway.store.sqlite.writer import connect
from gateway.store.versions import Migration, latest, pending

SqliteMigration = Migration[Callable[[sqlite3.Connection], None]]

# Release 0.1.0's tables, as it created them (it recorded no version: user_version 0).
MAIN_V1 = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    subject_keys TEXT NOT NULL,
    payload BLOB NOT NULL,
    meta BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, next_attempt_at);
CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    subject_keys TEXT NOT NULL,
    payload BLOB NOT NULL,
    meta BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    dead_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letter_destination ON dead_letter (destination);
CREATE TABLE IF NOT EXISTS dedupe (
    source_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (source_id, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_expiry ON dedupe (expires_at);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY,
    delivered_at REAL NOT NULL,
    destination TEXT NOT NULL,
    country TEXT NOT NULL,
    purposes TEXT NOT NULL,
    categories TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    subject_keys TEXT NOT NULL,
    message_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    consent BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_destination ON ledger (destination, delivered_at);
CREATE INDEX IF NOT EXISTS ledger_time ON ledger (delivered_at);
CREATE TABLE IF NOT EXISTS ledger_subject (
    subject_key TEXT NOT NULL,
    ledger_id INTEGER NOT NULL REFERENCES ledger (id) ON DELETE CASCADE,
    PRIMARY KEY (subject_key, ledger_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_subject_id ON ledger_subject (ledger_id);
CREATE TABLE IF NOT EXISTS once (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS admin_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    entry BLOB NOT NULL
);
"""

PREFERENCES_V1 = """
CREATE TABLE IF NOT EXISTS preferences (
    subject_key TEXT PRIMARY KEY,
    state BLOB NOT NULL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS consent_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    subject_key TEXT NOT NULL,
    before BLOB NOT NULL,
    after BLOB NOT NULL,
    source TEXT NOT NULL,
    policy_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consent_log_subject ON consent_log (subject_key, at);
"""


def _statements(script: str) -> Callable[[sqlite3.Connection], None]:
    """Statement by statement: executescript() would commit the open transaction first."""

    def apply(conn: sqlite3.Connection) -> None:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)

    return apply


MAIN: tuple[SqliteMigration, ...] = (
    Migration(1, "create the 0.1.0 tables if missing; stamp version 1", _statements(MAIN_V1)),
)
PREFERENCES: tuple[SqliteMigration, ...] = (
    Migration(
        1, "create the 0.1.0 tables if missing; stamp version 1", _statements(PREFERENCES_V1)
    ),
)


def version(path: Path) -> int:
    """The file's schema version without changing anything (0: absent or unversioned)."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def plan(path: Path, migrations: Sequence[SqliteMigration]) -> list[SqliteMigration]:
    """What `upgrade` would run; raises StoreTooNew for a file newer than the code."""
    return pending(path.name, version(path), migrations)


def upgrade(path: Path, migrations: Sequence[SqliteMigration]) -> list[SqliteMigration]:
    """Run the pending migrations, each in one transaction; returns those this call ran."""
    conn = connect(path)
    lock = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    ran: list[SqliteMigration] = []
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found == latest(migrations):
            return ran
        for migration in pending(path.name, found, migrations):
            conn.execute("BEGIN IMMEDIATE")
            try:
                migration.apply(conn)
                conn.execute(f"PRAGMA user_version = {int(migration.version)}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            ran.append(migration)
        return ran
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
        conn.close()
