// Report shapes of the command-palette benchmarks (issue 5), shared by database/bench/{hnsw,rls}.ts (which
// produce them), report-html.ts / report-svg.ts (which draw them), the CLI (cli/bench.ts) and the VS Code
// panel (client/src/ui/bench-panel.ts). Types, the defaults and one type guard; no `vscode` import.

/** The database a benchmark ran on. */
export interface BenchDatabase {
  kind: 'postgres' | 'embedded';
  /** `Database.label`: "embedded PGlite (PostgreSQL 18.6)" or "prod — db.example.com:5432/app". Never a password. */
  label: string;
  /** `serverVersion().text`, e.g. "PostgreSQL 15.14". */
  serverVersion: string;
}

/** Progress and cancel of a running benchmark. */
export interface BenchRunOptions {
  /** `step`: what runs now ("build m=16 ef_construction=64"); `fraction` in [0, 1]; `etaMs`: null/undefined while unknown. */
  onProgress?: (step: string, fraction: number, etaMs?: number | null) => void;
  /** Aborts between steps; during an index build the running statement is cancelled (Session.cancel()). */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------------------------
// HNSW sweep

export type HnswDistribution = 'clustered' | 'uniform';
export type HnswMetric = 'cosine' | 'l2' | 'ip';

export interface HnswParams {
  dim: number;
  count: number;
  /** Held-out query vectors (not in the index). */
  queries: number;
  distribution: HnswDistribution;
  metric: HnswMetric;
  m: number[];
  efConstruction: number[];
  efSearch: number[];
  k: number;
  recallTarget: number;
  seed: number;
  /** The user's table/column to sample from (instead of synthetic vectors); both or neither. */
  table?: string;
  column?: string;
}

/** One (m, ef_construction, ef_search) configuration. buildMs / indexBytes are those of its (m, ef_construction). */
export interface HnswResult {
  m: number;
  efConstruction: number;
  efSearch: number;
  buildMs: number;
  indexBytes: number;
  /** recall@k in [0, 1] against the exact results. */
  recall: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Mean latency (the sweep always gives it). */
  meanMs?: number;
  qps: number;
}

/** The cheapest configuration reaching the recall target (with its latency). */
export interface HnswRecommendation extends HnswResult {
  /** Why this one, in one sentence (e.g. "lowest p50 among the configurations with recall ≥ 0.95"). */
  reason?: string;
}

/** The guide's memory formula, (m × 2) × 4 + dim × 4 bytes per vector, times count, beside the measured size. */
export interface HnswMemoryRow {
  m: number;
  efConstruction: number;
  formulaBytes: number;
  indexBytes: number;
}

export interface HnswReport {
  /** hnsw.ts gives the label (`Database.label`) with `kind` and `serverVersion` beside it. */
  database: BenchDatabase | string;
  kind?: 'postgres' | 'embedded';
  serverVersion?: string;
  pgvectorVersion?: string;
  params: HnswParams;
  results: HnswResult[];
  /** null when no configuration reaches the recall target. */
  recommendation: HnswRecommendation | null;
  memoryFormula: HnswMemoryRow[];
  /** ISO 8601. */
  startedAt: string;
  totalMs: number;
}

// ---------------------------------------------------------------------------------------------------------------
// RLS overhead

export interface RlsParams {
  rows: number;
  rounds: number;
  tenants?: number;
  seed: number;
}

export const RLS_DEFAULTS: Readonly<RlsParams> = Object.freeze({ rows: 100_000, rounds: 30, tenants: 100, seed: 42 });

export interface LatencyP50P95 {
  p50: number;
  p95: number;
}

export interface RlsQueryResult {
  /** "tenant-scoped lookup", "range scan", "aggregate". */
  name: string;
  withoutRlsMs: LatencyP50P95;
  withRlsMs: LatencyP50P95;
  overheadPct: number;
  ci95Pct: [number, number];
  planChanged: boolean;
  /** Plan summaries (node types / index names), as text. */
  planWithout: string;
  planWith: string;
}

export interface RlsReport {
  database: BenchDatabase;
  params: RlsParams;
  overheadPct: number;
  ci95Pct: [number, number];
  /** The guide's target: < 5 %. */
  targetPct: number;
  queries: RlsQueryResult[];
  /** ISO 8601 (optional: the contract lists only totalMs). */
  startedAt?: string;
  totalMs: number;
}

export type BenchReport = HnswReport | RlsReport;

/** "embedded PGlite (PostgreSQL 18.6)", whichever form the report holds. */
export function databaseLabel(report: { database: BenchDatabase | string; serverVersion?: string }): string {
  const d = report.database;
  if (typeof d === 'string') return d;
  return d.label.includes(d.serverVersion) || !d.serverVersion ? d.label : `${d.label} (${d.serverVersion})`;
}

export function isHnswReport(report: BenchReport): report is HnswReport {
  return 'results' in report;
}
