/**
 * The semantic model of a statement: its query scopes (scopes.ts), column references resolved to FROM items and
 * catalog columns, and each scope's normalised predicates (predicates.ts). Built on first use and cached per
 * Statement (and catalog): rules ask for it only after their cheap text/tree prefilters.
 */
import { columnRefNames, type Node } from '../ast';
import type { Catalog } from '../catalog';
import type { Statement } from '../parse';
import { scopePredicates, type Predicate } from './predicates';
import { buildScopes, outputColumns, resolveColumn, type BuildContext, type OutputColumn, type ResolvedColumn, type Scope } from './scopes';
import { Attached } from '../attached';

export type { Predicate, ValueReads } from './predicates';
export { conjuncts, readsOf } from './predicates';
export type { FromItem, OutputColumn, ResolvedColumn, Scope } from './scopes';

export class SemanticModel {
  /** Every scope, parents before their children. */
  readonly scopes: Scope[] = [];
  private readonly ctx: BuildContext;
  private readonly refs = new Map<Node, ResolvedColumn | null>();
  private readonly preds = new Map<Scope, Predicate[]>();

  constructor(
    readonly statement: Statement,
    readonly catalog: Catalog,
  ) {
    this.ctx = { catalog, statement, scopes: this.scopes, refScope: new Map() };
    if (statement.hasAst) buildScopes(this.ctx);
  }

  /** The scope a ColumnRef (its fields object, as in the tree) belongs to; undefined outside any query. */
  scopeOf(ref: Node): Scope | undefined {
    return this.ctx.refScope.get(ref);
  }

  /** What a ColumnRef (its fields object) denotes; undefined when unresolved (ambiguous, unknown, outside a query). */
  resolve(ref: Node): ResolvedColumn | undefined {
    const cached = this.refs.get(ref);
    if (cached !== undefined) return cached ?? undefined;
    const s = this.scopeOf(ref);
    const r = s ? resolveColumn(s, columnRefNames(ref)) : undefined;
    this.refs.set(ref, r ?? null);
    return r;
  }

  /** The scope's WHERE / JOIN predicates, normalised. */
  predicates(s: Scope): Predicate[] {
    let p = this.preds.get(s);
    if (!p) {
      p = scopePredicates(s, this);
      this.preds.set(s, p);
    }
    return p;
  }

  /** A query scope's output columns, when all can be named. */
  output(s: Scope): OutputColumn[] | undefined {
    return outputColumns(this.ctx, s);
  }

  /** The statement-level scopes (the statement's own query; each policy). */
  get roots(): Scope[] {
    return this.scopes.filter((s) => !s.parent);
  }
}

const models = new Attached<Statement, SemanticModel>('semanticModel');

/** The statement's model, built once per statement and catalog. */
export function semanticModel(statement: Statement, catalog: Catalog): SemanticModel {
  let m = models.get(statement);
  if (!m || m.catalog !== catalog) {
    m = new SemanticModel(statement, catalog);
    models.set(statement, m);
  }
  return m;
}
