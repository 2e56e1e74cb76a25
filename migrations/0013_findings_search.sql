-- Findings explorer on large projects (bench/dashboard.ts, 100,000 findings): the text filter and the
-- grouping extracted values from the JSON `data` of every finding of the project on each request.
-- Stored generated columns keep those values in the row (PostgreSQL computes them on every INSERT and
-- UPDATE, so ingest needs no change), and a trigram index answers the substring search
-- (ILIKE '%q%') from the index instead of a scan. pg_trgm is a trusted extension (PostgreSQL >= 13:
-- a user with CREATE on the database may create it); PGlite loads it in src/store/db.ts.

-- An extension belongs to the database, not to a schema's tables: install it once in `public` when we
-- may (a schema that is dropped — e.g. a test's — would take the extension, and every index using
-- it, along), else in our own schema; if it is already installed anywhere, use it where it is.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    IF has_schema_privilege('public', 'CREATE') THEN
      CREATE EXTENSION pg_trgm SCHEMA public;
    ELSE
      CREATE EXTENSION pg_trgm;
    END IF;
  END IF;
END $$;

ALTER TABLE findings
  -- The grouping keys of the findings explorer (GROUP_KEYS in src/store/repositories/findings.ts).
  ADD COLUMN group_vulnerability text GENERATED ALWAYS AS (COALESCE(data->'vulnerabilityIds'->>0, rule_id)) STORED,
  ADD COLUMN group_package text GENERATED ALWAYS AS (data->'package'->>'name') STORED,
  ADD COLUMN group_path text GENERATED ALWAYS AS (COALESCE(data->'location'->>'path', data->'location'->>'image', data->'location'->>'resource')) STORED,
  -- Every field the text filter matches, one per line: a substring of any field is a substring of this,
  -- so it selects the candidates and the query re-checks each field.
  ADD COLUMN search_text text GENERATED ALWAYS AS (
    title || E'\n' || rule_id || E'\n' || COALESCE(data->>'vulnerabilityIds', '') || E'\n' ||
    COALESCE(data->'package'->>'name', '') || E'\n' || COALESCE(data->'location'->>'path', '')) STORED;

-- The operator class named in the extension's schema, which need not be on search_path; queries use
-- the built-in ILIKE operator, so they need nothing from that schema.
DO $$
BEGIN
  EXECUTE format('CREATE INDEX findings_search_trgm ON findings USING gin (search_text %I.gin_trgm_ops)',
    (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'));
END $$;

-- Findings in CISA KEV are few: the kev filter walks these in page order instead of every finding.
-- The predicate is the filter's own expression (findingConditions), so the planner matches it.
CREATE INDEX findings_kev_rank ON findings (project_id, severity_rank DESC, id) WHERE jsonb_typeof(data->'kev') = 'object';
