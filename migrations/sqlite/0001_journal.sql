-- The journal: one row per run, and the append-only event log every view is folded from.
CREATE TABLE runs (
    id          TEXT PRIMARY KEY NOT NULL,
    runbook     TEXT NOT NULL,
    path        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    operator    TEXT NOT NULL,
    host        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    outcome     TEXT
);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runs (id),
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    step     TEXT,
    payload  TEXT NOT NULL,
    data     BLOB
);

CREATE UNIQUE INDEX events_run_seq ON events (run_id, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
