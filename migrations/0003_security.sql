-- Security of the service: stored integrations with encrypted secrets, page sessions with CSRF
-- tokens, a token lookup prefix for people, and an audit log no one can rewrite.

-- One row per configured integration (JFrog, GitLab, Jenkins instances, notification channels).
-- `config` holds only non-secret settings; `sealed_secrets` is AES-256-GCM ciphertext of a JSON
-- object of the secret fields, bound to the row id, under the key named by `key_id`.
CREATE TABLE integrations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind            text NOT NULL,
  name            text NOT NULL,
  project_id      uuid REFERENCES projects(id) ON DELETE CASCADE,
  config          jsonb NOT NULL,
  sealed_secrets  text,
  key_id          text,
  enabled         boolean NOT NULL DEFAULT true,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((sealed_secrets IS NULL) = (key_id IS NULL))
);
CREATE UNIQUE INDEX integrations_kind_name ON integrations (kind, name);
CREATE INDEX integrations_key ON integrations (key_id) WHERE key_id IS NOT NULL;

-- Web page sessions: the cookie carries a random id; the database keeps only its hash.
CREATE TABLE sessions (
  id_hash      text PRIMARY KEY,
  token_id     uuid NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- The first characters of a token, so a person can tell tokens apart in listings and logs.
ALTER TABLE api_tokens ADD COLUMN token_prefix text;

-- Append-only audit log, enforced by the database for every role (the app's own included).
-- Operators additionally grant the app role only INSERT and SELECT on it (SECURITY.md).
CREATE FUNCTION scanhub_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION scanhub_audit_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION scanhub_audit_is_append_only();
