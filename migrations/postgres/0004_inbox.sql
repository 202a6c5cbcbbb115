-- Commands from people on other machines: a row per command, its login set by the database
-- (never by the client), followed by the run's conductor through LISTEN/NOTIFY.
CREATE TABLE inbox (
    id      BIGSERIAL PRIMARY KEY,
    run_id  TEXT NOT NULL,
    login   TEXT NOT NULL DEFAULT session_user,
    name    TEXT NOT NULL,
    act     TEXT NOT NULL,
    at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION tminus_inbox_stamp() RETURNS trigger AS $$
BEGIN
    NEW.login := session_user;
    PERFORM pg_notify('tminus_inbox', NEW.run_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER inbox_stamp BEFORE INSERT ON inbox
    FOR EACH ROW EXECUTE FUNCTION tminus_inbox_stamp();

CREATE TRIGGER inbox_no_update BEFORE UPDATE OR DELETE ON inbox
    FOR EACH ROW EXECUTE FUNCTION tminus_events_append_only();
