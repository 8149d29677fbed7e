/**
 * What a health check is: like a lint rule, plain data about what it reads and which advice of the tuning guide it
 * applies, and a `run` over one read-only session. The runner (run.ts) opens the transaction, sets the timeout and
 * turns a missing privilege into a skip, so a check holds only its queries and its judgement.
 */
import type { Session } from '../connection/types';

export type HealthSeverity = 'error' | 'warning' | 'info';

/** A value of a finding's evidence: numbers stay numbers in the JSON output. */
export type EvidenceValue = string | number | boolean | null;

export interface HealthFinding {
  severity: HealthSeverity;
  /** The object it is about, quoted as SQL would name it (`public."Orders"`, a setting's name); absent when none. */
  object?: string;
  message: string;
  evidence: Record<string, EvidenceValue>;
  /** SQL that fixes it, shown to the user and never run by pgperf. */
  fix?: string;
}

/** What the runner learned about the server and the role once, before the checks. */
export interface HealthFacts {
  serverVersion: number;
  serverVersionText: string;
  embedded: boolean;
  currentUser: string;
  superuser: boolean;
  /** Superuser or a member of pg_read_all_stats: sees every session's query and every role's statements. */
  readAllStats: boolean;
  /** Installed extensions of the current database: name → schema. */
  extensions: Map<string, string>;
  /** The server machine's memory in bytes, when known (`--ram`, or a server on this machine). */
  ramBytes?: number;
  ramSource?: string;
  /** The data's storage, when the user said (`--storage`). */
  storage?: 'ssd' | 'hdd';
}

export interface HealthContext extends HealthFacts {
  /** A session inside `BEGIN READ ONLY` with the check's statement_timeout; rolled back after the check. */
  session: Session;
}

export type CheckOutcome = { findings: HealthFinding[]; notes?: string[] } | { skipped: string };

export type HealthCategory = 'cache' | 'indexes' | 'vacuum' | 'sessions' | 'queries' | 'partitioning' | 'settings' | 'pgvector';

export interface HealthCheck {
  id: string;
  title: string;
  category: HealthCategory;
  /** The catalog views and functions it reads. */
  reads: string[];
  /** Lowest server_version_num it runs on (absent: any supported version). */
  minVersion?: number;
  /** Privilege or extension it needs, in words (absent: any role that can connect). */
  needs?: string;
  /** Why it does not run on the embedded database (absent: it runs there). */
  notEmbedded?: string;
  guide: {
    /** The section of pg-tuning-guide.md, as "Chapter › Section". */
    section: string;
    threshold: string;
  };
  docs: {
    why: string;
    fix: string;
    /** When the advice does not apply. */
    notApplicable: string;
  };
  run(ctx: HealthContext): Promise<CheckOutcome>;
}

export function skipped(reason: string): CheckOutcome {
  return { skipped: reason };
}
