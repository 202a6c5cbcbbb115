-- Stand-in for the orders database of runbooks/demo.toml. The preflight phase loads it into
-- ${DEMO_DIR}/orders.db ("$TMINUS" example-api load-db), and the demo's SQL checks read it:
-- 90 orders, of which 75 shipped, 10 pending and 5 cancelled.
-- fax_number is the column that migration 0042 drops on the day (the stand-in keeps it).
CREATE TABLE orders (
  id          INTEGER PRIMARY KEY,
  customer    TEXT    NOT NULL,
  status      TEXT    NOT NULL CHECK (status IN ('pending', 'shipped', 'cancelled')),
  total_cents INTEGER NOT NULL,
  fax_number  TEXT,
  created_at  TEXT    NOT NULL
);

-- Orders 1-75 shipped, 76-85 pending, 86-90 cancelled; 30 customers, one order every 8 hours.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 90)
INSERT INTO orders (id, customer, status, total_cents, fax_number, created_at)
SELECT i,
       printf('customer-%03d', (i * 7) % 30 + 1),
       CASE WHEN i <= 75 THEN 'shipped' WHEN i <= 85 THEN 'pending' ELSE 'cancelled' END,
       1500 + (i * 379) % 18500,
       CASE WHEN i % 9 = 0 THEN printf('+27 21 555 %04d', i) END,
       datetime('2025-11-01 08:00:00', printf('+%d hours', (i - 1) * 8))
FROM n;
