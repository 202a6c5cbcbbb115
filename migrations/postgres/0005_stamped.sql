-- Who wrote an event is who the server says wrote it, whatever the row itself says: a login
-- that may insert cannot put another's name on what it wrote.
CREATE FUNCTION tminus_events_writer() RETURNS trigger AS $$
BEGIN
    NEW.writer := session_user;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_writer BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION tminus_events_writer();

-- A run's row is written as the run starts and changed once, as it ends: what it says of the
-- start never changes, and an outcome, once there, is final, like the events it sums up.
CREATE FUNCTION tminus_runs_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.outcome IS NOT NULL
        OR (NEW.id, NEW.runbook, NEW.path, NEW.hash, NEW.operator, NEW.host, NEW.mode, NEW.started_at)
           IS DISTINCT FROM
           (OLD.id, OLD.runbook, OLD.path, OLD.hash, OLD.operator, OLD.host, OLD.mode, OLD.started_at)
    THEN
        RAISE EXCEPTION 'a run''s row changes once, as the run ends';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER runs_once BEFORE UPDATE OR DELETE ON runs
    FOR EACH ROW EXECUTE FUNCTION tminus_runs_once();
