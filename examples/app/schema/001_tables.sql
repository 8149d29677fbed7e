-- Multi-tenant application schema: sessions, artifacts and an event log partitioned by month.
CREATE SCHEMA IF NOT EXISTS app;

CREATE TABLE app.sessions (
    session_id  uuid PRIMARY KEY,
    tenant_id   text NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);

CREATE TABLE app.artifacts (
    artifact_id   uuid NOT NULL,
    tenant_id     text NOT NULL,
    name          text NOT NULL,
    artifact_type text NOT NULL,
    size_bytes    bigint NOT NULL,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (artifact_id, tenant_id)
);

CREATE TABLE app.event_log (
    tenant_id   text NOT NULL,
    event_id    uuid NOT NULL,
    event_type  text NOT NULL,
    "timestamp" timestamptz NOT NULL,
    payload     jsonb,
    PRIMARY KEY (tenant_id, event_id)
) PARTITION BY RANGE ("timestamp");

CREATE TABLE app.event_log_2025_01 PARTITION OF app.event_log
    FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
