-- Rehearsal stand-in for the kitchen_kontrol_staging database (runbooks/week4-preproduction.toml).
-- Loaded by the runbook's rehearsal phase (example-api load-db).
CREATE TABLE users (
  id    INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name  TEXT NOT NULL,
  role  TEXT NOT NULL
);
INSERT INTO users (email, name, role) VALUES
  ('test@example.com', 'Staging Tester', 'staff'),
  ('admin@example.com', 'Staging Admin', 'admin');

CREATE TABLE absence_logs (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  date       TEXT NOT NULL,
  reason     TEXT NOT NULL,
  notes      TEXT
);
INSERT INTO absence_logs (user_id, date, reason, notes) VALUES
  (1, '2025-10-14', 'Sick', 'seed row');

CREATE TABLE migrations (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL,
  run_on  TEXT NOT NULL
);
INSERT INTO migrations (name, run_on) VALUES
  ('001_init.sql', '2025-10-18T10:12:00Z'),
  ('002_absence_logs.sql', '2025-10-18T10:12:01Z'),
  ('003_roles.sql', '2025-10-18T10:12:01Z');
