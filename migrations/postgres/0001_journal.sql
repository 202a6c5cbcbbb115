-- The journal on PostgreSQL: the same runs and append-only events as the SQLite journal, and a
-- notification on every append so observers on other machines follow without polling.
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
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
    id       BIGSERIAL PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runs (id),
    seq      BIGINT NOT NULL,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    step     TEXT,
    payload  TEXT NOT NULL,
    data     BYTEA
);

CREATE UNIQUE INDEX events_run_seq ON events (run_id, seq);

CREATE FUNCTION tminus_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION tminus_events_append_only();

CREATE FUNCTION tminus_events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('tminus_events', NEW.run_id || ' ' || NEW.seq);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION tminus_events_notify();
