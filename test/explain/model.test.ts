/**
 * The plan model and the findings, from plans saved from the real servers (test/fixtures/plans: PostgreSQL 15 via
 * generate.sh, PostgreSQL 18 / PGlite via generate-pglite.mjs). Exact expectations: regenerating means re-reading.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CACHE_HIT_RATIO_MIN, planFindings, type PlanContext } from '../../database/explain/findings';
import { parsePlan, PlanParseError, type ParsedPlan } from '../../database/explain/plan';
import { planToText } from '../../database/explain/text';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/plans/${name}.json`, import.meta.url), 'utf8'));
const plan = (name: string): ParsedPlan => parsePlan(fixture(name));
const rules = (p: ParsedPlan, ctx?: PlanContext) => planFindings(p, ctx).map((f) => [f.rule, f.nodeId, f.node]);

/** The catalog facts run.ts would look up for the event_log fixtures. */
const eventLogCtx: PlanContext = {
  relations: Object.fromEntries(
    Array.from({ length: 12 }, (_, m) => [
      `event_log_2025_${String(m + 1).padStart(2, '0')}`,
      { rows: 10_000, partitionOf: { parent: 'event_log', key: ['ts'], strategy: 'range', partitions: 12 } },
    ]),
  ),
};

describe('plan model', () => {
  it('reads a sequential scan: rows, loops, buffers, times, cache hit ratio', () => {
    const p = plan('seq-scan');
    expect(p.nodes).toHaveLength(1);
    const n = p.tree;
    expect(n).toMatchObject({
      id: 0,
      nodeType: 'Seq Scan',
      label: 'Seq Scan on events e',
      relation: 'events',
      alias: 'e',
      estRows: 140,
      actualRows: 200,
      loops: 1,
      totalMs: 25.069,
      exclusiveMs: 25.069,
      sharedHit: 2470,
      sharedRead: 0,
    });
    expect(n.misestimate).toBeUndefined(); // 200 / 140 is well under 10×
    expect(p.totals).toEqual({
      analyzed: true,
      nodeCount: 1,
      planningMs: 0.608,
      executionMs: 25.158,
      sharedHit: 2470,
      sharedRead: 0,
      cacheHitRatio: 1,
      tempRead: 0,
      tempWritten: 0,
      planningSharedHit: 123,
      planningSharedRead: 0,
      triggers: [],
    });
  });

  it('accepts the JSON text, the array and its element alike', () => {
    const text = readFileSync(new URL('../fixtures/plans/index-scan.json', import.meta.url), 'utf8');
    expect(parsePlan(text).tree.label).toBe('Index Scan using events_pkey on events');
    expect(parsePlan((fixture('index-scan') as unknown[])[0]).tree.label).toBe('Index Scan using events_pkey on events');
  });

  it('rejects what is not a plan with a clear error, and keeps unknown fields', () => {
    expect(() => parsePlan('not json')).toThrow(PlanParseError);
    expect(() => parsePlan([{ Plan: { 'Plan Rows': 1 } }])).toThrow(/Plan\.Node Type/);
    const p = parsePlan([{ Plan: { 'Node Type': 'Result', 'Plan Rows': 1, 'Some Future Field': { x: 1 } } }]);
    expect(p.tree.raw['Some Future Field']).toEqual({ x: 1 });
    expect(p.totals.analyzed).toBe(false);
  });

  it('plain EXPLAIN: estimates only', () => {
    const p = plan('plain-explain');
    expect(p.tree).toMatchObject({ label: 'Seq Scan on events e', estRows: 140 });
    expect(p.tree.actualRows).toBeUndefined();
    expect(p.tree.totalMs).toBeUndefined();
    expect(p.totals).toEqual({ analyzed: false, nodeCount: 1, triggers: [] });
  });

  it('exclusive time: parent minus children', () => {
    const p = plan('hash-batches');
    expect(p.nodes.map((n) => [n.id, n.label, n.parentId])).toEqual([
      [0, 'Hash Join', undefined],
      [1, 'Seq Scan on events b', 0],
      [2, 'Hash', 0],
      [3, 'Seq Scan on events a', 2],
    ]);
    expect(p.nodes[0].exclusiveMs).toBeCloseTo(185.566 - 25.912 - 62.636, 6);
    expect(p.nodes[2].exclusiveMs).toBeCloseTo(62.636 - 25.324, 6);
    expect(p.totals.tempWritten).toBe(2628);
  });

  it('parallel workers: per-loop time × loops ÷ processes (leader + 1 worker)', () => {
    const p = plan('sort-spill-parallel');
    const [gather, sort, scan] = p.nodes;
    expect(sort).toMatchObject({ label: 'Sort', loops: 2, actualRows: 100000, parallel: true, totalMs: 180.349 });
    expect(scan).toMatchObject({ label: 'Parallel Seq Scan on events', loops: 2, parallel: true, totalMs: 12.687 });
    expect(gather.parallel).toBeUndefined();
    expect(gather.exclusiveMs).toBeCloseTo(221.193 - 180.349, 6);
    expect(sort.exclusiveMs).toBeCloseTo(180.349 - 12.687, 6);
  });

  it('CTE and InitPlan: not subtracted from their owner; the CTE body is subtracted from its CTE Scan', () => {
    const p = plan('cte-initplan');
    expect(p.nodes.map((n) => [n.id, n.label, n.parentRelationship ?? null, n.subplanName ?? null])).toEqual([
      [0, 'Aggregate', null, null],
      [1, 'Bitmap Heap Scan on ios', 'InitPlan', 'CTE x'],
      [2, 'Bitmap Index Scan on ios_id_v', 'Outer', null],
      [3, 'Aggregate', 'InitPlan', 'InitPlan 2 (returns $1)'],
      [4, 'Index Only Scan using ios_id_v on ios ios_1', 'Outer', null],
      [5, 'CTE Scan on x', 'Outer', null],
    ]);
    expect(p.nodes[0].exclusiveMs).toBeCloseTo(0.487 - 0.436, 6); // only the CTE Scan (the Outer child)
    expect(p.nodes[5].exclusiveMs).toBeCloseTo(0.436 - 0.129, 6); // minus the CTE x body it pulled from
    expect(p.nodes[3].exclusiveMs).toBeCloseTo(0.054 - 0.031, 6);
    for (const n of p.nodes) expect(n.exclusiveMs).toBeGreaterThanOrEqual(0);
  });

  it('SubPlans run inside their owner: subtracted (PostgreSQL 18 plan)', () => {
    const p = plan('pg18-join');
    expect(p.nodes.map((n) => [n.label, n.loops])).toEqual([
      ['Bitmap Heap Scan on orders o', 1],
      ['Bitmap Index Scan on orders_customer', 1],
      ['Aggregate', 120],
      ['Bitmap Heap Scan on orders o2', 120],
      ['Bitmap Index Scan on orders_customer', 120],
    ]);
    expect(p.nodes[2].totalMs).toBeCloseTo(0.059 * 120, 6);
    expect(p.nodes[0].exclusiveMs).toBeCloseTo(7.325 - 0.01 - 0.059 * 120, 6);
    expect(p.totals).toMatchObject({ planningSharedHit: 52, planningSharedRead: 4, sharedHit: 5084, cacheHitRatio: 1 });
  });

  it('misestimates: ≥ 10× either way, per loop', () => {
    const nl = plan('nested-loop-misestimate');
    expect(nl.nodes.map((n) => n.misestimate && [n.misestimate.direction, Number(n.misestimate.factor.toFixed(2))])).toEqual([
      ['under', 50],
      ['under', 217.39],
      undefined, // inner: 0 rows per loop vs 1 estimated is within 10×
    ]);
    const wide = plan('wide-500');
    expect(wide.nodes[1].misestimate).toEqual({ ratio: 1 / 500, factor: 500, direction: 'over' });
  });

  it('a 500-partition plan: 502 nodes in pre-order', () => {
    const p = plan('wide-500');
    expect(p.nodes).toHaveLength(502);
    expect(p.nodes.every((n, i) => n.id === i)).toBe(true);
    expect(p.nodes[0].label).toBe('Aggregate');
    expect(p.nodes[1]).toMatchObject({ label: 'Append', estRows: 500, actualRows: 1, children: expect.any(Array) });
    expect(p.nodes[1].children).toHaveLength(500);
    expect(p.nodes[2].label).toBe('Seq Scan on wide_0 wide_1');
    expect(p.nodes[501].label).toBe('Seq Scan on wide_499 wide_500');
    expect(p.nodes.slice(2).every((n) => n.depth === 2 && n.parentId === 1 && n.loops === 1)).toBe(true);
    expect(p.nodes.slice(2).reduce((a, n) => a + (n.sharedHit ?? 0), 0)).toBe(500);
    expect(p.totals).toMatchObject({ nodeCount: 502, planningMs: 14.02, executionMs: 6.403, sharedHit: 500 });
    const sum = p.nodes.reduce((a, n) => a + (n.exclusiveMs ?? 0), 0);
    expect(sum).toBeCloseTo(p.tree.totalMs!, 6); // no InitPlans: exclusive times add up to the root's
  });
});

describe('plan findings', () => {
  it('seq scan reading many rows to keep few', () => {
    const [f] = planFindings(plan('seq-scan'));
    expect(f).toMatchObject({ rule: 'seq-scan-filter', nodeId: 0, node: 'Seq Scan on events e', severity: 'warning' });
    expect(f.message).toBe(
      'Seq Scan on events e read 200,000 rows and its filter removed 199,800 (99.9 %), keeping 200: add an index on the column(s) of the filter (kind = \'rare\'::text) (tenant column first on tenant tables), or narrow the query (guide checklist: "Query plans reviewed (no sequential scans on large tables)").',
    );
  });

  it('plain EXPLAIN judges the seq scan on the table size from the catalog', () => {
    expect(rules(plan('plain-explain'))).toEqual([]);
    const [f] = planFindings(plan('plain-explain'), { relations: { events: { rows: 200_000 } } });
    expect(f.rule).toBe('seq-scan-filter');
    expect(f.message).toContain('reads the whole table (≈ 200,000 rows) to keep an estimated 140 (0.1 %)');
  });

  it('an index scan: nothing to say', () => {
    expect(rules(plan('index-scan'))).toEqual([]);
  });

  it('partitions not pruned, with the key from the catalog', () => {
    const p = plan('partitions-all');
    expect(rules(p, eventLogCtx)).toEqual([
      ['partitions-not-pruned', 1, 'Append'],
      ['seq-scan-filter', 2, 'Seq Scan on event_log_2025_01 event_log_1'],
    ]);
    const [pruning, seq] = planFindings(p, eventLogCtx);
    expect(pruning.message).toBe(
      'Append scans all 12 partitions of event_log: there is no predicate on the partition key (ts): add a range on it (ts >= $1 AND ts < $2) so only the partitions in range are read (guide, Partition Pruning: one partition instead of 12 took a query from 500 ms to 40 ms).',
    );
    expect(seq.message).toContain(
      '12 Seq Scans under Append (Seq Scan on event_log_2025_01 event_log_1, …) read 120,000 rows and their filter removed 118,763 (99 %), keeping 1,237',
    );
    // Without the catalog: the partitions are recognised by PostgreSQL's aliases (event_log_1 … event_log_12).
    expect(planFindings(p)[0].message).toMatch(/^Append scans 12 partitions of event_log: add a range predicate on the partition key/);
  });

  it('partitions pruned to one: no pruning finding', () => {
    const p = plan('partitions-pruned');
    expect(p.nodes.map((n) => n.label)).toEqual(['Aggregate', 'Seq Scan on event_log_2025_01 event_log']);
    expect(rules(p, eventLogCtx)).toEqual([['seq-scan-filter', 1, 'Seq Scan on event_log_2025_01 event_log']]);
  });

  it('a filter on the key that does not prune', () => {
    const p = parsePlan(fixture('partitions-all'));
    for (const n of p.nodes.slice(2)) n.raw.Filter = "(date_trunc('month'::text, ts) = '2025-01-01 00:00:00+00'::timestamp with time zone)";
    expect(planFindings(p, eventLogCtx)[0].message).toContain('the predicate on the partition key (ts) does not prune: compare the bare column');
  });

  it('500 partitions scanned', () => {
    const relations = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`wide_${i}`, { rows: 10, partitionOf: { parent: 'wide', key: ['id'], strategy: 'hash', partitions: 500 } }]),
    );
    expect(rules(plan('wide-500'), { relations })).toEqual([['partitions-not-pruned', 1, 'Append']]);
    expect(planFindings(plan('wide-500'), { relations })[0].message).toMatch(
      /^Append scans all 500 partitions of wide: there is no predicate on the partition key \(id\)/,
    );
  });

  it('sort spilling to disk (also in parallel workers)', () => {
    expect(planFindings(plan('sort-spill'))).toEqual([
      {
        rule: 'sort-spill',
        nodeId: 0,
        node: 'Sort',
        severity: 'warning',
        messageId: 'spill',
        evidence: { diskKb: 14744 },
        message:
          "Sort (payload) spilled to disk (external merge, 14,744 kB): raise work_mem for this query (SET LOCAL work_mem = '32MB') or serve the ORDER BY from an index on payload (guide, PostgreSQL Memory Settings: work_mem = 64MB).",
      },
    ]);
    expect(planFindings(plan('sort-spill-parallel'))[0].message).toContain('external merge, 14,808 kB'); // leader 7,536 + worker 7,272
  });

  it('hash join in batches', () => {
    const [f] = planFindings(plan('hash-batches'));
    expect(f).toMatchObject({ rule: 'hash-spill', nodeId: 2, node: 'Hash' });
    expect(f.message).toContain('128 batches');
  });

  it('index-only scan with heap fetches', () => {
    const [f] = planFindings(plan('index-only-heap-fetches'));
    expect(f).toMatchObject({ rule: 'index-only-heap-fetches', node: 'Index Only Scan using ios_id_v on ios' });
    expect(f.message).toContain('went to the table for 19,999 of its 19,999 rows');
    expect(f.message).toContain('VACUUM (ANALYZE) ios');
    // The InitPlan's index-only scan in cte-initplan fetched 100 rows from the heap: below the threshold.
    expect(rules(plan('cte-initplan'))).toEqual([]);
  });

  it('vector ORDER BY without an index (pgvector on PGlite / PostgreSQL 18)', () => {
    const [f] = planFindings(plan('pg18-vector-sort'));
    expect(f).toMatchObject({ rule: 'vector-order-without-index', nodeId: 1, node: 'Sort' });
    expect(f.message).toContain("((embedding <-> '[1,2,3]'::vector)): no vector index serves this ORDER BY");
    expect(f.message).toContain('vector_l2_ops');
  });

  it('nested loop with a misestimated inner side', () => {
    const [f] = planFindings(plan('nested-loop-misestimate'));
    expect(f).toMatchObject({ rule: 'nested-loop-misestimate', nodeId: 0, node: 'Nested Loop' });
    expect(f.message).toBe(
      'Nested Loop: its inner side Index Scan using events_pkey on events e ran 5,000 times where the planner expected 23 (Seq Scan on skewed s estimated 23 rows, got 5,000). The join method was chosen on wrong statistics: ANALYZE skewed (or raise their statistics target); with correct estimates the planner can pick a hash or merge join.',
    );
  });

  it(`cache hit ratio below ${CACHE_HIT_RATIO_MIN * 100} %`, () => {
    const p = plan('hash-batches');
    p.totals.sharedHit = 900;
    p.totals.sharedRead = 300;
    p.totals.cacheHitRatio = 0.75;
    const f = planFindings(p).find((x) => x.rule === 'low-cache-hit-ratio');
    expect(f).toMatchObject({ nodeId: 0, node: 'Hash Join', severity: 'info' });
    expect(f!.message).toContain('read 300 of 1,200 blocks from disk (cache hit ratio 75 %, the guide wants > 95 %)');
    // 145 blocks at 61 %: too few blocks to say anything.
    expect(rules(plan('index-only-heap-fetches')).map((r) => r[0])).toEqual(['index-only-heap-fetches']);
  });
});

describe('text tree', () => {
  it('findings on top, then the indented nodes', () => {
    const p = plan('nested-loop-misestimate');
    const text = planToText({ tree: p.tree, findings: planFindings(p), totals: p.totals, database: 'local' });
    expect(text.split('\n').slice(0, 3)).toEqual([
      'Database: local',
      'Findings (1):',
      expect.stringMatching(/^ {2}warning nested-loop-misestimate \[#0 Nested Loop\] Nested Loop: its inner side/),
    ]);
    expect(text).toContain('Planning 0.775 ms · Execution 6.571 ms · buffers hit 20,026 read 0 (cache hit 100.0 %)\n');
    expect(text).toContain('\n#0 Nested Loop  rows est 1 actual 50 (underestimated ×50)  time 6.509 ms (self 1.149 ms)  buffers hit 20,026 read 0  ⚠\n');
    expect(text).toContain(
      '\n-> #1 Seq Scan on skewed s  rows est 23 actual 5,000 (underestimated ×217.4)  time 0.360 ms (self 0.360 ms)  buffers hit 23 read 0\n',
    );
    expect(text).toContain(
      '\n-> #2 Index Scan using events_pkey on events e  rows est 1 actual 0  loops 5,000  time 5.000 ms (self 5.000 ms)  buffers hit 20,003 read 0\n',
    );
  });

  it('500 nodes: one line each, indented by depth', () => {
    const p = plan('wide-500');
    const lines = planToText({ tree: p.tree, findings: [], totals: p.totals }).trimEnd().split('\n');
    const tree = lines.slice(lines.indexOf('') + 1);
    expect(tree).toHaveLength(502);
    expect(tree[501]).toMatch(/^ {3}-> #501 Seq Scan on wide_499 wide_500 {2}rows est 1 actual 0/);
  });
});
