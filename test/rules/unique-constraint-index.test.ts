import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { uniqueConstraintIndex } from '../../server/src/analysis/rules/unique-constraint-index';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'unique-constraint-index';
const INIT = 'migrations/001_init.sql';
const MAIN = 'migrations/002_change.sql';
const SCHEMA =
  'CREATE TABLE sessions (id int NOT NULL, tenant_id int, code text, note text);\n' +
  'CREATE SCHEMA app;\nCREATE TABLE app.t (a int NOT NULL, b int);\nCREATE INDEX taken_key ON app.t (b);\n' +
  'CREATE TABLE events (id int, at timestamptz) PARTITION BY RANGE (at);\n';
const files = { [INIT]: SCHEMA };

ruleTester(uniqueConstraintIndex, {
  valid: [
    { code: 'ALTER TABLE sessions ADD CONSTRAINT sessions_code_key UNIQUE USING INDEX sessions_code_idx;', filename: MAIN, files },
    { code: 'ALTER TABLE sessions ADD PRIMARY KEY USING INDEX sessions_id_idx;', filename: MAIN, files },
    { name: 'a table created in the same file', code: 'CREATE TABLE t (a int);\nALTER TABLE t ADD PRIMARY KEY (a);' },
    {
      name: 'a table created in the same changeset',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nALTER TABLE t ADD UNIQUE (a);',
    },
    { name: 'a table unknown to the workspace', code: 'ALTER TABLE elsewhere ADD UNIQUE (a);', filename: MAIN, files },
    { name: 'a table the same statement shows empty', code: 'ALTER TABLE sessions ADD COLUMN x int NOT NULL, ADD UNIQUE (x);', filename: MAIN, files },
    { name: 'a column constraint of ADD COLUMN', code: 'ALTER TABLE sessions ADD COLUMN serial_no int UNIQUE;', filename: MAIN, files },
    { name: 'a partitioned table (no CREATE INDEX CONCURRENTLY there)', code: 'ALTER TABLE events ADD PRIMARY KEY (id, at);', filename: MAIN, files },
    { name: 'CHECK is constraint-not-valid’s', code: 'ALTER TABLE sessions ADD CHECK (id > 0);', filename: MAIN, files },
    { code: 'CREATE UNIQUE INDEX CONCURRENTLY sessions_code_key ON sessions (code);', filename: MAIN, files },
  ],
  invalid: [
    {
      code: 'ALTER TABLE sessions ADD CONSTRAINT sessions_code_key UNIQUE (code);',
      filename: MAIN,
      files,
      errors: [
        {
          text: 'CONSTRAINT sessions_code_key UNIQUE',
          severity: 'warning',
          message:
            /^ADD UNIQUE on table sessions \(created in migrations\/001_init\.sql\) builds its unique index while holding an ACCESS EXCLUSIVE lock .*CREATE UNIQUE INDEX CONCURRENTLY sessions_code_key \(it cannot run inside a transaction block\), then ADD CONSTRAINT sessions_code_key UNIQUE USING INDEX sessions_code_key\.$/,
        },
      ],
      output:
        'CREATE UNIQUE INDEX CONCURRENTLY sessions_code_key ON sessions (code);\nALTER TABLE sessions ADD CONSTRAINT sessions_code_key UNIQUE USING INDEX sessions_code_key;',
    },
    {
      name: 'unnamed PRIMARY KEY: the index gets PostgreSQL’s name, <table>_pkey',
      code: '-- key it\nalter table sessions add primary key (id);\n',
      filename: MAIN,
      files,
      errors: [{ line: 2, text: 'primary key', message: /sessions_pkey .*Make its columns NOT NULL first/ }],
      output:
        '-- key it\nCREATE UNIQUE INDEX CONCURRENTLY sessions_pkey ON sessions (id);\nalter table sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY USING INDEX sessions_pkey;\n',
    },
    {
      name: 'unnamed UNIQUE with INCLUDE and NULLS NOT DISTINCT: <table>_<key and include columns>_key',
      code: 'ALTER TABLE app.t ADD UNIQUE NULLS NOT DISTINCT (a) INCLUDE (b)',
      filename: MAIN,
      files,
      errors: [{ text: 'UNIQUE', message: /table app\.t .*t_a_b_key/ }],
      output:
        'CREATE UNIQUE INDEX CONCURRENTLY t_a_b_key ON app.t (a) INCLUDE (b) NULLS NOT DISTINCT;\nALTER TABLE app.t ADD CONSTRAINT t_a_b_key UNIQUE USING INDEX t_a_b_key',
    },
    {
      name: 'no fix: a name the workspace already uses',
      code: 'ALTER TABLE app.t ADD UNIQUE (b);',
      filename: MAIN,
      files: { [INIT]: SCHEMA.replace('taken_key', 't_b_key') },
      errors: [{ text: 'UNIQUE' }],
      output: null,
    },
    {
      name: 'no fix: other commands in the statement, DEFERRABLE, or WITH (…)',
      code:
        'ALTER TABLE sessions ADD UNIQUE (code), ADD COLUMN extra int;\nALTER TABLE sessions ADD UNIQUE (note) DEFERRABLE;\n' +
        'ALTER TABLE sessions ADD UNIQUE (tenant_id) WITH (fillfactor = 70);',
      filename: MAIN,
      files,
      errors: [{ line: 1 }, { line: 2 }, { line: 3 }],
      output: null,
    },
    {
      name: 'inside BEGIN … COMMIT: fires without a fix, and says to move it out',
      code: 'BEGIN;\nALTER TABLE sessions ADD UNIQUE (code);\nCOMMIT;',
      filename: MAIN,
      files,
      errors: [{ line: 2, message: /outside the explicit transaction block/ }],
      output: null,
    },
    {
      name: 'a later Liquibase changeset',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\nALTER TABLE t ADD UNIQUE (a);',
      errors: [{ line: 5 }],
      output:
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\n' +
        'CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON t (a);\nALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_key;',
    },
    {
      name: 'SQL in a TypeScript migration: no fix',
      code: "export const up = (db) => db.query('ALTER TABLE sessions ADD UNIQUE (code)');",
      filename: 'migrations/002_change.ts',
      files,
      errors: [{ text: 'UNIQUE' }],
      output: null,
    },
  ],
});

describe(`${RULE}: the fix runs on PostgreSQL, and the constraint is the one the plain ADD would make`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
  }, 60_000);
  afterAll(async () => {
    await pg.close();
  });
  it.each([
    ['ALTER TABLE sessions ADD CONSTRAINT sessions_code_key UNIQUE (code);', 'sessions', 'sessions_code_key', 'u'],
    ['ALTER TABLE sessions ADD PRIMARY KEY (id);', 'sessions', 'sessions_pkey', 'p'],
    ['ALTER TABLE app.t ADD UNIQUE NULLS NOT DISTINCT (a) INCLUDE (b);', 'app.t', 't_a_b_key', 'u'],
  ])('%s', async (sql, table, name, contype) => {
    const r = await db.check({ [INIT]: SCHEMA, [MAIN]: sql }, RULE, { file: MAIN });
    expect(r.how).toBe('executed');
    // Each statement on its own, as a migration without a transaction runs them (CONCURRENTLY needs that).
    for (const text of [SCHEMA, r.fixed]) for (const st of new ParsedFile('x.sql', text).statements) await pg.exec(st.text);
    const found = await pg.query<{ contype: string; indexname: string }>(
      `SELECT c.contype, i.relname AS indexname FROM pg_constraint c JOIN pg_class i ON i.oid = c.conindid ` +
        `WHERE c.conrelid = '${table}'::regclass AND c.conname = '${name}'`,
    );
    await pg.exec('DROP SCHEMA public CASCADE; DROP SCHEMA app CASCADE; CREATE SCHEMA public;');
    expect(found.rows).toEqual([{ contype, indexname: name }]);
  });
});
