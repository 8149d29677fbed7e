/**
 * Findings on a plan, tied to the tuning guide (../shared/reference/pg-tuning-guide.md). Each names the node as
 * PostgreSQL prints it and says what to do. Pure: the optional catalog context comes from run.ts.
 */
import { walk, type ParsedPlan, type PlanNode, type PlanTotals } from './plan';
import { PGVECTOR_OPERATORS, vectorOperator } from './pgvector';

export type PlanFindingSeverity = 'warning' | 'info';

export interface PlanFinding {
  rule: PlanRule;
  nodeId: number;
  /** The node as PostgreSQL prints it, e.g. "Seq Scan on events e". */
  node: string;
  message: string;
  severity: PlanFindingSeverity;
}

export type PlanRule =
  | 'seq-scan-filter'
  | 'partitions-not-pruned'
  | 'sort-spill'
  | 'hash-spill'
  | 'index-only-heap-fetches'
  | 'vector-order-without-index'
  | 'nested-loop-misestimate'
  | 'low-cache-hit-ratio';

/** Catalog facts run.ts looks up for the relations of a plan (keyed by relation name as the plan prints it). */
export interface PlanContext {
  relations?: Record<
    string,
    {
      /** pg_class.reltuples (-1 or 0 when never analyzed). */
      rows?: number;
      /** Set when the relation is a partition. */
      partitionOf?: { parent: string; key: string[]; strategy: string; partitions: number };
    }
  >;
}

/**
 * A sequential scan over fewer rows than this is cheap (a few dozen 8 kB pages) and usually the planner's right
 * choice; the guide's "no sequential scans on large tables" is about tables past this size.
 */
const SEQ_SCAN_MIN_ROWS = 10_000;
/** Flag the scan when its filter discards at least this share of the rows read: an index would read ≤ 10 % of them. */
const SEQ_SCAN_REMOVED_SHARE = 0.9;
/** An index-only scan is worth flagging once this many heap visits happen… */
const IOS_MIN_HEAP_FETCHES = 1_000;
/** …and they are at least this share of its rows: the visibility map is stale (VACUUM has not caught up). */
const IOS_HEAP_FETCH_SHARE = 0.1;
/** A nested loop's inner side that runs fewer times than this is cheap whatever the estimate said. */
const NESTED_LOOP_MIN_LOOPS = 100;
/** Inner side run this many times more (or fewer) than planned: the outer estimate was wrong (same factor as misestimates). */
const NESTED_LOOP_LOOPS_FACTOR = 10;
/** The guide: "Cache hit ratio (should be >95%)". */
export const CACHE_HIT_RATIO_MIN = 0.95;
/** Below this many blocks (8 MB) the ratio says little (a handful of cold pages). */
const CACHE_HIT_MIN_BLOCKS = 1_000;
/** pgvector distance operators: L2, cosine, inner product, L1, Hamming, Jaccard. */
const VECTOR_DISTANCE_OPERATORS = PGVECTOR_OPERATORS.map((o) => o.operator);

const GUIDE_SEQ = 'guide checklist: "Query plans reviewed (no sequential scans on large tables)"';
const GUIDE_PARTITIONS = 'guide, Partition Pruning: one partition instead of 12 took a query from 500 ms to 40 ms';
const GUIDE_WORK_MEM = 'guide, PostgreSQL Memory Settings: work_mem = 64MB';
const GUIDE_VACUUM = 'guide, VACUUM Strategy: autovacuum_vacuum_scale_factor = 0.05 for busy tables';

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(1).replace(/\.0$/, '')} %`;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const clip = (s: string, max = 120): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function planFindings(plan: ParsedPlan | PlanNode, ctx: PlanContext = {}): PlanFinding[] {
  const tree = 'tree' in plan ? plan.tree : plan;
  const totals = 'tree' in plan ? plan.totals : undefined;
  const out: PlanFinding[] = [];
  const add = (node: PlanNode, rule: PlanRule, message: string, severity: PlanFindingSeverity = 'warning') =>
    out.push({ rule, nodeId: node.id, node: node.label, message, severity });
  const parents = new Map<number, PlanNode>();
  walk(tree, (node) => node.children.forEach((c) => parents.set(c.id, node)));
  walk(tree, (node) => {
    seqScan(node, ctx, add, parents.get(node.id));
    partitions(node, ctx, add);
    appendSeqScans(node, add);
    spills(node, add);
    heapFetches(node, add);
    vectorSort(node, add);
    nestedLoop(node, add);
  });
  if (totals) cacheHit(tree, totals, add);
  return out;
}

type Add = (node: PlanNode, rule: PlanRule, message: string, severity?: PlanFindingSeverity) => void;

const isAppend = (x: PlanNode | undefined): boolean => x?.nodeType === 'Append' || x?.nodeType === 'Merge Append';

/** Rows read and removed by a filtered Seq Scan that ran (ANALYZE), over all its loops and parallel workers. */
function seqScanCounts(node: PlanNode): { read: number; removed: number; kept: number } | undefined {
  if (node.nodeType !== 'Seq Scan' || node.neverExecuted || !str(node.raw.Filter)) return undefined;
  if (node.loops === undefined || node.actualRows === undefined) return undefined;
  // Both are per-loop averages: × loops gives the rows of all loops (and of all parallel workers).
  const removed = (num(node.raw['Rows Removed by Filter']) ?? 0) * node.loops;
  const kept = node.actualRows * node.loops;
  return { read: removed + kept, removed, kept };
}

const seqFix = (filter: string) => `add an index on the column(s) of the filter ${clip(filter)} (tenant column first on tenant tables), or narrow the query`;

function seqScan(node: PlanNode, ctx: PlanContext, add: Add, parent: PlanNode | undefined): void {
  // The Seq Scans of an Append's partitions (or UNION ALL branches) are judged together, once, in appendSeqScans.
  if (node.nodeType !== 'Seq Scan' || node.neverExecuted || isAppend(parent)) return;
  const filter = str(node.raw.Filter);
  if (!filter) return;
  const where = node.relation ?? '?';
  const fix = seqFix(filter);
  const counts = seqScanCounts(node);
  if (counts) {
    const { read, removed, kept } = counts;
    if (read < SEQ_SCAN_MIN_ROWS || removed / read < SEQ_SCAN_REMOVED_SHARE) return;
    add(
      node,
      'seq-scan-filter',
      `${node.label} read ${fmt(read)} rows and its filter removed ${fmt(removed)} (${pct(removed / read)}), keeping ${fmt(kept)}: ${fix} (${GUIDE_SEQ}).`,
    );
    return;
  }
  if (node.loops !== undefined) return;
  // Plain EXPLAIN: compare the estimate with the table's size from the catalog.
  const rows = ctx.relations?.[where]?.rows;
  if (rows === undefined || rows < SEQ_SCAN_MIN_ROWS) return;
  const keptShare = node.estRows / rows;
  if (keptShare > 1 - SEQ_SCAN_REMOVED_SHARE) return;
  add(
    node,
    'seq-scan-filter',
    `${node.label} reads the whole table (≈ ${fmt(rows)} rows) to keep an estimated ${fmt(node.estRows)} (${pct(keptShare)}): ${fix} (${GUIDE_SEQ}).`,
  );
}

/** One finding for the filtered Seq Scans under an Append, judged on their sum (12 partitions of 10K rows = 120K). */
function appendSeqScans(node: PlanNode, add: Add): void {
  if (!isAppend(node)) return;
  const scans = node.children.map((c) => ({ c, counts: seqScanCounts(c) })).filter((x) => x.counts);
  if (scans.length === 0) return;
  const read = scans.reduce((a, x) => a + x.counts!.read, 0);
  const removed = scans.reduce((a, x) => a + x.counts!.removed, 0);
  if (read < SEQ_SCAN_MIN_ROWS || removed / read < SEQ_SCAN_REMOVED_SHARE) return;
  const first = scans[0].c;
  const what = scans.length === 1 ? first.label : `${scans.length} Seq Scans under ${node.label} (${first.label}, …)`;
  add(
    first,
    'seq-scan-filter',
    `${what} read ${fmt(read)} rows and their filter removed ${fmt(removed)} (${pct(removed / read)}), keeping ${fmt(read - removed)}: ${seqFix(str(first.raw.Filter)!)} (${GUIDE_SEQ}).`,
  );
}

const SCAN_TYPES = /Scan$/;

/** The scans directly under an Append (looking through one wrapper such as a Partial Aggregate per partition). */
function appendScans(append: PlanNode): PlanNode[] {
  const scans: PlanNode[] = [];
  for (const c of append.children) {
    if (c.parentRelationship === 'InitPlan' || c.parentRelationship === 'SubPlan') continue;
    if (c.relation && SCAN_TYPES.test(c.nodeType)) scans.push(c);
    else if (c.children.length === 1 && c.children[0].relation) scans.push(c.children[0]);
  }
  return scans;
}

function partitions(node: PlanNode, ctx: PlanContext, add: Add): void {
  if (node.nodeType !== 'Append' && node.nodeType !== 'Merge Append') return;
  const scans = appendScans(node);
  // Partitions of one parent: from the catalog, or from PostgreSQL's aliases ("event_log_1", "e_2" for alias e).
  const byParent = new Map<string, { scans: PlanNode[]; key?: string[]; total?: number }>();
  for (const s of scans) {
    const part = ctx.relations?.[s.relation!]?.partitionOf;
    const parent = part?.parent ?? /^(.+)_\d+$/.exec(s.alias ?? '')?.[1];
    if (!parent) continue;
    const entry = byParent.get(parent) ?? { scans: [], key: part?.key, total: part?.partitions };
    entry.scans.push(s);
    byParent.set(parent, entry);
  }
  const removedAtRuntime = num(node.raw['Subplans Removed']) ?? 0;
  for (const [parent, { scans: parts, key, total }] of byParent) {
    // Partitions skipped at run time show up as never executed; count only the ones that ran.
    const ran = parts.filter((p) => !p.neverExecuted);
    if (ran.length < 2 || removedAtRuntime > 0) continue;
    if (total !== undefined && ran.length < total) continue; // some were pruned: a range that spans several is fine
    const of = total !== undefined ? `all ${total} partitions` : `${ran.length} partitions`;
    const conds = ran.map((p) => `${str(p.raw.Filter) ?? ''} ${str(p.raw['Index Cond']) ?? ''}`).join(' ');
    const keyText = key?.length ? key.join(', ') : undefined;
    const keyUsed = key?.some((k) => new RegExp(`\\b${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(conds));
    let advice: string;
    if (keyText && keyUsed) {
      advice = `the predicate on the partition key (${keyText}) does not prune: compare the bare column with constants or parameters (${key![0]} >= $1 AND ${key![0]} < $2), not an expression of it or a volatile value`;
    } else if (keyText) {
      advice = `there is no predicate on the partition key (${keyText}): add a range on it (${key![0]} >= $1 AND ${key![0]} < $2) so only the partitions in range are read`;
    } else {
      advice = 'add a range predicate on the partition key so only the partitions in range are read';
    }
    add(node, 'partitions-not-pruned', `${node.label} scans ${of} of ${parent}: ${advice} (${GUIDE_PARTITIONS}).`);
  }
}

function diskKb(node: PlanNode): number | undefined {
  const kinds: unknown[] = [
    node.raw['Sort Space Type'],
    ...(Array.isArray(node.raw.Workers) ? node.raw.Workers.map((w) => (w as Record<string, unknown>)['Sort Space Type']) : []),
  ];
  for (const g of ['Full-sort Groups', 'Pre-sorted Groups']) {
    const grp = node.raw[g] as Record<string, unknown> | undefined;
    if (grp) kinds.push(grp['Sort Space Type']);
  }
  const method = str(node.raw['Sort Method']) ?? '';
  if (!kinds.includes('Disk') && !method.startsWith('external')) return undefined;
  let kb = node.raw['Sort Space Type'] === 'Disk' ? (num(node.raw['Sort Space Used']) ?? 0) : 0;
  if (Array.isArray(node.raw.Workers)) {
    for (const w of node.raw.Workers as Record<string, unknown>[]) if (w['Sort Space Type'] === 'Disk') kb += num(w['Sort Space Used']) ?? 0;
  }
  return kb;
}

function spills(node: PlanNode, add: Add): void {
  if (node.neverExecuted) return;
  if (node.nodeType === 'Sort' || node.nodeType === 'Incremental Sort') {
    const kb = diskKb(node);
    if (kb === undefined) return;
    const key = Array.isArray(node.raw['Sort Key']) ? (node.raw['Sort Key'] as string[]).join(', ') : '';
    const method = str(node.raw['Sort Method']) ?? 'external';
    add(
      node,
      'sort-spill',
      `${node.label}${key ? ` (${clip(key, 80)})` : ''} spilled to disk (${method}${kb ? `, ${fmt(kb)} kB` : ''}): raise work_mem for this query (SET LOCAL work_mem = '${suggestMb(kb)}MB') or serve the ORDER BY from an index on ${key ? clip(key, 60) : 'the sort key'} (${GUIDE_WORK_MEM}).`,
    );
    return;
  }
  if (node.nodeType === 'Hash') {
    const batches = Math.max(num(node.raw['Hash Batches']) ?? 1, num(node.raw['Original Hash Batches']) ?? 1);
    if (batches <= 1) return;
    add(
      node,
      'hash-spill',
      `${node.label} split its hash table into ${fmt(batches)} batches written to disk (Peak Memory ${fmt(num(node.raw['Peak Memory Usage']) ?? 0)} kB): raise work_mem (or hash_mem_multiplier) for this query so the build side fits, or join fewer/narrower rows (${GUIDE_WORK_MEM}).`,
    );
    return;
  }
  if (node.nodeType === 'Aggregate') {
    const batches = num(node.raw['HashAgg Batches']) ?? 0;
    const disk = num(node.raw['Disk Usage']) ?? 0;
    if (batches <= 1 && disk <= 0) return;
    add(
      node,
      'hash-spill',
      `${node.label} spilled to disk (${fmt(batches)} batches, ${fmt(disk)} kB): raise work_mem for this query so the groups fit in memory (${GUIDE_WORK_MEM}).`,
    );
  }
}

/** Twice the disk use, rounded up to a power of two in MB: an in-memory sort needs more than the on-disk size. */
function suggestMb(kb: number): number {
  const need = Math.max(4, Math.ceil((kb * 2) / 1024));
  return 2 ** Math.ceil(Math.log2(need));
}

function heapFetches(node: PlanNode, add: Add): void {
  if (node.nodeType !== 'Index Only Scan' || node.loops === undefined || node.actualRows === undefined) return;
  const fetches = num(node.raw['Heap Fetches']) ?? 0; // a total over all loops, unlike Actual Rows
  const rows = node.actualRows * node.loops;
  if (fetches < IOS_MIN_HEAP_FETCHES || fetches / Math.max(rows, 1) < IOS_HEAP_FETCH_SHARE) return;
  add(
    node,
    'index-only-heap-fetches',
    `${node.label} went to the table for ${fmt(fetches)} of its ${fmt(rows)} rows (Heap Fetches): the visibility map is out of date, so the index-only scan is not index-only — VACUUM (ANALYZE) ${node.relation ?? 'the table'} and make autovacuum keep up with it (${GUIDE_VACUUM}).`,
  );
}

function vectorSort(node: PlanNode, add: Add): void {
  if (node.nodeType !== 'Sort' && node.nodeType !== 'Incremental Sort') return;
  const keys = Array.isArray(node.raw['Sort Key']) ? (node.raw['Sort Key'] as unknown[]).filter((k): k is string => typeof k === 'string') : [];
  const key = keys.find((k) => VECTOR_DISTANCE_OPERATORS.some((op) => k.includes(op)));
  if (!key) return;
  const op = VECTOR_DISTANCE_OPERATORS.find((o) => key.includes(o))!;
  const opclass = vectorOperator(op)!.opclass;
  add(
    node,
    'vector-order-without-index',
    `${node.label} orders every row by the distance ${clip(key, 80)}: no vector index serves this ORDER BY — create an HNSW index USING hnsw (column ${opclass}) matching the ${op} operator and keep ORDER BY … LIMIT k (guide, VectorChord HNSW Tuning: 8.47× faster than a linear scan at 10K vectors).`,
  );
}

function nestedLoop(node: PlanNode, add: Add): void {
  if (!node.nodeType.startsWith('Nested Loop') || node.children.length < 2 || node.loops === undefined || node.neverExecuted) return;
  const regular = node.children.filter((c) => c.parentRelationship !== 'InitPlan' && c.parentRelationship !== 'SubPlan');
  const outer = regular[0];
  const inner = regular[1];
  if (!outer || !inner || inner.loops === undefined) return;
  if (inner.loops < NESTED_LOOP_MIN_LOOPS) return;
  const plannedLoops = Math.max(outer.estRows * node.loops, 1);
  const loopFactor = inner.loops / plannedLoops;
  const bits: string[] = [];
  if (loopFactor >= NESTED_LOOP_LOOPS_FACTOR) {
    bits.push(
      `ran ${fmt(inner.loops)} times where the planner expected ${fmt(plannedLoops)} (${outer.label} estimated ${fmt(outer.estRows)} rows, got ${fmt(outer.actualRows ?? 0)})`,
    );
  }
  if (inner.misestimate) {
    bits.push(`returned ${fmt(inner.actualRows ?? 0)} rows per loop where ${fmt(inner.estRows)} were estimated`);
  }
  if (bits.length === 0) return;
  const tables = relationsUnder([outer, inner]).join(', ');
  add(
    node,
    'nested-loop-misestimate',
    `${node.label}: its inner side ${inner.label} ${bits.join(' and ')}. The join method was chosen on wrong statistics: ANALYZE ${tables || 'the joined tables'} (or raise their statistics target); with correct estimates the planner can pick a hash or merge join.`,
  );
}

/** The tables whose estimates were off (or, when none is flagged, every table) under these nodes. */
function relationsUnder(roots: PlanNode[]): string[] {
  const off = new Set<string>();
  const all = new Set<string>();
  for (const r of roots) {
    walk(r, (x) => {
      if (!x.relation) return;
      all.add(x.relation);
      if (x.misestimate) off.add(x.relation);
    });
  }
  return [...(off.size ? off : all)];
}

function cacheHit(tree: PlanNode, totals: PlanTotals, add: Add): void {
  if (totals.cacheHitRatio === undefined) return;
  const blocks = (totals.sharedHit ?? 0) + (totals.sharedRead ?? 0);
  if (blocks < CACHE_HIT_MIN_BLOCKS || totals.cacheHitRatio >= CACHE_HIT_RATIO_MIN) return;
  add(
    tree,
    'low-cache-hit-ratio',
    `The plan read ${fmt(totals.sharedRead ?? 0)} of ${fmt(blocks)} blocks from disk (cache hit ratio ${pct(totals.cacheHitRatio)}, the guide wants > 95 %): a cold cache right after a restart, or a working set larger than shared_buffers (guide: 25 % of RAM) — rerun to compare, then read fewer blocks (an index, fewer columns) or give the server more memory.`,
    'info',
  );
}
