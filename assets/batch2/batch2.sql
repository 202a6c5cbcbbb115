-- Rehearsal database for runbooks/batch2-rollout.toml: Batch 1 (5 qualifications) live,
-- and Batch 2 (15 qualifications, 75 institution_gates + 15 g12_logistics = 90 records) as it
-- looks after a successful deployment. Loaded by the runbook's rehearsal phase (example-api load-db).
PRAGMA foreign_keys = ON;

CREATE TABLE qualifications (
  id    INTEGER PRIMARY KEY,
  code  TEXT NOT NULL UNIQUE,
  name  TEXT NOT NULL,
  batch INTEGER NOT NULL
);

CREATE TABLE institutions (
  id       INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  province TEXT NOT NULL
);

CREATE TABLE institution_gates (
  id               INTEGER PRIMARY KEY,
  qualification_id INTEGER NOT NULL REFERENCES qualifications(id),
  institution      TEXT NOT NULL,
  province         TEXT NOT NULL,
  aps_min          INTEGER NOT NULL,
  batch            INTEGER NOT NULL,
  UNIQUE (qualification_id, institution)
);

CREATE TABLE g12_logistics (
  id                   INTEGER PRIMARY KEY,
  qualification_id     INTEGER NOT NULL UNIQUE REFERENCES qualifications(id),
  application_opens    TEXT NOT NULL,
  application_deadline TEXT NOT NULL,
  batch                INTEGER NOT NULL
);

INSERT INTO qualifications (id, code, name, batch) VALUES
  (1,  'SAQA_94721', 'Bachelor of Science in Computer Science', 1),
  (2,  'SAQA_48101', 'Bachelor of Accounting', 1),
  (3,  'SAQA_101738', 'Bachelor of Education (Foundation Phase)', 1),
  (4,  'SAQA_101600', 'Bachelor of Nursing', 1),
  (5,  'SAQA_20794', 'Bachelor of Laws (LLB)', 1),
  (6,  'SAQA_101980', 'Bachelor of Engineering (Civil)', 2),
  (7,  'SAQA_101981', 'Bachelor of Engineering (Electrical)', 2),
  (8,  'SAQA_101982', 'Bachelor of Engineering (Mechanical)', 2),
  (9,  'SAQA_23375', 'Bachelor of Pharmacy', 2),
  (10, 'SAQA_10826', 'Bachelor of Medicine and Bachelor of Surgery', 2),
  (11, 'SAQA_96814', 'Bachelor of Social Work', 2),
  (12, 'SAQA_89275', 'Bachelor of Commerce in Economics', 2),
  (13, 'SAQA_90662', 'Bachelor of Agriculture', 2),
  (14, 'SAQA_71820', 'Bachelor of Architectural Studies', 2),
  (15, 'SAQA_63130', 'Bachelor of Psychology', 2),
  (16, 'SAQA_99310', 'Diploma in Information Technology', 2),
  (17, 'SAQA_72207', 'Diploma in Public Management', 2),
  (18, 'SAQA_90924', 'Diploma in Tourism Management', 2),
  (19, 'SAQA_101444', 'Higher Certificate in Electrical Engineering', 2),
  (20, 'SAQA_96349', 'Bachelor of Environmental Health', 2);

INSERT INTO institutions (id, name, province) VALUES
  (0,  'University of Cape Town', 'Western Cape'),
  (1,  'Stellenbosch University', 'Western Cape'),
  (2,  'University of the Witwatersrand', 'Gauteng'),
  (3,  'University of Pretoria', 'Gauteng'),
  (4,  'University of KwaZulu-Natal', 'KwaZulu-Natal'),
  (5,  'Nelson Mandela University', 'Eastern Cape'),
  (6,  'Rhodes University', 'Eastern Cape'),
  (7,  'University of the Free State', 'Free State'),
  (8,  'University of Limpopo', 'Limpopo'),
  (9,  'University of Mpumalanga', 'Mpumalanga'),
  (10, 'Sol Plaatje University', 'Northern Cape'),
  (11, 'North-West University', 'North West'),
  (12, 'University of Johannesburg', 'Gauteng'),
  (13, 'Cape Peninsula University of Technology', 'Western Cape'),
  (14, 'Durban University of Technology', 'KwaZulu-Natal');

-- Five institution gates per qualification: Batch 1 = 25 rows, Batch 2 = 75 rows.
WITH RECURSIVE j(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM j WHERE n < 4)
INSERT INTO institution_gates (qualification_id, institution, province, aps_min, batch)
SELECT q.id, i.name, i.province,
       22 + ((q.id * 7 + j.n * 3) % 21),
       q.batch
FROM qualifications q
CROSS JOIN j
JOIN institutions i ON i.id = ((q.id - 1) * 5 + j.n) % 15
ORDER BY q.id, j.n;

-- One Grade 12 logistics record per qualification: Batch 1 = 5 rows, Batch 2 = 15 rows.
INSERT INTO g12_logistics (qualification_id, application_opens, application_deadline, batch)
SELECT id, '2026-04-01', CASE WHEN id % 2 = 0 THEN '2026-09-30' ELSE '2026-08-31' END, batch
FROM qualifications
ORDER BY id;
