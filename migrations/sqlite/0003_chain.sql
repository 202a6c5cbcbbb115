-- Each event carries a hash of its content and of the event before it: a chain per run that
-- `tminus verify` checks, so a row added, changed or removed behind tminus's back shows.
-- `writer` is the account that wrote the row where the database knows it (not here).
ALTER TABLE events ADD COLUMN hash TEXT;
ALTER TABLE events ADD COLUMN writer TEXT;
