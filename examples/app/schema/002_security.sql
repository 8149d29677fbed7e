-- Row-level security: every tenant sees only its own rows.
ALTER TABLE app.sessions ENABLE ROW LEVEL SECURITY;
-- FORCE binds the table owner too, so every role's reads carry the tenant filter.
ALTER TABLE app.sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.sessions
    USING (tenant_id = current_setting('app.current_tenant_id'));

ALTER TABLE app.event_log ENABLE ROW LEVEL SECURITY;
