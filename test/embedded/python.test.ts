import { beforeAll, describe, expect, it } from 'vitest';
import { applyEdits } from '../../server/src/analysis/fix';
import { initEmbedded } from '../../server/src/analysis/host';
import { applyHostFix, at, findingOn, lintWorkspace, placed, type Workspace } from './helpers';

beforeAll(() => initEmbedded());

/** A document search service: pgvector embeddings with an HNSW cosine index, and a range-partitioned page-view log. */
const SCHEMA = String.raw`CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE documents (
  tenant_id uuid NOT NULL,
  id bigint NOT NULL,
  title text NOT NULL,
  embedding vector(768) NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX documents_embedding_idx ON documents USING hnsw (embedding vector_cosine_ops);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_tenant ON documents USING (tenant_id = current_setting('app.current_tenant_id')::uuid);

CREATE TABLE page_views (
  tenant_id uuid NOT NULL,
  path text NOT NULL,
  referrer text,
  viewed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, viewed_at, path)
) PARTITION BY RANGE (viewed_at);
ALTER TABLE page_views ENABLE ROW LEVEL SECURITY;
CREATE POLICY page_views_tenant ON page_views USING (tenant_id = current_setting('app.current_tenant_id')::uuid);
`;

/** asyncpg: the search API. */
const SEARCH = String.raw`"""Nearest-neighbour search over a tenant's documents."""
import asyncpg


class DocumentRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def nearest(self, tenant_id, query_vec):
        async with self.pool.acquire() as conn:
            await conn.execute("SET hnsw.ef_search = 20")
            return await conn.fetch(
                """
                SELECT id, title
                  FROM documents
                 WHERE tenant_id = $1
                 ORDER BY embedding <=> $2
                 LIMIT 50
                """,
                tenant_id,
                query_vec,
            )

    async def nearest_l2(self, tenant_id, query_vec):
        return await self.pool.fetch(
            "SELECT id FROM documents WHERE tenant_id = $1 ORDER BY embedding <-> $2 LIMIT 10", tenant_id, query_vec
        )

    async def page(self, tenant_id, offset: int):
        return await self.pool.fetch(
            """SELECT id, title FROM documents
                WHERE tenant_id = $1
                ORDER BY id
                LIMIT 25 OFFSET $2""",
            tenant_id,
            offset,
        )

    async def title(self, tenant_id, doc_id):
        # pgperf-ignore or-chain: the two ids are the draft and the published copy
        return await self.pool.fetchval(
            "SELECT title FROM documents WHERE tenant_id = $1 AND (id = $2 OR id = $3)", tenant_id, doc_id, -doc_id
        )
`;

/** psycopg and SQLAlchemy: the analytics jobs. */
const ANALYTICS = String.raw`import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session


def views_for(conn: psycopg.Connection, tenant_id: str, path: str):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT viewed_at, referrer FROM page_views WHERE tenant_id = %s AND path = %s",
            (tenant_id, path),
        )
        return cur.fetchall()


def recent_views(conn: psycopg.Connection, tenant_id: str, page: int):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT path FROM page_views WHERE tenant_id = %(tenant)s AND viewed_at > now() - interval '1 day'\n"
            "ORDER BY viewed_at DESC LIMIT 50 OFFSET %(skip)s",
            {"tenant": tenant_id, "skip": page * 50},
        )
        return cur.fetchall()


def docs_page(conn: psycopg.Connection, tenant_id: str):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM documents\n\tWHERE tenant_id = %s\n\tORDER BY id LIMIT 10 OFFSET 40", (tenant_id,))
        return cur.fetchall()


def table_stats(conn: psycopg.Connection, table: str, column: str):
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE created_at > now() - interval '1 hour'")
        cur.execute(f"SELECT id FROM {table} ORDER BY id LIMIT 100 OFFSET 1000")
        cur.execute(f"SELECT id FROM {table} WHERE {column} = 1 OR {column} = 2")
        return cur.fetchall()


def titled(session: Session, tenant_id: str):
    return session.execute(
        text("SELECT id FROM documents WHERE tenant_id = :tenant AND (title = 'a' OR title = 'b')"),
        {"tenant": tenant_id},
    ).all()


def export(conn: psycopg.Connection, columns: list[str], where: str):
    parts = ["SELECT", ", ".join(columns), "FROM page_views"]
    query = " ".join(parts)
    with conn.cursor() as cur:
        cur.execute(query)
        # pgperf-ignore offset-pagination: nothing to suppress here
        cur.execute("SELECT path FROM page_views WHERE tenant_id = %s AND viewed_at > %s", ("t", "2025-01-01"))
        cur.execute("SELECT id FROM FROM documents")
        return cur.fetchall()


LEGACY_REPORT = "SELECT path, count(*) FROM page_views GROUP BY path"
`;

const WS: Workspace = {
  'migrations/0001_initial.sql': SCHEMA,
  'search/repository.py': SEARCH,
  'jobs/analytics.py': ANALYTICS,
};

describe('Python: asyncpg, psycopg, SQLAlchemy text()', () => {
  it('the schema is clean', () => {
    expect(placed(WS, 'migrations/0001_initial.sql')).toEqual([]);
  });

  it('asyncpg: SET and vector query in separate strings of one file, a triple-quoted OFFSET, a # suppression', () => {
    const src = SEARCH;
    expect(placed(WS, 'search/repository.py')).toEqual([
      // the SET string governs the query string after it (one SQL view per file)
      at(src, 'hnsw-ef-search', '20'),
      // the index is cosine, the query orders by L2 distance
      at(src, 'vector-opclass-mismatch', 'embedding <-> $2'),
      at(src, 'offset-pagination', 'OFFSET $2'),
    ]);
    expect(findingOn(WS, 'search/repository.py', 'hnsw-ef-search', '20').message).toContain(
      `on line ${src.split('\n').findIndex((l) => l.includes('LIMIT 50')) + 1}`,
    );
  });

  it('psycopg and SQLAlchemy: exact findings after \\n and \\t escapes, f-string holes read as names', () => {
    const src = ANALYTICS;
    expect(placed(WS, 'jobs/analytics.py')).toEqual([
      at(src, 'partition-range-missing', 'page_views'),
      // implicitly concatenated literals, the second one after a \n escape; %(skip)s is psycopg's parameter
      at(src, 'offset-pagination', 'OFFSET %(skip)s'),
      // after two \n\t escapes
      at(src, 'offset-pagination', 'OFFSET 40'),
      // FROM {table}: a name, no syntax-error, and the OFFSET is the query's
      at(src, 'offset-pagination', 'OFFSET 1000'),
      at(src, 'or-chain', "title = 'a' OR title = 'b'"),
      at(src, 'unused-suppression', '# pgperf-ignore offset-pagination: nothing to suppress here'),
      at(src, 'syntax-error', 'FROM', 'SELECT id FROM ^FROM'),
      // the keyword fallback on a module constant
      at(src, 'partition-range-missing', 'page_views', 'LEGACY_REPORT'),
    ]);
  });

  it('an unreadable f-string never yields a syntax-error, and no finding lands on a hole', () => {
    const all = lintWorkspace(WS).filter((f) => f.file === 'jobs/analytics.py');
    for (const f of all) expect(ANALYTICS.slice(f.start, f.end)).not.toMatch(/\{(table|column)\}/);
    expect(all.filter((f) => f.ruleId === 'syntax-error')).toHaveLength(1);
  });
});

describe('Python fixes', () => {
  it('the unused # suppression is removed with its comment marker, the line gone', () => {
    const unused = findingOn(WS, 'jobs/analytics.py', 'unused-suppression', '# pgperf-ignore offset-pagination: nothing to suppress here');
    expect(applyEdits(ANALYTICS, unused.fix!.edits)).toBe(ANALYTICS.replace('        # pgperf-ignore offset-pagination: nothing to suppress here\n', ''));
  });

  it('keyset fix inside a triple-quoted string: the module still parses, rule gone, the SQL parses', () => {
    const fixed = applyHostFix(WS, 'search/repository.py', 'offset-pagination', 'OFFSET $2');
    expect(fixed).toContain('"""SELECT id, title FROM documents\n');
    expect(fixed).toMatch(/LIMIT 25""",\n {12}tenant_id,\n {12}offset,\n/);
  });

  it('or-chain fix inside SQLAlchemy text() keeps :tenant and the quotes', () => {
    const fixed = applyHostFix(WS, 'jobs/analytics.py', 'or-chain', "title = 'a' OR title = 'b'");
    const line = fixed.split('\n').find((l) => l.includes('text("'))!;
    expect(line).toMatch(/^ {8}text\("SELECT id FROM documents WHERE tenant_id = :tenant AND \(.*'a'.*'b'.*\)"\),$/);
  });

  it('no keyset fix where the driver binds %(name)s: a new $n parameter could not be passed', () => {
    expect(findingOn(WS, 'jobs/analytics.py', 'offset-pagination', 'OFFSET %(skip)s').fix).toBeUndefined();
  });
});
