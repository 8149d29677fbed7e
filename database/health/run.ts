/**
 * Runs the health checks on a database: one session per check, inside `BEGIN READ ONLY` with the check's own
 * `SET LOCAL statement_timeout`, always rolled back. A check the server's version, the role's privileges or an
 * extension rules out is skipped with the reason; one that times out or fails is reported as failed, and the rest
 * still run. A lost connection ends the run (the caller reports it).
 */
import { withSession } from '../connection/session';
import { DatabaseError, type Database, type Session } from '../connection/types';
import { HEALTH_CHECKS } from './registry';
import { HEALTH_QUERY_MARK } from './sql';
import type { HealthCheck, HealthFacts, HealthFinding, HealthSeverity } from './types';

export interface HealthOptions {
  /** Check ids to run (default: all). Unknown ids are the caller's to refuse (HEALTH_CHECKS lists them). */
  checks?: readonly string[];
  /** statement_timeout of each check, ms (default 5000; 0: none). */
  timeoutMs?: number;
  ramBytes?: number;
  ramSource?: string;
  storage?: 'ssd' | 'hdd';
}

export type CheckStatus = 'ok' | 'findings' | 'skipped' | 'failed';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** Why it was skipped or failed. */
  reason?: string;
  findings: HealthFinding[];
  notes: string[];
  durationMs: number;
}

export interface HealthReport {
  database: { label: string; kind: Database['kind']; serverVersion: string; serverVersionNum: number; user: string };
  ram: { bytes: number; source: string } | null;
  storage: 'ssd' | 'hdd' | null;
  timeoutMs: number;
  checks: CheckResult[];
  summary: Record<HealthSeverity, number> & { skipped: number; failed: number };
  /** The numbers a trend samples on every run, whatever the checks found (absent: the server did not say). */
  vitals: HealthVitals;
}

/** Read on every run for the health panel's trend: the database's cache hit ratio, client connections, dead tuples. */
export interface HealthVitals {
  /** blks_hit ÷ (blks_hit + blks_read) of this database since the statistics reset, in %. */
  cacheHitPercent?: number;
  /** Client backends connected to the server, and its max_connections. */
  clientConnections?: number;
  maxConnections?: number;
  /** n_dead_tup summed over the user tables of this database. */
  deadTuples?: number;
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 5000;

/** Runs `work` in a read-only transaction with a statement_timeout, rolled back whatever happens. */
async function readOnly<T>(db: Database, timeoutMs: number, work: (s: Session) => Promise<T>): Promise<T> {
  return withSession(db, async (s) => {
    await s.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
    try {
      return await work(s);
    } finally {
      await s.query('ROLLBACK').catch(() => undefined);
    }
  });
}

function marked(s: Session): Session {
  return {
    query: (sql, params) => s.query(HEALTH_QUERY_MARK + sql, params),
    statement: (sql, params) => s.statement(HEALTH_QUERY_MARK + sql, params),
    cancel: () => s.cancel(),
    release: (broken) => s.release(broken),
  };
}

async function learnFacts(db: Database, options: HealthOptions, timeoutMs: number): Promise<HealthFacts> {
  const version = await db.serverVersion();
  return readOnly(db, timeoutMs, async (s) => {
    const { rows } = await s.query(
      `SELECT current_user AS who, r.rolsuper AS superuser,
              (r.rolsuper OR CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_read_all_stats')
                THEN pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') ELSE false END) AS read_all_stats
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    const ext = await s.query(`SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`);
    return {
      serverVersion: version.num,
      serverVersionText: version.text,
      embedded: db.kind === 'embedded',
      currentUser: typeof rows[0]?.who === 'string' ? rows[0].who : '',
      superuser: rows[0]?.superuser === true,
      readAllStats: rows[0]?.read_all_stats === true,
      extensions: new Map(ext.rows.map((r) => [r.extname as string, r.nspname as string])),
      ...(options.ramBytes !== undefined ? { ramBytes: options.ramBytes, ramSource: options.ramSource ?? 'given' } : {}),
      ...(options.storage ? { storage: options.storage } : {}),
    };
  });
}

function versionText(num: number): string {
  return `${Math.floor(num / 10000)}`;
}

async function runCheck(db: Database, check: HealthCheck, facts: HealthFacts, timeoutMs: number): Promise<CheckResult> {
  const base = { id: check.id, title: check.title, findings: [] as HealthFinding[], notes: [] as string[] };
  const t0 = performance.now();
  const done = (r: Omit<CheckResult, 'durationMs' | 'id' | 'title'>): CheckResult => ({
    id: check.id,
    title: check.title,
    ...r,
    durationMs: Math.round(performance.now() - t0),
  });
  if (facts.embedded && check.notEmbedded) return done({ ...base, status: 'skipped', reason: `embedded database: ${check.notEmbedded}` });
  if (check.minVersion !== undefined && facts.serverVersion < check.minVersion) {
    return done({
      ...base,
      status: 'skipped',
      reason: `needs PostgreSQL ${versionText(check.minVersion)} or later (the server is ${facts.serverVersionText})`,
    });
  }
  try {
    const outcome = await readOnly(db, timeoutMs, (session) => check.run({ ...facts, session: marked(session) }));
    if ('skipped' in outcome) return done({ ...base, status: 'skipped', reason: outcome.skipped });
    return done({ ...base, status: outcome.findings.length ? 'findings' : 'ok', findings: outcome.findings, notes: outcome.notes ?? [] });
  } catch (e) {
    if (!(e instanceof DatabaseError) || e.kind === 'connection') throw e;
    if (e.kind === 'timeout') {
      return done({ ...base, status: 'failed', reason: `stopped by statement_timeout after ${timeoutMs} ms (raise --timeout): ${e.message}` });
    }
    // 42501 insufficient_privilege: a view or function this role may not read.
    if (e.code === '42501') return done({ ...base, status: 'skipped', reason: `lacks a privilege: ${e.message}` });
    return done({ ...base, status: 'failed', reason: `${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}` });
  }
}

export async function runHealth(db: Database, options: HealthOptions = {}): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const facts = await learnFacts(db, options, timeoutMs);
  const wanted = options.checks && options.checks.length > 0 ? new Set(options.checks) : undefined;
  const checks: CheckResult[] = [];
  for (const check of HEALTH_CHECKS) if (!wanted || wanted.has(check.id)) checks.push(await runCheck(db, check, facts, timeoutMs));
  const vitals = await readVitals(db, timeoutMs);
  const summary = { error: 0, warning: 0, info: 0, skipped: 0, failed: 0 };
  for (const c of checks) {
    if (c.status === 'skipped') summary.skipped++;
    if (c.status === 'failed') summary.failed++;
    for (const f of c.findings) summary[f.severity]++;
  }
  return {
    database: { label: db.label, kind: db.kind, serverVersion: facts.serverVersionText, serverVersionNum: facts.serverVersion, user: facts.currentUser },
    ram: facts.ramBytes !== undefined ? { bytes: facts.ramBytes, source: facts.ramSource ?? 'given' } : null,
    storage: facts.storage ?? null,
    timeoutMs,
    checks,
    summary,
    vitals,
  };
}

const finiteOrUndefined = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/** One read-only query of the statistics views; a number the server does not give (or a view it refuses) stays absent. */
async function readVitals(db: Database, timeoutMs: number): Promise<HealthVitals> {
  try {
    return await readOnly(db, timeoutMs, async (session) => {
      const { rows } = await marked(session).query(
        `SELECT (SELECT CASE WHEN sum(blks_hit + blks_read) > 0 THEN 100.0 * sum(blks_hit) / sum(blks_hit + blks_read) END
                   FROM pg_stat_database WHERE datname = current_database())::float8 AS cache_hit,
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8 AS connections,
                current_setting('max_connections')::float8 AS max_connections,
                (SELECT sum(n_dead_tup) FROM pg_stat_user_tables)::float8 AS dead`,
      );
      const r = rows[0] ?? {};
      const out: HealthVitals = {};
      const cache = finiteOrUndefined(r.cache_hit);
      if (cache !== undefined) out.cacheHitPercent = Math.round(cache * 100) / 100;
      const connections = finiteOrUndefined(r.connections);
      if (connections !== undefined) out.clientConnections = connections;
      const max = finiteOrUndefined(r.max_connections);
      if (max !== undefined) out.maxConnections = max;
      const dead = finiteOrUndefined(r.dead);
      if (dead !== undefined) out.deadTuples = dead;
      return out;
    });
  } catch (e) {
    if (e instanceof DatabaseError && e.kind !== 'connection') return {};
    throw e;
  }
}
