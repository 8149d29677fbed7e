import { describe, expect, it } from 'vitest';
import { config, findings, flagged } from '../helpers';

const RULE = 'partition-key-in-unique';
const EVENT_LOG = 'CREATE TABLE event_log (\n  tenant_id varchar(255),\n  event_id uuid,\n  "timestamp" timestamptz\n) PARTITION BY RANGE ("timestamp");\n';

describe(RULE, () => {
  it('fires on a table PRIMARY KEY without the partition key (CREATE TABLE)', () => {
    const sql =
      'CREATE TABLE event_log (\n  tenant_id varchar(255),\n  event_id uuid,\n  "timestamp" timestamptz,\n' +
      '  CONSTRAINT event_log_pk PRIMARY KEY (tenant_id, event_id)\n) PARTITION BY RANGE ("timestamp");';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe('CONSTRAINT event_log_pk PRIMARY KEY (tenant_id, event_id)');
    expect(f[0].severity).toBe('error');
    expect(f[0].message).toContain('leaves out partition key column timestamp');
    expect(f[0].message).toContain('must include all partitioning columns');
    expect(f[0].fix).toBeUndefined();
  });

  it.each([
    ['CREATE TABLE m (id int PRIMARY KEY, day date) PARTITION BY RANGE (day);', 'PRIMARY KEY'],
    ['CREATE TABLE m (id int CONSTRAINT m_id UNIQUE, day date) PARTITION BY LIST (day);', 'CONSTRAINT m_id UNIQUE'],
    ['CREATE TABLE m (a int, b int, day date, UNIQUE NULLS NOT DISTINCT (a, b)) PARTITION BY HASH (day);', 'UNIQUE NULLS NOT DISTINCT (a, b)'],
    ['CREATE TABLE m (a int, b int, PRIMARY KEY (a)) PARTITION BY RANGE (a, b);', 'PRIMARY KEY (a)'],
  ])('fires on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
  });

  it('fires on ALTER TABLE ADD CONSTRAINT / ADD COLUMN … PRIMARY KEY and CREATE UNIQUE INDEX', () => {
    const sql =
      EVENT_LOG +
      'ALTER TABLE event_log ADD CONSTRAINT pk PRIMARY KEY (tenant_id, event_id);\n' +
      'ALTER TABLE event_log ADD COLUMN seq bigint UNIQUE;\n' +
      'CREATE UNIQUE INDEX ux ON event_log (event_id) INCLUDE ("timestamp");\n' +
      'CREATE UNIQUE INDEX ux2 ON event_log (tenant_id, (("timestamp" AT TIME ZONE \'UTC\')));';
    const f = findings(sql, RULE);
    expect(f.map((x) => flagged(sql, x))).toEqual([
      'CONSTRAINT pk PRIMARY KEY (tenant_id, event_id)',
      'UNIQUE',
      '(event_id)',
      '(tenant_id, (("timestamp" AT TIME ZONE \'UTC\')))',
    ]);
    expect(f[2].message).toMatch(/^Unique index/);
  });

  it('knows partitioned tables from another file, with schemas', () => {
    const files = {
      'schema.sql': 'CREATE TABLE app.events (id int, at timestamptz) PARTITION BY RANGE (at);\nCREATE TABLE events (id int, at timestamptz);',
      'main.sql': 'ALTER TABLE app.events ADD PRIMARY KEY (id);\nALTER TABLE events ADD PRIMARY KEY (id);',
    };
    const f = findings(files, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(files['main.sql'], f[0])).toBe('PRIMARY KEY (id)');
    expect(f[0].range.start.line).toBe(0);
  });

  it('knows partitioned tables declared in .pgperf.json', () => {
    const sql = 'ALTER TABLE audit ADD PRIMARY KEY (id);\nALTER TABLE audit ADD UNIQUE (id, created_at);';
    const cfg = config({ partitionedTables: { audit: { strategy: 'range', columns: ['created_at'] } } });
    const f = findings(sql, RULE, cfg);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('.pgperf.json');
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('an expression in the partition key rules out every unique constraint', () => {
    const sql = 'CREATE TABLE m (id int, at timestamp, PRIMARY KEY (id, at)) PARTITION BY RANGE ((at::date));';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('expression');
  });

  it.each([
    // The guide's event_log.
    'CREATE TABLE event_log (\n  tenant_id varchar(255),\n  event_id uuid,\n  "timestamp" timestamptz,\n  PRIMARY KEY (tenant_id, "timestamp", event_id)\n) PARTITION BY RANGE ("timestamp");',
    'CREATE TABLE m (day date PRIMARY KEY, v int) PARTITION BY RANGE (day);',
    'CREATE TABLE m (id int PRIMARY KEY, day date);',
    'CREATE TABLE m (id int, day date, UNIQUE (id, day)) PARTITION BY LIST (day);',
    EVENT_LOG + 'CREATE UNIQUE INDEX ux ON event_log (tenant_id, "timestamp", event_id);',
    EVENT_LOG + 'CREATE INDEX ix ON event_log (event_id);',
    EVENT_LOG + 'ALTER TABLE event_log ADD CONSTRAINT c CHECK (event_id IS NOT NULL);',
    // A partition is an ordinary table: its own keys need not include the parent's partition key.
    EVENT_LOG + "CREATE TABLE event_log_2025_01 PARTITION OF event_log (PRIMARY KEY (event_id)) FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');",
    EVENT_LOG + 'CREATE UNIQUE INDEX ux ON app.event_log (event_id);',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });
});

describe('partition-key-in-unique: the migration history', () => {
  const RULE_ID = 'partition-key-in-unique';
  it('reads a CREATE TABLE of its own, not a partitioned table of the same name in another project folder', () => {
    const files = {
      'a/schema.sql': 'CREATE TABLE foo (id bigint, at timestamptz, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);',
      'b/schema.sql': 'CREATE TABLE foo (id bigint PRIMARY KEY);\nCREATE UNIQUE INDEX foo_id ON foo (id);',
    };
    expect(findings(files, RULE_ID, undefined, 'b/schema.sql')).toEqual([]);
  });

  it('a drop-and-recreate migration: the first definition is judged as it was (tensorzero batch tables)', () => {
    const files = {
      'migrations/20260129100000_batch_tables.sql': 'CREATE TABLE tz.batch_requests (id uuid PRIMARY KEY, created_at timestamptz NOT NULL);',
      'migrations/20260213142997_split.sql':
        'DROP TABLE tz.batch_requests;\n' +
        'CREATE TABLE tz.batch_requests (id uuid NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);\n' +
        'CREATE UNIQUE INDEX br_id ON tz.batch_requests (id);',
    };
    expect(findings(files, RULE_ID, undefined, 'migrations/20260129100000_batch_tables.sql')).toEqual([]);
    // The index after the re-creation is on the partitioned table and does leave out created_at.
    expect(findings(files, RULE_ID, undefined, 'migrations/20260213142997_split.sql')).toHaveLength(1);
  });

  it('an ALTER TABLE … ADD PRIMARY KEY after the table was re-created unpartitioned does not fire', () => {
    const files = {
      'm/1_a.sql': 'CREATE TABLE t (id int, at date) PARTITION BY RANGE (at);',
      'm/2_b.sql': 'DROP TABLE t; CREATE TABLE t (id int, at date); ALTER TABLE t ADD PRIMARY KEY (id);',
    };
    expect(findings(files, RULE_ID, undefined, 'm/2_b.sql')).toEqual([]);
  });
});
