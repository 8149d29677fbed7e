/**
 * What pgperf knows about functions without looking inside them: the built-ins (and well-known extension
 * functions) whose effect a ROLLBACK cannot undo, the volatile built-ins that only read, and the extensions whose
 * functions are trusted to be what their volatility says. Pure data and a verdict; reach.ts asks the database
 * which functions a statement reaches.
 */

/** Effects that outlive the transaction, by function name (built-ins, dblink, adminpack, pg_stat_statements). */
const IRREVERSIBLE: Record<string, string> = {};
function effect(names: string, what: string): void {
  for (const n of names.split(/\s+/).filter(Boolean)) IRREVERSIBLE[n] = what;
}
effect('nextval setval', 'changes a sequence (a rollback does not give values back or restore it)');
effect(
  'pg_advisory_lock pg_advisory_lock_shared pg_try_advisory_lock pg_try_advisory_lock_shared',
  'takes a session-level advisory lock, which outlives the transaction (pgperf closes the connection afterwards)',
);
effect('pg_terminate_backend', 'ends another session');
effect('pg_cancel_backend', "cancels another session's statement");
effect('pg_reload_conf', 'makes the server reload its configuration');
effect('pg_rotate_logfile pg_rotate_logfile_old', 'rotates the server log file');
effect(
  'pg_switch_wal pg_create_restore_point pg_promote pg_wal_replay_pause pg_wal_replay_resume pg_backup_start pg_backup_stop pg_start_backup pg_stop_backup',
  "acts on the server's write-ahead log, recovery or backup state",
);
effect('pg_log_backend_memory_contexts', 'writes to the server log');
effect(
  'pg_create_physical_replication_slot pg_create_logical_replication_slot pg_drop_replication_slot pg_copy_physical_replication_slot pg_copy_logical_replication_slot pg_replication_slot_advance pg_logical_slot_get_changes pg_logical_slot_get_binary_changes',
  'creates, drops or advances a replication slot',
);
effect('pg_logical_emit_message', 'writes a message to the write-ahead log');
effect(
  'pg_replication_origin_create pg_replication_origin_drop pg_replication_origin_advance pg_replication_origin_session_setup pg_replication_origin_session_reset pg_replication_origin_xact_setup',
  'changes replication origin state',
);
effect(
  'pg_stat_reset pg_stat_reset_shared pg_stat_reset_single_table_counters pg_stat_reset_single_function_counters pg_stat_reset_slru pg_stat_reset_replication_slot pg_stat_reset_subscription_stats pg_stat_statements_reset pg_stat_clear_snapshot',
  'resets statistics counters',
);
effect('lo_export', 'writes a file on the database server');
effect('pg_file_write pg_file_rename pg_file_unlink pg_file_sync pg_logdir_ls', 'writes or removes a file on the database server');
effect(
  'dblink_exec dblink dblink_open dblink_fetch dblink_close dblink_send_query dblink_get_result',
  'runs SQL on another connection, where it is committed on its own',
);
effect('dblink_connect dblink_connect_u', 'opens a connection that stays open (pgperf closes its connection afterwards)');
effect('pg_import_system_collations', 'adds collations');

/** Volatile built-ins that read or make values but change nothing a rollback would not undo. */
const HARMLESS_VOLATILE = new Set([
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'statement_timestamp',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'gen_random_bytes',
  'gen_salt',
  'pg_sleep',
  'pg_lock_status',
  'pg_blocking_pids',
  'pg_safe_snapshot_blocking_pids',
  'pg_total_relation_size',
  'pg_relation_size',
  'pg_indexes_size',
  'pg_table_size',
  'pg_database_size',
  'pg_tablespace_size',
  'pg_sleep_for',
  'pg_sleep_until',
  'pg_backend_pid',
  'txid_current',
  'txid_current_if_assigned',
  'pg_current_xact_id',
  'pg_current_xact_id_if_assigned',
  'set_config',
  'currval',
  'lastval',
  'pg_notify',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
  'uuidv4',
  'uuidv7',
  'pg_stat_get_snapshot_timestamp',
  'pg_stat_force_next_flush',
]);

/**
 * Extensions whose member functions are taken at their word (an IMMUTABLE pg_trgm function really is one). A
 * function is a member when pg_depend says so, not when its name or schema looks like one.
 */
const TRUSTED_EXTENSIONS = new Set([
  'vector',
  'pg_trgm',
  'btree_gin',
  'btree_gist',
  'citext',
  'hstore',
  'ltree',
  'cube',
  'earthdistance',
  'fuzzystrmatch',
  'intarray',
  'unaccent',
  'pgcrypto',
  'uuid-ossp',
  'tablefunc',
  'postgis',
  'isn',
  'seg',
  'pg_stat_statements',
  'tsm_system_rows',
  'tsm_system_time',
  'bloom',
  'intagg',
  'lo',
]);

/** Harmless built-ins that leave state in the session (pgperf then closes the connection rather than pool it). */
const SESSION_STATE = new Set(['setseed']);

export function leavesSessionState(name: string): boolean {
  return SESSION_STATE.has(name);
}

/** Why a call of `name` cannot be rolled back, or undefined. */
export function irreversibleEffect(name: string): string | undefined {
  return Object.hasOwn(IRREVERSIBLE, name) ? IRREVERSIBLE[name] : undefined;
}

export function harmlessVolatile(name: string): boolean {
  return HARMLESS_VOLATILE.has(name);
}

/** A function as the database describes it (reach.ts). */
export interface FunctionFacts {
  schema: string;
  name: string;
  /** pg_proc.provolatile: 'i', 's' or 'v'. */
  volatility: string;
  language: string;
  /** The extension it belongs to (pg_depend deptype 'e'), if any. */
  extension?: string;
  /** A selectivity estimator of an operator: the planner calls it while planning. */
  estimator: boolean;
}

export type Verdict =
  { kind: 'harmless' } | { kind: 'irreversible'; what: string } | { kind: 'may-write' } | { kind: 'inspect' } | { kind: 'unknown'; why: string };

/**
 * What calling a built-in or trusted-extension function does; user functions are 'inspect' when their body can be
 * looked into (SQL), else 'unknown'.
 */
export function verdictOf(f: FunctionFacts): Verdict {
  const trusted = f.schema === 'pg_catalog' || (f.extension !== undefined && TRUSTED_EXTENSIONS.has(f.extension));
  const known = trusted || (f.extension !== undefined && irreversibleEffect(f.name) !== undefined);
  if (known) {
    const what = irreversibleEffect(f.name);
    if (what) return { kind: 'irreversible', what };
    if (f.volatility === 'v' && !harmlessVolatile(f.name)) return { kind: 'may-write' };
    return { kind: 'harmless' };
  }
  if (f.language === 'sql') return { kind: 'inspect' };
  const label = f.extension ? `a function of the ${f.extension} extension` : `a ${f.language} function`;
  return { kind: 'unknown', why: `${label} pgperf cannot look inside` };
}

/**
 * Can the planner call it while planning (plain EXPLAIN runs it too)? It folds IMMUTABLE and STABLE calls of
 * constants and calls selectivity estimators. (A VOLATILE SQL function may be inlined, not run: what its body
 * calls is judged on its own.)
 */
export function calledWhilePlanning(f: FunctionFacts): boolean {
  return f.estimator || f.volatility !== 'v';
}
