import { describe, expect, it } from 'vitest';
import { config, findings, flagged } from '../helpers';

const RULE = 'partition-range-missing';
const SCHEMA =
  'CREATE TABLE event_log (tenant_id text, event_id uuid, event_type text, "timestamp" timestamptz, payload jsonb,\n' +
  '  PRIMARY KEY (tenant_id, "timestamp", event_id)) PARTITION BY RANGE ("timestamp");\n' +
  "CREATE TABLE event_log_2025_01 PARTITION OF event_log FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\n" +
  'CREATE TABLE tenants (id text, name text);\n' +
  'CREATE TABLE by_region (region text, id int) PARTITION BY LIST (region);\n' +
  'CREATE TABLE by_hash (id int) PARTITION BY HASH (id);\n';

/** Findings of `sql` appended to the schema, as [flagged text, message]. */
function check(sql: string): string[] {
  const all = SCHEMA + sql;
  return findings(all, RULE).map((f) => flagged(all, f));
}

describe(RULE, () => {
  it.each([
    ["SELECT * FROM event_log WHERE event_type = 'agent.state_changed';", ['event_log']],
    ['SELECT count(*) FROM public.event_log;', ['public.event_log']],
    ['SELECT * FROM event_log e WHERE e.tenant_id = $1;', ['event_log']],
    // OR: one branch does not bound the key
    ["SELECT * FROM event_log WHERE \"timestamp\" > now() - interval '1 day' OR event_type = 'x';", ['event_log']],
    // NOT, <>, IS NULL, a cast key, a comparison with another column of the same table do not prune
    ['SELECT * FROM event_log WHERE NOT ("timestamp" < $1);', ['event_log']],
    ['SELECT * FROM event_log WHERE "timestamp" <> $1;', ['event_log']],
    ['SELECT * FROM event_log WHERE "timestamp" IS NOT NULL;', ['event_log']],
    ['SELECT * FROM event_log WHERE "timestamp"::date = $1;', ['event_log']],
    ['SELECT * FROM event_log e WHERE e."timestamp" > e.payload->>\'since\';', ['event_log']],
    ['SELECT * FROM event_log WHERE "timestamp" NOT IN ($1, $2);', ['event_log']],
    // another table's column of the same name
    ['SELECT * FROM event_log e JOIN audit a ON a.id = e.event_id WHERE a."timestamp" > $1;', ['event_log']],
    ['UPDATE event_log SET payload = $2 WHERE event_id = $1;', ['event_log']],
    ['DELETE FROM event_log WHERE tenant_id = $1;', ['event_log']],
    ['INSERT INTO archive SELECT * FROM event_log WHERE tenant_id = $1;', ['event_log']],
    ['EXPLAIN ANALYZE SELECT * FROM event_log;', ['event_log']],
    // each subquery has its own WHERE
    ['SELECT * FROM tenants t WHERE EXISTS (SELECT 1 FROM event_log e WHERE e.tenant_id = t.id) AND id = $1;', ['event_log']],
    ['SELECT * FROM event_log WHERE event_id IN (SELECT event_id FROM event_log WHERE "timestamp" > $1);', ['event_log']],
    // a subquery with LIMIT does not let outer predicates in
    ['SELECT * FROM (SELECT * FROM event_log LIMIT 10) s WHERE s."timestamp" > $1;', ['event_log']],
    // a CTE read twice is materialized
    ['WITH e AS (SELECT * FROM event_log) SELECT * FROM e WHERE "timestamp" > $1 UNION ALL SELECT * FROM e WHERE "timestamp" < $2;', ['event_log']],
    ['WITH e AS MATERIALIZED (SELECT * FROM event_log) SELECT * FROM e WHERE "timestamp" > $1;', ['event_log']],
    // two references, one bounded
    ['SELECT * FROM event_log a JOIN event_log b ON a.event_id = b.event_id WHERE a."timestamp" > $1;', ['event_log']],
  ])('fires on %s', (sql, expected) => {
    expect(check(sql)).toEqual(expected);
  });

  it('says which key and that every partition is scanned', () => {
    const f = findings(SCHEMA + 'SELECT * FROM event_log;', RULE);
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain('public.event_log is range-partitioned by timestamp (declared in main.sql)');
    expect(f[0].message).toContain('every partition is scanned');
    expect(f[0].fix).toBeUndefined();
  });

  it.each([
    "SELECT * FROM event_log WHERE \"timestamp\" >= '2025-01-01' AND \"timestamp\" < '2025-02-01' AND event_type = 'agent.state_changed';",
    'SELECT * FROM event_log e WHERE e."timestamp" BETWEEN $1 AND $2;',
    'SELECT * FROM public.event_log WHERE public.event_log."timestamp" = $1;',
    'SELECT * FROM event_log WHERE "timestamp" IN ($1, $2);',
    'SELECT * FROM event_log WHERE "timestamp" = ANY($1::timestamptz[]);',
    'SELECT * FROM event_log WHERE $1 < "timestamp";',
    'SELECT * FROM event_log WHERE "timestamp" > (SELECT max(ts) FROM checkpoints);',
    // every OR branch bounds the key
    'SELECT * FROM event_log WHERE ("timestamp" > $1 AND tenant_id = $3) OR "timestamp" < $2;',
    // JOIN ON
    'SELECT * FROM tenants t JOIN event_log e ON e.tenant_id = t.id AND e."timestamp" >= $1;',
    'UPDATE event_log SET payload = $2 WHERE event_id = $1 AND "timestamp" = $3;',
    'DELETE FROM event_log WHERE "timestamp" < now() - interval \'90 days\';',
    // a partition queried directly; list and hash partitioning; plain tables; INSERT
    'SELECT * FROM event_log_2025_01;',
    'SELECT * FROM by_region;',
    'SELECT * FROM by_hash;',
    'SELECT * FROM tenants;',
    'INSERT INTO event_log (tenant_id, event_id, "timestamp") VALUES (\'t\', gen_random_uuid(), now());',
    // outer predicates reach a subquery or a CTE read once
    'SELECT * FROM (SELECT event_id, "timestamp" AS ts FROM event_log) s WHERE s.ts > $1;',
    'SELECT * FROM (SELECT * FROM event_log WHERE tenant_id = $2) s WHERE "timestamp" > $1;',
    'WITH recent AS (SELECT * FROM event_log) SELECT * FROM recent r WHERE r."timestamp" > $1;',
    // a CTE named like the table
    'WITH event_log AS (SELECT 1 AS x) SELECT * FROM event_log;',
    // a view defines a query, the caller adds the range
    'CREATE VIEW recent_events AS SELECT * FROM event_log;',
  ])('does not fire on %s', (sql) => {
    expect(check(sql)).toEqual([]);
  });

  it('uses a partitioned table declared in another file', () => {
    const files = {
      'schema/event_log.sql': 'CREATE TABLE event_log (tenant_id text, "timestamp" timestamptz) PARTITION BY RANGE ("timestamp");',
      'queries/events.sql': 'SELECT tenant_id\nFROM event_log\nWHERE tenant_id = $1;\nSELECT tenant_id FROM event_log WHERE "timestamp" > $1;\n',
    };
    const f = findings(files, RULE, undefined, 'queries/events.sql');
    expect(f).toHaveLength(1);
    expect(flagged(files['queries/events.sql'], f[0])).toBe('event_log');
    expect(f[0].range.start.line).toBe(1);
    expect(f[0].message).toContain('declared in schema/event_log.sql');
  });

  it('uses partitionedTables from the configuration', () => {
    const cfg = config({ partitionedTables: { event_log: { strategy: 'range', columns: ['timestamp'] } } });
    const sql = "SELECT * FROM event_log WHERE event_type = 'x';\nSELECT * FROM event_log WHERE timestamp > $1;\nSELECT * FROM events;";
    const f = findings(sql, RULE, cfg);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe('event_log');
    expect(f[0].range.start.line).toBe(0);
    expect(f[0].message).toContain('declared in .pgperf.json');
    expect(findings(sql, RULE)).toEqual([]);
    const listCfg = config({ partitionedTables: { event_log: { strategy: 'list', columns: ['timestamp'] } } });
    expect(findings(sql, RULE, listCfg)).toEqual([]);
  });

  it('resolves schemas: app.event_log is partitioned, public.event_log is not', () => {
    const schema =
      'CREATE TABLE app.event_log (id int, created_at timestamptz) PARTITION BY RANGE (created_at);\n' +
      'CREATE TABLE event_log (id int, created_at timestamptz);\n';
    expect(findings(schema + 'SELECT * FROM event_log;', RULE)).toEqual([]);
    const q = schema + 'SELECT * FROM app.event_log WHERE id = 1;';
    const f = findings(q, RULE);
    expect(f.map((x) => flagged(q, x))).toEqual(['app.event_log']);
    expect(f[0].message).toContain('app.event_log is range-partitioned by created_at');
    expect(findings(schema + 'SET search_path = app;\nSELECT * FROM event_log;', RULE)).toHaveLength(1);
  });

  it('counts a join on the key with another FROM item (run-time pruning), unless that item is itself an unrestricted partitioned scan', () => {
    expect(check('SELECT * FROM event_log a JOIN event_log b ON b."timestamp" = a."timestamp";')).toEqual(['event_log', 'event_log']);
    expect(check('SELECT * FROM event_log a JOIN event_log b ON b."timestamp" = a."timestamp" WHERE a."timestamp" > $1;')).toEqual([]);
    expect(check('SELECT * FROM checkpoints c JOIN event_log e ON e."timestamp" >= c.since;')).toEqual([]);
    // a correlated outer column is a parameter of the subquery's scan
    expect(check('SELECT * FROM tenants t WHERE EXISTS (SELECT 1 FROM event_log e WHERE e."timestamp" > t.created_at);')).toEqual([]);
  });

  describe('issue reproductions: the key pinned by a join, a row comparison or a CTE body', () => {
    const TASKS =
      'CREATE TABLE tasks (id bigint, inserted_at timestamptz NOT NULL, state text, PRIMARY KEY (id, inserted_at)) PARTITION BY RANGE (inserted_at);\n' +
      'CREATE TABLE task_logs (task_id bigint, inserted_at timestamptz, line text);\n';
    const quiet = (sql: string) => expect(findings(TASKS + sql, RULE)).toEqual([]);

    it.each([
      ['a row comparison in JOIN ON', 'SELECT t.state FROM task_logs x JOIN tasks t ON (t.id, t.inserted_at) = (x.task_id, x.inserted_at) WHERE x.line = $1;'],
      ['a row IN (SELECT …)', 'SELECT state FROM tasks t WHERE (t.id, t.inserted_at) IN (SELECT task_id, inserted_at FROM task_logs WHERE line = $1);'],
      ['a plain join equality', 'SELECT t.state FROM tasks t, task_logs l WHERE t.id = l.task_id AND t.inserted_at = l.inserted_at AND l.line = $1;'],
      ['a join USING the key', 'SELECT state FROM tasks JOIN task_logs l USING (inserted_at) WHERE l.line = $1;'],
      ['a row comparison with parameters', 'UPDATE tasks SET state = $3 WHERE (id, inserted_at) = ($1, $2);'],
      ['a row IN list', 'DELETE FROM tasks WHERE (id, inserted_at) IN (($1, $2), ($3, $4));'],
      [
        'a CTE body that carries the range, joined to another CTE',
        'WITH recent AS (SELECT id, state FROM tasks WHERE inserted_at >= $1), logs AS (SELECT task_id, line FROM task_logs WHERE inserted_at >= $1)\n' +
          'SELECT r.state, l.line FROM recent r JOIN logs l ON l.task_id = r.id;',
      ],
      [
        'a CTE read once whose column the outer query restricts, through a rename',
        'WITH t(i, at) AS (SELECT id, inserted_at FROM tasks) SELECT i FROM t JOIN task_logs l ON l.task_id = t.i WHERE t.at > $1;',
      ],
      ['a correlated sublink', 'SELECT * FROM task_logs l WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.id = l.task_id AND t.inserted_at = l.inserted_at);'],
    ])('quiet on %s', (_what, sql) => quiet(sql));

    it('still fires when the join does not reach the key, or the CTE body lacks it', () => {
      expect(findings(TASKS + 'SELECT t.state FROM task_logs x JOIN tasks t ON t.id = x.task_id;', RULE)).toHaveLength(1);
      expect(
        findings(
          TASKS +
            'WITH r AS (SELECT id FROM tasks WHERE state = $1), l AS (SELECT task_id FROM task_logs WHERE inserted_at >= $2) SELECT 1 FROM r JOIN l ON l.task_id = r.id;',
          RULE,
        ),
      ).toHaveLength(1);
      // (a, b) < (x, y) bounds the first column only
      expect(findings(TASKS + 'SELECT 1 FROM tasks WHERE (id, inserted_at) < ($1, $2);', RULE)).toHaveLength(1);
      expect(findings(TASKS + 'SELECT 1 FROM tasks WHERE (inserted_at, id) < ($1, $2);', RULE)).toEqual([]);
    });

    it('an ambiguous reference that could be the key stays quiet; a resolvable one does not hide the finding', () => {
      quiet('SELECT 1 FROM tasks t, somewhere_else s WHERE inserted_at > $1;');
      expect(findings(TASKS + 'SELECT 1 FROM tasks t, somewhere_else s WHERE s.inserted_at > $1;', RULE)).toHaveLength(1);
    });
  });

  describe('scans that read few partitions or read all of them on purpose', () => {
    const EVENTS =
      'CREATE TABLE events (id uuid, created_at timestamptz NOT NULL, kind text) PARTITION BY RANGE (created_at);\n' +
      'CREATE INDEX ON events (created_at DESC, id DESC);\nCREATE TABLE events_copy (id uuid, created_at timestamptz, kind text);\n';

    it('ORDER BY the key with a LIMIT: the ordered Append stops in the first partitions', () => {
      expect(findings(EVENTS + 'SELECT created_at, id FROM events ORDER BY created_at DESC, id DESC LIMIT 1;', RULE)).toEqual([]);
      expect(findings(EVENTS + 'SELECT id FROM events WHERE kind = $1 ORDER BY created_at LIMIT $2;', RULE)).toEqual([]);
      // ORDER BY another column, no LIMIT, or a GROUP BY still read every partition
      expect(findings(EVENTS + 'SELECT id FROM events ORDER BY id LIMIT 1;', RULE)).toHaveLength(1);
      expect(findings(EVENTS + 'SELECT id FROM events ORDER BY created_at DESC;', RULE)).toHaveLength(1);
      expect(findings(EVENTS + 'SELECT kind FROM events GROUP BY kind ORDER BY kind LIMIT 1;', RULE)).toHaveLength(1);
    });

    it('min(key) / max(key) alone: rewritten by the planner into ORDER BY key LIMIT 1', () => {
      expect(findings(EVENTS + 'SELECT min(created_at) FROM events;', RULE)).toEqual([]);
      expect(findings(EVENTS + 'SELECT max(created_at) AS m, 1 FROM events;', RULE)).toEqual([]);
      expect(findings(EVENTS + 'SELECT MAX(created_at) FROM (SELECT MAX(created_at) AS created_at FROM events UNION ALL SELECT now()) t;', RULE)).toEqual([]);
      // another aggregate, another column or a GROUP BY reads every partition
      expect(findings(EVENTS + 'SELECT min(created_at), count(*) FROM events;', RULE)).toHaveLength(1);
      expect(findings(EVENTS + 'SELECT max(id::text) FROM events;', RULE)).toHaveLength(1);
      expect(findings(EVENTS + 'SELECT kind, max(created_at) FROM events GROUP BY kind;', RULE)).toHaveLength(1);
    });

    it('a migration that copies or rewrites the whole table (no condition) is quiet; a filtered copy or a query file is not', () => {
      const files = {
        'migrations/001_events.sql': EVENTS,
        'migrations/002_backfill.sql':
          'INSERT INTO events_copy SELECT * FROM events;\nUPDATE events SET kind = lower(kind);\nINSERT INTO events_copy SELECT * FROM events WHERE kind = $1;\n',
        'queries/copy.sql': 'INSERT INTO events_copy SELECT * FROM events;\n',
      };
      const inMigration = findings(files, RULE, undefined, 'migrations/002_backfill.sql');
      expect(inMigration.map((f) => f.range.start.line)).toEqual([2]);
      expect(findings(files, RULE, undefined, 'queries/copy.sql')).toHaveLength(1);
    });
  });
});

describe(`${RULE}: a subquery's references belong to the subquery`, () => {
  it('a bound on the key from a scalar subquery over the same table is a bound (the inner max is its own scope)', () => {
    const sql =
      'CREATE TABLE audit (id int, "timestamp" timestamptz) PARTITION BY RANGE ("timestamp");\n' +
      'SELECT id FROM audit WHERE "timestamp" > (SELECT max("timestamp") FROM audit);';
    expect(findings(sql, RULE)).toEqual([]);
  });
});

describe(`${RULE}: the first rows of an indexed column's order`, () => {
  const EV =
    'CREATE TABLE ev (id uuid, episode_id uuid, tenant int, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);\n' +
    'CREATE INDEX ON ev (episode_id);\n';
  it('with no condition, ORDER BY an index-leading column LIMIT n and its min/max read the top of each partition index: quiet', () => {
    expect(findings(EV + 'SELECT episode_id FROM ev ORDER BY episode_id LIMIT 1;', RULE)).toEqual([]);
    expect(findings(EV + 'SELECT episode_id FROM ev ORDER BY episode_id DESC LIMIT 1;', RULE)).toEqual([]);
    expect(findings(EV + 'SELECT min(episode_id), max(episode_id) FROM ev;', RULE)).toEqual([]);
  });
  it('a condition, a column no index leads, or another aggregate still reads every partition', () => {
    expect(findings(EV + 'SELECT episode_id FROM ev WHERE tenant = 1 ORDER BY episode_id LIMIT 1;', RULE)).toHaveLength(1);
    expect(findings(EV + 'SELECT id FROM ev ORDER BY id LIMIT 1;', RULE)).toHaveLength(1);
    expect(findings(EV + 'SELECT count(*) FROM ev;', RULE)).toHaveLength(1);
    expect(
      findings(EV.replace('CREATE INDEX ON ev (episode_id)', 'CREATE INDEX ON ev (episode_id) WHERE tenant = 1') + 'SELECT min(episode_id) FROM ev;', RULE),
    ).toHaveLength(1);
  });
});
