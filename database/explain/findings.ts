/**
 * Findings on a plan, tied to the tuning guide (../shared/reference/pg-tuning-guide.md). Each names the node as
 * PostgreSQL prints it and says what to do. Pure: the optional catalog context comes from run.ts.
 */
import type { RuleCategory } from '../../server/src/analysis/index';
import { groupDigits } from './digits';
import { walk, type ParsedPlan, type PlanNode, type PlanTotals } from './plan';
import { PGVECTOR_OPERATORS, vectorOperator } from './pgvector';

export type PlanFindingSeverity = 'warning' | 'info';

/** A plan rule's finding: plain data, in the shape of the linter's findings where the two meet. */
export interface PlanFinding {
  /** The plan rule's id (the `rule` of `pgperf explain --format json` and of the panel). */
  rule: PlanRuleId;
  severity: PlanFindingSeverity;
  /** Which of the rule's meta.messages the message was made from. */
  messageId: string;
  message: string;
  nodeId: number;
  /** The node as PostgreSQL prints it, e.g. "Seq Scan on events e". */
  node: string;
  /** The plan's figures the finding rests on (rows read and removed, kB spilled, loops, …), unrounded. */
  evidence: Record<string, number>;
}

export type PlanRuleId =
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

interface PlanReport<M extends string> {
  node: PlanNode;
  messageId: M;
  /** The template's values, as the message shows them. */
  data: Record<string, string>;
  evidence: Record<string, number>;
  severity?: PlanFindingSeverity;
}

interface PlanRuleContext<M extends string> {
  /** The node checked (for a plan-wide rule, the root). */
  node: PlanNode;
  parent: PlanNode | undefined;
  catalog: PlanContext;
  /** Totals of the whole plan, when it was parsed from EXPLAIN output (not for a bare node tree). */
  totals: PlanTotals | undefined;
  report(r: PlanReport<M>): void;
}

/**
 * A plan rule, the counterpart of the linter's statement rules (server/src/analysis/rule.ts): an id, a category of
 * the same set, a default severity, messages by id with {{name}} placeholders, and a check that reports. A node
 * rule is checked on every node in pre-order; a plan rule (`kind: 'plan'`) once, after them, on the root.
 */
interface PlanRule<M extends string = string> {
  kind?: 'node' | 'plan';
  meta: { id: PlanRuleId; category: RuleCategory; severity: PlanFindingSeverity; messages: Record<M, string> };
  check(ctx: PlanRuleContext<M>): void;
}

const definePlanRule = <M extends string>(rule: PlanRule<M>): PlanRule<M> => rule;

const fill = (template: string, data: Record<string, string>): string =>
  template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (Object.hasOwn(data, name) ? data[name] : whole));

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

const fmt = (x: number): string => groupDigits(Math.round(x));
const pct = (x: number): string => `${(x * 100).toFixed(1).replace(/\.0$/, '')} %`;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const clip = (s: string, max = 120): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function planFindings(plan: ParsedPlan | PlanNode, ctx: PlanContext = {}): PlanFinding[] {
  const tree = 'tree' in plan ? plan.tree : plan;
  const totals = 'tree' in plan ? plan.totals : undefined;
  const out: PlanFinding[] = [];
  const parents = new Map<number, PlanNode>();
  walk(tree, (node) => node.children.forEach((c) => parents.set(c.id, node)));
  const check = (rule: PlanRule, node: PlanNode) =>
    rule.check({
      node,
      parent: parents.get(node.id),
      catalog: ctx,
      totals,
      report: (r) =>
        out.push({
          rule: rule.meta.id,
          severity: r.severity ?? rule.meta.severity,
          messageId: r.messageId,
          message: fill(rule.meta.messages[r.messageId], r.data),
          nodeId: r.node.id,
          node: r.node.label,
          evidence: r.evidence,
        }),
    });
  const nodeRules = PLAN_RULES.filter((r) => r.kind !== 'plan');
  walk(tree, (node) => {
    for (const rule of nodeRules) check(rule, node);
  });
  for (const rule of PLAN_RULES) if (rule.kind === 'plan') check(rule, tree);
  return out;
}

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

const SEQ_FIX = 'add an index on the column(s) of the filter {{filter}} (tenant column first on tenant tables), or narrow the query';

/** A filtered sequential scan that reads far more rows than it keeps. */
const seqScanFilter = definePlanRule({
  meta: {
    id: 'seq-scan-filter',
    category: 'indexing',
    severity: 'warning',
    messages: {
      analyzed: `{{node}} read {{read}} rows and its filter removed {{removed}} ({{share}}), keeping {{kept}}: ${SEQ_FIX} (${GUIDE_SEQ}).`,
      estimated: `{{node}} reads the whole table (≈ {{rows}} rows) to keep an estimated {{estimated}} ({{share}}): ${SEQ_FIX} (${GUIDE_SEQ}).`,
      // The Seq Scans of an Append's partitions (or UNION ALL branches), judged on their sum (12 partitions of 10K rows = 120K).
      append: `{{what}} read {{read}} rows and their filter removed {{removed}} ({{share}}), keeping {{kept}}: ${SEQ_FIX} (${GUIDE_SEQ}).`,
    },
  },
  check({ node, parent, catalog, report }) {
    if (isAppend(node)) {
      const scans = node.children.map((c) => ({ c, counts: seqScanCounts(c) })).filter((x) => x.counts);
      if (scans.length === 0) return;
      const read = scans.reduce((a, x) => a + x.counts!.read, 0);
      const removed = scans.reduce((a, x) => a + x.counts!.removed, 0);
      if (read < SEQ_SCAN_MIN_ROWS || removed / read < SEQ_SCAN_REMOVED_SHARE) return;
      const first = scans[0].c;
      const what = scans.length === 1 ? first.label : `${scans.length} Seq Scans under ${node.label} (${first.label}, …)`;
      report({
        node: first,
        messageId: 'append',
        data: { what, read: fmt(read), removed: fmt(removed), share: pct(removed / read), kept: fmt(read - removed), filter: clip(str(first.raw.Filter)!) },
        evidence: { read, removed, kept: read - removed, scans: scans.length },
      });
      return;
    }
    // The Seq Scans of an Append's partitions are judged together, once, on the Append (above).
    if (node.nodeType !== 'Seq Scan' || node.neverExecuted || isAppend(parent)) return;
    const filter = str(node.raw.Filter);
    if (!filter) return;
    const counts = seqScanCounts(node);
    if (counts) {
      const { read, removed, kept } = counts;
      if (read < SEQ_SCAN_MIN_ROWS || removed / read < SEQ_SCAN_REMOVED_SHARE) return;
      report({
        node,
        messageId: 'analyzed',
        data: { node: node.label, read: fmt(read), removed: fmt(removed), share: pct(removed / read), kept: fmt(kept), filter: clip(filter) },
        evidence: { read, removed, kept },
      });
      return;
    }
    if (node.loops !== undefined) return;
    // Plain EXPLAIN: compare the estimate with the table's size from the catalog.
    const rows = catalog.relations?.[node.relation ?? '?']?.rows;
    if (rows === undefined || rows < SEQ_SCAN_MIN_ROWS) return;
    const keptShare = node.estRows / rows;
    if (keptShare > 1 - SEQ_SCAN_REMOVED_SHARE) return;
    report({
      node,
      messageId: 'estimated',
      data: { node: node.label, rows: fmt(rows), estimated: fmt(node.estRows), share: pct(keptShare), filter: clip(filter) },
      evidence: { tableRows: rows, estimatedRows: node.estRows },
    });
  },
});

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

/** An Append that scans every partition of a partitioned table. */
const partitionsNotPruned = definePlanRule({
  meta: {
    id: 'partitions-not-pruned',
    category: 'partitioning',
    severity: 'warning',
    messages: {
      keyNotPruning:
        '{{node}} scans {{of}} of {{parent}}: the predicate on the partition key ({{key}}) does not prune: compare the bare column with ' +
        `constants or parameters ({{first}} >= $1 AND {{first}} < $2), not an expression of it or a volatile value (${GUIDE_PARTITIONS}).`,
      noKeyPredicate:
        '{{node}} scans {{of}} of {{parent}}: there is no predicate on the partition key ({{key}}): add a range on it ' +
        `({{first}} >= $1 AND {{first}} < $2) so only the partitions in range are read (${GUIDE_PARTITIONS}).`,
      keyUnknown: `{{node}} scans {{of}} of {{parent}}: add a range predicate on the partition key so only the partitions in range are read (${GUIDE_PARTITIONS}).`,
    },
  },
  check({ node, catalog, report }) {
    if (node.nodeType !== 'Append' && node.nodeType !== 'Merge Append') return;
    const scans = appendScans(node);
    // Partitions of one parent: from the catalog, or from PostgreSQL's aliases ("event_log_1", "e_2" for alias e).
    const byParent = new Map<string, { scans: PlanNode[]; key?: string[]; total?: number }>();
    for (const s of scans) {
      const part = catalog.relations?.[s.relation!]?.partitionOf;
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
      const evidence: Record<string, number> = { partitionsScanned: ran.length, ...(total !== undefined ? { partitions: total } : {}) };
      const data = { node: node.label, of, parent, key: keyText ?? '', first: key?.[0] ?? '' };
      report({ node, messageId: keyText ? (keyUsed ? 'keyNotPruning' : 'noKeyPredicate') : 'keyUnknown', data, evidence });
    }
  },
});

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

/** A sort that spilled to disk. */
const sortSpill = definePlanRule({
  meta: {
    id: 'sort-spill',
    category: 'query',
    severity: 'warning',
    messages: {
      spill:
        "{{node}}{{key}} spilled to disk ({{method}}{{size}}): raise work_mem for this query (SET LOCAL work_mem = '{{mb}}MB') or serve " +
        `the ORDER BY from an index on {{keyOrSortKey}} (${GUIDE_WORK_MEM}).`,
    },
  },
  check({ node, report }) {
    if (node.neverExecuted || (node.nodeType !== 'Sort' && node.nodeType !== 'Incremental Sort')) return;
    const kb = diskKb(node);
    if (kb === undefined) return;
    const key = Array.isArray(node.raw['Sort Key']) ? (node.raw['Sort Key'] as string[]).join(', ') : '';
    const method = str(node.raw['Sort Method']) ?? 'external';
    report({
      node,
      messageId: 'spill',
      data: {
        node: node.label,
        key: key ? ` (${clip(key, 80)})` : '',
        method,
        size: kb ? `, ${fmt(kb)} kB` : '',
        mb: String(suggestMb(kb)),
        keyOrSortKey: key ? clip(key, 60) : 'the sort key',
      },
      evidence: { diskKb: kb },
    });
  },
});

/** A hash join's hash table, or a hash aggregate, that spilled to disk in batches. */
const hashSpill = definePlanRule({
  meta: {
    id: 'hash-spill',
    category: 'query',
    severity: 'warning',
    messages: {
      hash:
        '{{node}} split its hash table into {{batches}} batches written to disk (Peak Memory {{peakKb}} kB): raise work_mem (or ' +
        `hash_mem_multiplier) for this query so the build side fits, or join fewer/narrower rows (${GUIDE_WORK_MEM}).`,
      aggregate: `{{node}} spilled to disk ({{batches}} batches, {{diskKb}} kB): raise work_mem for this query so the groups fit in memory (${GUIDE_WORK_MEM}).`,
    },
  },
  check({ node, report }) {
    if (node.neverExecuted) return;
    if (node.nodeType === 'Hash') {
      const batches = Math.max(num(node.raw['Hash Batches']) ?? 1, num(node.raw['Original Hash Batches']) ?? 1);
      if (batches <= 1) return;
      const peakKb = num(node.raw['Peak Memory Usage']) ?? 0;
      report({ node, messageId: 'hash', data: { node: node.label, batches: fmt(batches), peakKb: fmt(peakKb) }, evidence: { batches, peakKb } });
      return;
    }
    if (node.nodeType === 'Aggregate') {
      const batches = num(node.raw['HashAgg Batches']) ?? 0;
      const diskKb = num(node.raw['Disk Usage']) ?? 0;
      if (batches <= 1 && diskKb <= 0) return;
      report({ node, messageId: 'aggregate', data: { node: node.label, batches: fmt(batches), diskKb: fmt(diskKb) }, evidence: { batches, diskKb } });
    }
  },
});

/** Twice the disk use, rounded up to a power of two in MB: an in-memory sort needs more than the on-disk size. */
function suggestMb(kb: number): number {
  const need = Math.max(4, Math.ceil((kb * 2) / 1024));
  return 2 ** Math.ceil(Math.log2(need));
}

/** An index-only scan that visits the table for many of its rows (a stale visibility map). */
const indexOnlyHeapFetches = definePlanRule({
  meta: {
    id: 'index-only-heap-fetches',
    category: 'indexing',
    severity: 'warning',
    messages: {
      heapFetches:
        '{{node}} went to the table for {{fetches}} of its {{rows}} rows (Heap Fetches): the visibility map is out of date, so the ' +
        `index-only scan is not index-only — VACUUM (ANALYZE) {{table}} and make autovacuum keep up with it (${GUIDE_VACUUM}).`,
    },
  },
  check({ node, report }) {
    if (node.nodeType !== 'Index Only Scan' || node.loops === undefined || node.actualRows === undefined) return;
    const fetches = num(node.raw['Heap Fetches']) ?? 0; // a total over all loops, unlike Actual Rows
    const rows = node.actualRows * node.loops;
    if (fetches < IOS_MIN_HEAP_FETCHES || fetches / Math.max(rows, 1) < IOS_HEAP_FETCH_SHARE) return;
    report({
      node,
      messageId: 'heapFetches',
      data: { node: node.label, fetches: fmt(fetches), rows: fmt(rows), table: node.relation ?? 'the table' },
      evidence: { heapFetches: fetches, rows },
    });
  },
});

/** A sort by a pgvector distance: no vector index serves the ORDER BY. */
const vectorOrderWithoutIndex = definePlanRule({
  meta: {
    id: 'vector-order-without-index',
    category: 'pgvector',
    severity: 'warning',
    messages: {
      sort:
        '{{node}} orders every row by the distance {{key}}: no vector index serves this ORDER BY — create an HNSW index USING hnsw ' +
        '(column {{opclass}}) matching the {{op}} operator and keep ORDER BY … LIMIT k (guide, VectorChord HNSW Tuning: 8.47× faster ' +
        'than a linear scan at 10K vectors).',
    },
  },
  check({ node, report }) {
    if (node.nodeType !== 'Sort' && node.nodeType !== 'Incremental Sort') return;
    const keys = Array.isArray(node.raw['Sort Key']) ? (node.raw['Sort Key'] as unknown[]).filter((k): k is string => typeof k === 'string') : [];
    const key = keys.find((k) => VECTOR_DISTANCE_OPERATORS.some((op) => k.includes(op)));
    if (!key) return;
    const op = VECTOR_DISTANCE_OPERATORS.find((o) => key.includes(o))!;
    const evidence: Record<string, number> = node.actualRows !== undefined && node.loops !== undefined ? { rows: node.actualRows * node.loops } : {};
    report({ node, messageId: 'sort', data: { node: node.label, key: clip(key, 80), opclass: vectorOperator(op)!.opclass, op }, evidence });
  },
});

/** A nested loop whose inner side ran far more often (or returned far more rows) than planned. */
const nestedLoopMisestimate = definePlanRule({
  meta: {
    id: 'nested-loop-misestimate',
    category: 'query',
    severity: 'warning',
    messages: {
      misestimate:
        '{{node}}: its inner side {{inner}} {{what}}. The join method was chosen on wrong statistics: ANALYZE {{tables}} (or raise ' +
        'their statistics target); with correct estimates the planner can pick a hash or merge join.',
    },
  },
  check({ node, report }) {
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
    report({
      node,
      messageId: 'misestimate',
      data: { node: node.label, inner: inner.label, what: bits.join(' and '), tables: tables || 'the joined tables' },
      evidence: { innerLoops: inner.loops, plannedLoops, innerRows: inner.actualRows ?? 0, innerEstimatedRows: inner.estRows },
    });
  },
});

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

/** A plan that read a large share of its blocks from disk. */
const lowCacheHitRatio = definePlanRule({
  kind: 'plan',
  meta: {
    id: 'low-cache-hit-ratio',
    category: 'query',
    severity: 'info',
    messages: {
      ratio:
        'The plan read {{read}} of {{blocks}} blocks from disk (cache hit ratio {{ratio}}, the guide wants > 95 %): a cold cache right ' +
        'after a restart, or a working set larger than shared_buffers (guide: 25 % of RAM) — rerun to compare, then read fewer blocks ' +
        '(an index, fewer columns) or give the server more memory.',
    },
  },
  check({ node, totals, report }) {
    if (totals?.cacheHitRatio === undefined) return;
    const blocks = (totals.sharedHit ?? 0) + (totals.sharedRead ?? 0);
    if (blocks < CACHE_HIT_MIN_BLOCKS || totals.cacheHitRatio >= CACHE_HIT_RATIO_MIN) return;
    const read = totals.sharedRead ?? 0;
    report({
      node,
      messageId: 'ratio',
      data: { read: fmt(read), blocks: fmt(blocks), ratio: pct(totals.cacheHitRatio) },
      evidence: { sharedRead: read, blocks, cacheHitRatio: totals.cacheHitRatio },
    });
  },
});

/**
 * Every plan rule. Node rules run in this order on each node: an Append's partitions-not-pruned comes before the
 * seq-scan-filter of its partitions, a Sort's sort-spill before vector-order-without-index.
 */
const PLAN_RULES: readonly PlanRule[] = [
  partitionsNotPruned,
  seqScanFilter,
  sortSpill,
  hashSpill,
  indexOnlyHeapFetches,
  vectorOrderWithoutIndex,
  nestedLoopMisestimate,
  lowCacheHitRatio,
];
