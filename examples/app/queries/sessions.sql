-- name: list_sessions
SELECT * FROM app.sessions
WHERE tenant_id = $1
ORDER BY created_at DESC
LIMIT 50 OFFSET $2;

-- name: sessions_by_status
SELECT session_id, status
FROM app.sessions
WHERE status = 'active' OR status = 'idle' OR status = 'expired';

-- name: recent_events
SELECT event_id, event_type
FROM app.event_log
WHERE tenant_id = $1 AND event_type = 'agent.state_changed';

-- name: similar
SET hnsw.ef_search = 5;
SELECT id FROM app.embeddings_768
ORDER BY embedding <-> $1::vector
LIMIT 10;
