CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE app.embeddings_768 (
    id        bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    embedding vector(768) NOT NULL
);

CREATE TABLE app.embeddings_3072 (
    id        bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    embedding vector(3072) NOT NULL
);

ALTER TABLE app.embeddings_768 ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.embeddings_768 USING (tenant_id = current_setting('app.current_tenant_id'));
ALTER TABLE app.embeddings_3072 ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.embeddings_3072 USING (tenant_id = current_setting('app.current_tenant_id'));

CREATE INDEX idx_embeddings_768_hnsw ON app.embeddings_768
    USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 24);

CREATE INDEX idx_embeddings_3072_hnsw ON app.embeddings_3072
    USING hnsw (embedding vector_cosine_ops);
