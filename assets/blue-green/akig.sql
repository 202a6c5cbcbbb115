-- Rehearsal stand-in for the AKIG database after migration 009 and the site seed
-- (runbooks/blue-green-feature-flags.toml). Loaded by the runbook's rehearsal phase (example-api load-db).
CREATE TABLE sites (
  id           INTEGER PRIMARY KEY,
  code         TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  country      TEXT NOT NULL,
  tax_rate_pct INTEGER NOT NULL
);
INSERT INTO sites (code, name, country, tax_rate_pct) VALUES
  ('GN_CONAKRY', 'Conakry', 'GN', 5),
  ('GN_KINDIA',  'Kindia',  'GN', 4),
  ('GN_MAMOU',   'Mamou',   'GN', 4),
  ('GN_LABE',    'Labe',    'GN', 4),
  ('SN_DAKAR',   'Dakar',   'SN', 5),
  ('ML_BAMAKO',  'Bamako',  'ML', 5);

CREATE TABLE contracts (
  id           INTEGER PRIMARY KEY,
  tenant_id    INTEGER NOT NULL,
  site_id      TEXT REFERENCES sites(code),
  monthly_rent INTEGER NOT NULL
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO contracts (tenant_id, site_id, monthly_rent)
SELECT 1000 + i,
       CASE i % 6 WHEN 0 THEN 'GN_CONAKRY' WHEN 1 THEN 'GN_KINDIA' WHEN 2 THEN 'GN_MAMOU'
                  WHEN 3 THEN 'GN_LABE' WHEN 4 THEN 'SN_DAKAR' ELSE 'ML_BAMAKO' END,
       1500000 + (i * 37000) % 900000
FROM n;

-- The other eight tables of migration 009 (empty until the services write to them).
CREATE TABLE tenant_retention_scores (id INTEGER PRIMARY KEY, tenant_id INTEGER, site_id TEXT, score REAL, risk_level TEXT);
CREATE TABLE retention_campaigns (id INTEGER PRIMARY KEY, name TEXT, site_id TEXT, budget INTEGER);
CREATE TABLE retention_actions (id INTEGER PRIMARY KEY, campaign_id INTEGER, tenant_id INTEGER, offer TEXT);
CREATE TABLE agent_tasks (id INTEGER PRIMARY KEY, agent_id TEXT, site_id TEXT, title TEXT, due_on TEXT);
CREATE TABLE task_priority_scores (id INTEGER PRIMARY KEY, task_id INTEGER, urgency REAL, reasoning TEXT);
CREATE TABLE alert_explanations (id INTEGER PRIMARY KEY, alert_id INTEGER, explanation TEXT);
CREATE TABLE kpi_snapshots (id INTEGER PRIMARY KEY, site_id TEXT, period TEXT, metrics TEXT);
CREATE TABLE regional_rules (id INTEGER PRIMARY KEY, site_id TEXT, rule TEXT, value TEXT);
