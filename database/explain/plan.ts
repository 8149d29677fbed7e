/**
 * The plan model: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` or plain `EXPLAIN (FORMAT JSON)` output, validated with
 * zod (PostgreSQL 13–18 field names; unknown fields kept) and turned into a typed tree with per-node inclusive and
 * exclusive time, row misestimates, loops and buffers. Pure: no database, no `vscode`.
 */
import { z } from 'zod';

/** A row estimate is "misestimated" when actual and estimated rows differ by this factor or more, either way. */
const MISESTIMATE_FACTOR = 10;

const num = z.number();

/** One plan node as PostgreSQL prints it. Only the fields the model reads are declared; the rest pass through. */
export interface RawPlanNode {
  'Node Type': string;
  Plans?: RawPlanNode[];
  [key: string]: unknown;
}

const rawNode: z.ZodType<RawPlanNode> = z.lazy(() =>
  z.looseObject({
    'Node Type': z.string(),
    'Parent Relationship': z.string().optional(),
    'Subplan Name': z.string().optional(),
    'Relation Name': z.string().optional(),
    Schema: z.string().optional(),
    Alias: z.string().optional(),
    'Index Name': z.string().optional(),
    'CTE Name': z.string().optional(),
    'Function Name': z.string().optional(),
    'Plan Rows': num.optional(),
    'Actual Rows': num.optional(),
    'Actual Loops': num.optional(),
    'Actual Total Time': num.optional(),
    'Actual Startup Time': num.optional(),
    'Shared Hit Blocks': num.optional(),
    'Shared Read Blocks': num.optional(),
    'Temp Read Blocks': num.optional(),
    'Temp Written Blocks': num.optional(),
    'Workers Planned': num.optional(),
    'Workers Launched': num.optional(),
    Plans: z.array(rawNode).optional(),
  }),
) as z.ZodType<RawPlanNode>;

const rawExplain = z.looseObject({
  Plan: rawNode,
  'Planning Time': num.optional(),
  'Execution Time': num.optional(),
  Planning: z.looseObject({ 'Shared Hit Blocks': num.optional(), 'Shared Read Blocks': num.optional() }).optional(),
  Triggers: z.array(z.looseObject({ 'Trigger Name': z.string().optional(), Time: num.optional(), Calls: num.optional() })).optional(),
});

export interface Misestimate {
  /** actual rows ÷ estimated rows, per loop (both at least 1). */
  ratio: number;
  /** max(ratio, 1 / ratio): ≥ MISESTIMATE_FACTOR. */
  factor: number;
  /** `under`: more rows than estimated; `over`: fewer. */
  direction: 'under' | 'over';
}

export interface PlanNode {
  /** Pre-order index, 0 for the root (`nodes[id]` in ParsedPlan). */
  id: number;
  nodeType: string;
  /** What PostgreSQL's text format prints: "Seq Scan on events e", "Index Scan using events_pkey on events". */
  label: string;
  relation?: string;
  schema?: string;
  alias?: string;
  index?: string;
  /** "Outer", "Inner", "InitPlan", "SubPlan", "Member"… */
  parentRelationship?: string;
  /** "CTE x", "InitPlan 1 (returns $0)", "SubPlan 2". */
  subplanName?: string;
  depth: number;
  parentId?: number;
  children: PlanNode[];
  /** Estimated rows per loop ("Plan Rows"). */
  estRows: number;
  /** Actual rows per loop (an average; fractional on PostgreSQL 18). */
  actualRows?: number;
  loops?: number;
  /** True when ANALYZE ran and this node never ran (loops = 0). */
  neverExecuted?: boolean;
  /** Inside a Gather / Gather Merge: its times are averaged over the participating processes. */
  parallel?: boolean;
  /** Inclusive time: actual total time per loop × loops (÷ processes inside a parallel part), ms. */
  totalMs?: number;
  /** totalMs minus the children's totalMs (InitPlans excluded, CTE bodies subtracted from their scan), never < 0. */
  exclusiveMs?: number;
  sharedHit?: number;
  sharedRead?: number;
  tempRead?: number;
  tempWritten?: number;
  misestimate?: Misestimate;
  raw: RawPlanNode;
}

export interface PlanTotals {
  analyzed: boolean;
  nodeCount: number;
  planningMs?: number;
  executionMs?: number;
  /** Execution buffers of the whole plan (the root's, which include its children's). */
  sharedHit?: number;
  sharedRead?: number;
  /** hit ÷ (hit + read), 0–1; undefined when no block was touched or BUFFERS was off. */
  cacheHitRatio?: number;
  tempRead?: number;
  tempWritten?: number;
  planningSharedHit?: number;
  planningSharedRead?: number;
  triggers: { name: string; ms?: number; calls?: number }[];
}

export interface ParsedPlan {
  tree: PlanNode;
  /** Every node in pre-order: nodes[i].id === i. */
  nodes: PlanNode[];
  totals: PlanTotals;
  /** The validated top-level object (Plan, Planning Time, …). */
  raw: Record<string, unknown>;
}

export class PlanParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanParseError';
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Parses the server's EXPLAIN (FORMAT JSON) output (the array, its first element, or the JSON text). */
export function parsePlan(output: unknown): ParsedPlan {
  let value = output;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      throw new PlanParseError(`EXPLAIN output is not JSON: ${(e as Error).message}`);
    }
  }
  const parsed = (Array.isArray(value) ? z.array(rawExplain).min(1) : rawExplain).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PlanParseError(`not an EXPLAIN (FORMAT JSON) plan: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const top = (Array.isArray(parsed.data) ? parsed.data[0] : parsed.data) as z.infer<typeof rawExplain>;
  const nodes: PlanNode[] = [];
  const tree = build(top.Plan, 0, undefined, 1, nodes);
  computeTimes(tree);
  const analyzed = nodes.some((x) => x.loops !== undefined);
  const hit = tree.sharedHit;
  const read = tree.sharedRead;
  const touched = (hit ?? 0) + (read ?? 0);
  const totals: PlanTotals = {
    analyzed,
    nodeCount: nodes.length,
    planningMs: top['Planning Time'],
    executionMs: top['Execution Time'],
    sharedHit: hit,
    sharedRead: read,
    cacheHitRatio: hit !== undefined && touched > 0 ? hit / touched : undefined,
    tempRead: tree.tempRead,
    tempWritten: tree.tempWritten,
    planningSharedHit: top.Planning?.['Shared Hit Blocks'],
    planningSharedRead: top.Planning?.['Shared Read Blocks'],
    triggers: (top.Triggers ?? []).map((t) => ({ name: t['Trigger Name'] ?? '?', ms: t.Time, calls: t.Calls })),
  };
  return { tree, nodes, totals, raw: top as Record<string, unknown> };
}

function build(raw: RawPlanNode, depth: number, parentId: number | undefined, processes: number, out: PlanNode[]): PlanNode {
  const loops = n(raw['Actual Loops']);
  const actualRows = n(raw['Actual Rows']);
  const estRows = n(raw['Plan Rows']) ?? 0;
  const node: PlanNode = {
    id: out.length,
    nodeType: raw['Node Type'],
    label: labelOf(raw),
    relation: str(raw['Relation Name']),
    schema: str(raw.Schema),
    alias: str(raw.Alias),
    index: str(raw['Index Name']),
    parentRelationship: str(raw['Parent Relationship']),
    subplanName: str(raw['Subplan Name']),
    depth,
    parentId,
    children: [],
    estRows,
    actualRows,
    loops,
    sharedHit: n(raw['Shared Hit Blocks']),
    sharedRead: n(raw['Shared Read Blocks']),
    tempRead: n(raw['Temp Read Blocks']),
    tempWritten: n(raw['Temp Written Blocks']),
    raw,
  };
  for (const k of Object.keys(node) as (keyof PlanNode)[]) if (node[k] === undefined) delete node[k];
  if (processes > 1) node.parallel = true;
  if (loops !== undefined) {
    if (loops === 0) node.neverExecuted = true;
    const total = n(raw['Actual Total Time']);
    // Inside a parallel part, "Actual Total Time" is the average per loop over all processes and `loops` counts
    // every process's loops: per-loop × loops is CPU time summed over the processes; ÷ processes is wall time.
    if (total !== undefined) node.totalMs = (total * loops) / processes;
    if (actualRows !== undefined && loops > 0) {
      const ratio = Math.max(actualRows, 1) / Math.max(estRows, 1);
      const factor = ratio >= 1 ? ratio : 1 / ratio;
      if (factor >= MISESTIMATE_FACTOR) node.misestimate = { ratio, factor, direction: ratio > 1 ? 'under' : 'over' };
    }
  }
  out.push(node);
  // A Gather's children run in its workers and (by default) in the leader too.
  let childProcesses = processes;
  if (node.nodeType === 'Gather' || node.nodeType === 'Gather Merge') {
    const workers = n(raw['Workers Launched']) ?? n(raw['Workers Planned']) ?? 0;
    childProcesses = workers + 1;
  }
  for (const child of raw.Plans ?? []) node.children.push(build(child, depth + 1, node.id, childProcesses, out));
  return node;
}

function computeTimes(root: PlanNode): void {
  // A CTE body hangs under the node owning the InitPlan, but runs when its CTE Scan pulls rows: its time is
  // inside the CTE Scan's. Subtract it there when exactly one CTE Scan reads it (with several, the split is unknown).
  const cteBodies = new Map<string, PlanNode>();
  const cteScans = new Map<string, PlanNode[]>();
  walk(root, (x) => {
    const m = /^CTE (.+)$/.exec(x.subplanName ?? '');
    if (m) cteBodies.set(m[1], x);
    const cte = str(x.raw['CTE Name']);
    if (x.nodeType === 'CTE Scan' && cte !== undefined) cteScans.set(cte, [...(cteScans.get(cte) ?? []), x]);
  });
  walk(root, (x) => {
    if (x.totalMs === undefined) return;
    let childMs = 0;
    for (const c of x.children) {
      // InitPlans run once, lazily, inside whichever node first needs their value (often a descendant, which
      // already counts it): subtracting them again from the owner would count them twice.
      if (c.parentRelationship === 'InitPlan') continue;
      childMs += c.totalMs ?? 0;
    }
    if (x.nodeType === 'CTE Scan') {
      const name = str(x.raw['CTE Name']);
      const body = name !== undefined ? cteBodies.get(name) : undefined;
      if (body && cteScans.get(name!)?.length === 1) childMs += body.totalMs ?? 0;
    }
    x.exclusiveMs = Math.max(0, x.totalMs - childMs);
  });
}

export function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const c of node.children) walk(c, visit);
}

const JOIN_NODES = new Set(['Nested Loop', 'Hash Join', 'Merge Join']);

/** The node's one-line name, as in PostgreSQL's text format. */
export function labelOf(raw: RawPlanNode): string {
  let name = raw['Node Type'];
  const strategy = str(raw.Strategy);
  const partial = str(raw['Partial Mode']);
  if (name === 'Aggregate') {
    if (strategy === 'Hashed') name = 'HashAggregate';
    else if (strategy === 'Sorted') name = 'GroupAggregate';
    else if (strategy === 'Mixed') name = 'MixedAggregate';
  } else if (name === 'SetOp' && strategy === 'Hashed') name = 'HashSetOp';
  if (partial && partial !== 'Simple') name = `${partial} ${name}`;
  if (name === 'ModifyTable' && str(raw.Operation)) name = str(raw.Operation)!;
  if (raw['Parallel Aware'] === true) name = `Parallel ${name}`;
  if (raw['Async Capable'] === true && raw['Node Type'] === 'Foreign Scan') name = `Async ${name}`;
  const join = str(raw['Join Type']);
  if (JOIN_NODES.has(raw['Node Type']) && join && join !== 'Inner') {
    name = raw['Node Type'] === 'Nested Loop' ? `Nested Loop ${join} Join` : name.replace(/ Join$/, ` ${join} Join`);
  }
  const cmd = str(raw.Command);
  if (raw['Node Type'] === 'SetOp' && cmd) name = `${name} ${cmd}`;
  const index = str(raw['Index Name']);
  if (index) name += raw['Node Type'] === 'Bitmap Index Scan' ? ` on ${index}` : ` using ${index}`;
  const target = str(raw['Relation Name']) ?? str(raw['CTE Name']) ?? str(raw['Function Name']) ?? str(raw['Tuplestore Name']);
  if (target) {
    const schema = str(raw.Schema);
    const alias = str(raw.Alias);
    name += ` on ${schema ? `${schema}.` : ''}${target}`;
    if (alias && alias !== target) name += ` ${alias}`;
  } else if (str(raw.Alias) && ['Subquery Scan', 'Values Scan', 'Result', 'WorkTable Scan'].includes(raw['Node Type'])) {
    name += ` on ${str(raw.Alias)}`;
  }
  return name;
}
