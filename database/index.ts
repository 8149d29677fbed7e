/**
 * The database side's public entry: connections (PostgreSQL and the embedded PGlite), EXPLAIN and its safety
 * gate, the benchmarks with their reports, synthetic data, the health checks and the what-if indexes (HypoPG).
 * The VS Code extension and the CLI import this file only, never a file inside (ARCHITECTURE.md); nothing here
 * imports `vscode`, the language server or the UI.
 */
export { type Database, DatabaseError } from './connection/types';
export { openEmbedded } from './connection/embedded';
export { openPostgres, poolSizeAdviceText } from './connection/postgres';
export { type ConnectionProfile, connectionProfileSchema, profileLabel, SSL_MODES, validateProfiles } from './connection/profiles';
export { databaseFromEnv, type Env, targetFromEnv } from './connection/env';
export { failureLine, loadedSummary, loadSchema } from './connection/load-ddl';

export { type ConfirmRequest, ExplainRefused, type ExplainResult, ExplainUnsupported, startExplain } from './explain/run';
export { classify } from './explain/safety';
export { compareFix, type CompareOutcome, type CompareSide, speedupText } from './explain/compare';
export { planToText } from './explain/text';

export { DEFAULT_HNSW_PARAMS, describeScratch, estimateScratchBytes, isLocal, resolveHnswParams, runHnswSweep } from './bench/hnsw';
export { runRlsBenchmark } from './bench/rls';
export { leftBehindText, ScratchLedger } from './bench/scratch';
export { type BenchReport, type HnswParams, isHnswReport, RLS_DEFAULTS, type RlsParams } from './bench/report-types';
export { buildBenchErrorHtml, buildReportHtml, describeRlsScratch, isLocalHost, toCsv, toTextTable } from './bench/report-html';
export { formatBytes } from './bench/report-svg';

export { HEALTH_CHECKS } from './health/registry';
export { DEFAULT_HEALTH_TIMEOUT_MS, type HealthReport, runHealth } from './health/run';
export { healthToJson, healthToText } from './health/text';
export { healthToSarif } from './health/sarif';
export { healthCheckMarkdown, healthIndexMarkdown } from './health/docs';

export { type DataResult, fillDatabase } from './data/generate';

export { whatIfCases } from './whatif/cases';
export { DEFAULT_WHATIF_TIMEOUT_MS, hypopgMissingText, runWhatIf } from './whatif/run';
export { whatIfToJson, whatIfToText } from './whatif/text';
