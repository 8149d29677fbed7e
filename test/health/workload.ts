/**
 * The health tests' database states on a private PostgreSQL 15: `unhealthy` makes every check that can run on it
 * fire (pgvector, which this server lacks, is tested on the embedded database), `tune` puts each right again.
 */
import pg from 'pg';
import type { PrivateCluster } from '../pg-cluster';

/** The index name that would break out of its quotes if pgperf built fix SQL by pasting names. */
export const ATTACK_INDEX = 'x"; DROP TABLE t; --';

/** The settings the unhealthy state starts with: below the guide's values for a 1 GB server on SSD. */
export const UNHEALTHY_SETTINGS = {
  shared_preload_libraries: 'pg_stat_statements',
  shared_buffers: '2MB',
  effective_cache_size: '64MB',
  max_connections: '20',
  autovacuum_naptime: '1d',
};

/** The guide's values for a server with 1 GB of RAM (what the tests pass as --ram) on SSD. */
const TUNED_SETTINGS = {
  ...UNHEALTHY_SETTINGS,
  shared_buffers: '256MB',
  effective_cache_size: '768MB',
  work_mem: '64MB',
  maintenance_work_mem: '512MB',
  random_page_cost: '1.1',
  effective_io_concurrency: '200',
  max_connections: '100',
};

export const RAM = 1024 ** 3;

export async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** The sessions the unhealthy state holds open, ended by `tune`. */
export interface Held {
  idle: pg.Client;
  idlePid: number;
  waiter: pg.Client;
  waiting: Promise<unknown>;
  sleeper: pg.Client;
  sleeping: Promise<unknown>;
  extra: pg.Client[];
}

export async function unhealthy(cluster: PrivateCluster, admin: pg.Client): Promise<Held> {
  await admin.query(`
    CREATE EXTENSION pg_stat_statements;
    CREATE TABLE t (id int PRIMARY KEY);
    CREATE TABLE lockme (id int PRIMARY KEY, v int);
    INSERT INTO lockme VALUES (1, 0);
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL, status text NOT NULL, note text NOT NULL)
      WITH (autovacuum_enabled = false);
    INSERT INTO orders (customer, status, note) SELECT g % 500, 'new', repeat('x', 80) FROM generate_series(1, 20000) g;
    CREATE INDEX orders_customer ON orders (customer);
    CREATE INDEX orders_customer_dup ON orders (customer);
    CREATE INDEX orders_customer_status ON orders (customer, status);
    CREATE TABLE notes (id int PRIMARY KEY, body text);
    CREATE INDEX "x""; DROP TABLE t; --" ON notes (body);
    ANALYZE orders;
    CREATE TABLE events (at timestamptz NOT NULL, payload text) PARTITION BY RANGE (at);
    CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
    CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
  `);
  const url = cluster.url('postgres', 'app');
  // Its snapshot, taken before the updates, keeps every old row version (no page pruning): the bloat is certain.
  const idle = await client(url);
  await idle.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await idle.query('SELECT count(*) FROM orders');
  await idle.query('UPDATE lockme SET v = v + 1 WHERE id = 1');
  const idlePid = Number((await idle.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  await admin.query(`UPDATE orders SET status = 'paid'`);
  await admin.query(`UPDATE orders SET status = 'shipped'`);
  await admin.query('ANALYZE orders');
  // Sequential scans of a table larger than a quarter of shared_buffers read through a small ring: misses.
  for (let i = 0; i < 30; i++) await admin.query('SELECT count(*) FROM orders');
  for (let i = 0; i < 3; i++) await admin.query('SELECT pg_sleep(0.05)');
  const waiter = await client(url);
  const waiting = waiter.query('UPDATE lockme SET v = v + 1 WHERE id = 1').catch((e: unknown) => e);
  const sleeper = await client(url);
  const sleeping = sleeper.query('SELECT pg_sleep(120)').catch((e: unknown) => e);
  const extra: pg.Client[] = [];
  for (let i = 0; i < 8; i++) extra.push(await client(url));
  // Past the 5-second thresholds of the session checks, and the statistics flushed (at most once a second).
  await new Promise((r) => setTimeout(r, 6500));
  return { idle, idlePid, waiter, waiting, sleeper, sleeping, extra };
}

export async function tune(cluster: PrivateCluster, admin: pg.Client, held: Held): Promise<pg.Client> {
  await admin.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'`);
  await held.sleeping;
  await held.idle.query('ROLLBACK');
  await held.waiting;
  for (const c of [held.idle, held.waiter, held.sleeper, ...held.extra]) await c.end();
  // Monthly partitions from the last one up to a year ahead, as the guide's daily job keeps them.
  const months: string[] = [];
  const now = new Date();
  for (
    let d = new Date(Date.UTC(2025, 2, 1));
    d < new Date(Date.UTC(now.getUTCFullYear() + 1, now.getUTCMonth(), 1));
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
  ) {
    const to = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    const name = `events_${d.toISOString().slice(0, 7).replace('-', '_')}`;
    months.push(`CREATE TABLE ${name} PARTITION OF events FOR VALUES FROM ('${d.toISOString().slice(0, 10)}') TO ('${to.toISOString().slice(0, 10)}');`);
  }
  await admin.query(`
    DROP INDEX orders_customer, orders_customer_dup, "x""; DROP TABLE t; --";
    ALTER TABLE orders RESET (autovacuum_enabled);
    ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02);
    ${months.join('\n    ')}
  `);
  await admin.query('VACUUM FULL orders');
  await admin.query('VACUUM ANALYZE orders');
  await admin.end();
  cluster.restart(TUNED_SETTINGS);
  const again = await client(cluster.url('postgres', 'app'));
  await again.query('SELECT pg_stat_reset(), pg_stat_statements_reset()');
  // A session of its own, ended: a backend flushes its statistics when it exits (otherwise up to 10 s later).
  const user = await client(cluster.url('postgres', 'app'));
  await user.query('SET enable_seqscan = off');
  await user.query('SELECT * FROM orders WHERE customer = 1');
  await user.end();
  await new Promise((r) => setTimeout(r, 500));
  return again;
}
