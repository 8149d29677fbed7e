/**
 * `pgperf/codeLinks` over the protocol: a pg_stat_statements text (constants as `$n`, its own spacing and case)
 * finds the workspace statement it came from — in a .sql file and in a TypeScript string — with that statement's
 * findings; an index finds the migration that created it (the last one when re-created); what matches nothing, or
 * does not parse (a text pg_stat_statements cut), gets nothing.
 */
import { describe, expect, it } from 'vitest';
import { CODE_LINKS_REQUEST, type CodeLinksResult } from '../../protocol/index';
import { start } from './harness';

const FILES = {
  'migrations/001_tables.sql': [
    'CREATE TABLE sessions (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, created_at timestamptz NOT NULL);',
    'CREATE INDEX sessions_created_idx ON sessions (created_at);',
  ].join('\n'),
  'migrations/002_reindex.sql': ['DROP INDEX sessions_created_idx;', 'CREATE INDEX sessions_created_idx ON sessions (created_at DESC);'].join('\n'),
  'queries/list.sql': [
    '-- name: page',
    'SELECT id FROM sessions',
    "WHERE tenant_id = 42 AND created_at > '2026-01-01'",
    'ORDER BY id LIMIT 20 OFFSET 40;',
  ].join('\n'),
  'src/count.ts': [
    "import { Pool } from 'pg';",
    'const pool = new Pool();',
    'export const n = (t: number) => pool.query(`SELECT count(*) FROM sessions WHERE tenant_id = $1`, [t]);',
  ].join('\n'),
};

describe('lsp: pgperf/codeLinks', () => {
  it('links pg_stat_statements texts to their statements and an index to the migration that made it', async () => {
    const s = await start(FILES);
    const r = await s.client.request<CodeLinksResult>(CODE_LINKS_REQUEST, {
      queries: [
        'select id from sessions where tenant_id = $1 and created_at > $2 order by id limit $3 offset $4',
        'SELECT count(*) FROM sessions WHERE tenant_id = $1',
        'SELECT id FROM sessions WHERE tenant_id = $1', // not in the workspace as such
        'SELECT id FROM sessions WHERE tenant_id = $1 AND created_at >', // cut by pg_stat_statements
      ],
      indexes: [{ schema: 'public', name: 'sessions_created_idx' }, { name: 'sessions_pkey' }],
    });
    const [page, count, none, cut] = r.queries;
    expect(page).toHaveLength(1);
    expect(page![0]).toMatchObject({ path: 'queries/list.sql', uri: s.uri('queries/list.sql'), range: { start: { line: 1, character: 0 }, end: { line: 3 } } });
    expect(page![0]!.findings.map((f) => f.ruleId)).toEqual(['offset-pagination']);
    expect(count).toHaveLength(1);
    expect(count![0]).toMatchObject({ path: 'src/count.ts', range: { start: { line: 2 } } });
    expect(none).toEqual([]);
    expect(cut).toEqual([]);
    expect(r.indexes[0]).toMatchObject({ path: 'migrations/002_reindex.sql', range: { start: { line: 1, character: 0 } } });
    expect(r.indexes[1]).toBeNull();
  });
});
