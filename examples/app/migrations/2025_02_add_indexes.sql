-- Runs against the live database.
CREATE INDEX idx_sessions_status ON app.sessions (status);
CREATE INDEX idx_artifacts_type_tenant ON app.artifacts (artifact_type, tenant_id);

REINDEX INDEX app.idx_embeddings_768_hnsw;
VACUUM FULL app.artifacts;
