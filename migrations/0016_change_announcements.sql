-- Each instance caches API token identities and project names, so that a read needs one round trip
-- to the database instead of three. A change to either is announced by the database itself (a
-- trigger: no code path can forget it), and every instance listening empties its cache. Updates that
-- cannot change what is cached (a token's "last used", a project's settings) are not announced.
CREATE FUNCTION scanhub_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('scanhub_changes', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_announce AFTER UPDATE OF name, token_hash, role, project_id, expires_at, revoked_at OR DELETE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION scanhub_announce_change();
CREATE TRIGGER projects_announce AFTER UPDATE OF id, name, tags, created_at OR DELETE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION scanhub_announce_change();
