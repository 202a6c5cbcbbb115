-- Each event carries a hash of its content and of the event before it: a chain per run that
-- `tminus verify` checks, so a row added, changed or removed behind tminus's back shows.
ALTER TABLE events ADD COLUMN hash TEXT;
-- The login that wrote the row, as the server knows it: a forged row names its writer.
ALTER TABLE events ADD COLUMN writer TEXT NOT NULL DEFAULT session_user;

-- Row triggers do not fire on TRUNCATE: the journal refuses it per statement too.
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION tminus_events_append_only();
CREATE TRIGGER runs_no_truncate BEFORE TRUNCATE ON runs
    FOR EACH STATEMENT EXECUTE FUNCTION tminus_events_append_only();
