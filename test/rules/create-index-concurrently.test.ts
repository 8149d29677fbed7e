import { describe, expect, it } from 'vitest';
import { applyFix, findings, flagged } from '../helpers';

const RULE = 'create-index-concurrently';
const INIT = '001_init.sql';
const SCHEMA = 'CREATE TABLE sessions (tenant_id int, status text);\nCREATE TABLE app.t (a int);\n' +
  'CREATE TABLE events (id int, at timestamptz) PARTITION BY RANGE (at);\nCREATE TEMP TABLE scratch (a int);';

const withMain = (main: string) => ({ [INIT]: SCHEMA, 'main.sql': main });

describe(RULE, () => {
  it.each([
    ['CREATE INDEX idx_sessions_status ON sessions (tenant_id, status);', 'CREATE INDEX'],
    ['create unique index on sessions (tenant_id);', 'create unique index'],
    ['CREATE INDEX IF NOT EXISTS i ON public.sessions USING btree (status);', 'CREATE INDEX'],
    ['CREATE /* online? */ UNIQUE INDEX i ON sessions (status);', 'CREATE /* online? */ UNIQUE INDEX'],
    ['CREATE INDEX i ON ONLY sessions (status);', 'CREATE INDEX'],
    ['CREATE INDEX i ON app.t (a);', 'CREATE INDEX'],
  ])('fires on %s', (sql, text) => {
    const f = findings(withMain(sql), RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain(INIT);
  });

  it.each([
    'CREATE INDEX CONCURRENTLY i ON sessions (status);',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON sessions (status);',
    'CREATE INDEX i ON unknown_table (a);',
    // CONCURRENTLY is not supported on a partitioned table.
    'CREATE INDEX i ON events (at);',
    'CREATE INDEX i ON scratch (a);',
    'CREATE TABLE sessions2 (a int);\nCREATE INDEX i ON sessions2 (a);',
    "SELECT 'CREATE INDEX i ON sessions (status)';",
  ])('does not fire on %s', (sql) => {
    expect(findings(withMain(sql), RULE)).toEqual([]);
  });

  it('does not fire on an index in the same file as its table', () => {
    expect(findings('CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);', RULE)).toEqual([]);
    expect(findings(SCHEMA + '\nCREATE INDEX i ON sessions (status);', RULE)).toEqual([]);
  });

  it('schemas: app.t created in another file, public.t in this one', () => {
    const files = {
      'a.sql': 'CREATE TABLE app.t (a int);',
      'main.sql': 'CREATE TABLE t (a int);\nCREATE INDEX i1 ON t (a);\nCREATE INDEX i2 ON app.t (a);\nCREATE INDEX i3 ON public.t (a);',
    };
    const f = findings(files, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].range.start.line).toBe(2);
    expect(f[0].message).toContain('app.t');
  });

  it('follows the search_path to the other file\'s table', () => {
    const files = {
      'a.sql': 'CREATE TABLE app.t (a int);',
      'main.sql': 'CREATE TABLE t (a int);\nSET search_path = app, public;\nCREATE INDEX i ON t (a);',
    };
    const f = findings(files, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].range.start.line).toBe(2);
  });

  it('a table re-created in this file (CREATE TABLE IF NOT EXISTS) counts as this file\'s', () => {
    const files = {
      'a.sql': 'CREATE TABLE IF NOT EXISTS t (a int);',
      'main.sql': 'CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX i ON t (a);',
    };
    expect(findings(files, RULE)).toEqual([]);
  });

  it('inside an explicit transaction block: no fix, says to move it out', () => {
    const main = 'BEGIN;\nCREATE INDEX i ON sessions (status);\nCOMMIT;\nCREATE INDEX j ON sessions (tenant_id);';
    const f = findings(withMain(main), RULE);
    expect(f).toHaveLength(2);
    expect(f[0].fix).toBeUndefined();
    expect(f[0].message).toMatch(/outside the explicit transaction block/);
    expect(f[1].fix).toBeDefined();
  });

  it('fix inserts CONCURRENTLY after INDEX', () => {
    expect(applyFix(withMain('CREATE INDEX idx ON sessions (status);'), RULE)).toBe('CREATE INDEX CONCURRENTLY idx ON sessions (status);');
    expect(applyFix(withMain('-- add status index\ncreate unique  index\n  idx ON sessions (status);'), RULE)).toBe(
      '-- add status index\ncreate unique  index CONCURRENTLY\n  idx ON sessions (status);',
    );
  });

  it('fix keeps IF NOT EXISTS after CONCURRENTLY and unnamed indexes valid', () => {
    expect(applyFix(withMain('CREATE INDEX IF NOT EXISTS idx ON sessions (status);'), RULE)).toBe(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx ON sessions (status);',
    );
    expect(applyFix(withMain('CREATE UNIQUE INDEX ON app.t (a);'), RULE)).toBe('CREATE UNIQUE INDEX CONCURRENTLY ON app.t (a);');
  });
});
