-- Rehearsal stand-in for the staging database of runbooks/staging-release.toml (release 1.15.1).
-- Loaded by the runbook's rehearsal phase (example-api load-db).
CREATE TABLE alembic_version (
  version_num TEXT NOT NULL PRIMARY KEY
);
INSERT INTO alembic_version (version_num) VALUES ('b41e7c2d9a05');

CREATE TABLE users (
  id       INTEGER PRIMARY KEY,
  email    TEXT NOT NULL UNIQUE,
  role     TEXT NOT NULL,
  active   INTEGER NOT NULL DEFAULT 1
);
INSERT INTO users (email, role) VALUES
  ('qa.smoke@example.com', 'teacher'),
  ('qa.admin@example.com', 'admin'),
  ('qa.student@example.com', 'student');

CREATE TABLE grades (
  id         INTEGER PRIMARY KEY,
  student_id INTEGER NOT NULL,
  course     TEXT NOT NULL,
  score      REAL NOT NULL
);
INSERT INTO grades (student_id, course, score) VALUES
  (3, 'MATH-101', 81.0), (3, 'ENG-102', 74.5), (3, 'SCI-103', 80.0);
