-- One driver per run: the lead holds a lease and renews it; a dead lead's lease can be taken.
CREATE TABLE leases (
    run_id     TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    since      TEXT NOT NULL,
    heartbeat  TEXT NOT NULL
);
