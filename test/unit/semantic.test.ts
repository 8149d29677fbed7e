import { describe, expect, it } from 'vitest';
import { as, walk, type Node } from '../../server/src/analysis/ast';
import { buildCatalog } from '../../server/src/analysis/catalog';
import { ParsedFile } from '../../server/src/analysis/parse';
import { semanticModel, type Predicate, type SemanticModel } from '../../server/src/analysis/semantic';

const SCHEMA = `
CREATE TABLE sessions (id bigint PRIMARY KEY, status uuid, name text);
CREATE TABLE tasks (id bigint, inserted_at timestamptz, session_id bigint, title text);
CREATE TABLE logs (task_id bigint, inserted_at timestamptz, line text);
`;

/** The model of the last statement of `sql`, over the schema above. */
function model(sql: string): SemanticModel {
  const schema = new ParsedFile('schema.sql', SCHEMA);
  const main = new ParsedFile('main.sql', sql);
  const catalog = buildCatalog([schema, main]);
  return semanticModel(main.statements[main.statements.length - 1], catalog);
}

/** Every ColumnRef of the statement written as `text`, resolved: `item.column:type` or 'unresolved'. */
function resolutions(m: SemanticModel): Record<string, string> {
  const out: Record<string, string> = {};
  walk(m.statement.ast, (type, n) => {
    if (type !== 'ColumnRef' || ((n.fields ?? []) as Node[]).some((f) => as(f, 'A_Star'))) return;
    const key = ((n.fields ?? []) as Node[]).map((f) => as(f, 'String')?.sval ?? '*').join('.') + '@' + n.location;
    const r = m.resolve(n);
    out[key] = r ? `${r.item.kind}:${r.item.name}.${r.name}:${r.column?.type ?? '?'}${r.outer ? ' (outer)' : ''}` : 'unresolved';
  });
  return out;
}

function describePred(p: Predicate): string {
  const col = (c: { item: { name: string }; name: string }) => `${c.item.name}.${c.name}`;
  switch (p.kind) {
    case 'join':
      return `join ${col(p.left)} = ${col(p.right)}`;
    case 'compare':
    case 'any':
      return `${p.kind} ${col(p.column)} ${p.op}${p.reads.items.size > 0 ? ' (reads ' + [...p.reads.items].map((i) => i.name).join(',') + ')' : ''}`;
    case 'or':
      return `or(${p.arms.map((a) => a.map(describePred).join(' & ')).join(' | ')})`;
    default:
      return `${p.kind} ${col(p.column)}`;
  }
}

describe('semantic model: scopes', () => {
  it('one scope per query level, with FROM items resolved through the catalog', () => {
    const m = model('SELECT s.name FROM sessions s JOIN tasks t ON t.session_id = s.id WHERE EXISTS (SELECT 1 FROM logs l WHERE l.task_id = t.id);');
    expect(m.scopes.map((s) => `${s.role}:${s.items.map((i) => `${i.kind}:${i.name}`).join(',')}`)).toEqual(['statement:table:s,table:t', 'sublink:table:l']);
    expect(m.scopes[0].items[0].table?.name).toBe('sessions');
    expect(m.scopes[1].parent).toBe(m.scopes[0]);
  });

  it('a CTE shadows a workspace table of the same name, with the output types of its body', () => {
    const m = model('WITH sessions AS (SELECT name AS status FROM sessions) SELECT * FROM sessions WHERE status = $1;');
    const outer = m.roots[0];
    expect(outer.items[0].kind).toBe('cte');
    expect(outer.items[0].columns).toEqual([{ name: 'status', column: { name: 'status', type: 'text', typmod: undefined } }]);
    // Inside the CTE body, `sessions` is still the table (a non-recursive CTE does not see itself).
    const body = outer.ctes.get('sessions')!.body!;
    expect(body.items[0].kind).toBe('table');
    expect(Object.values(resolutions(m))).toEqual(['cte:sessions.status:text', 'table:sessions.name:text']);
  });

  it('CTE column lists rename the body outputs; later CTEs see earlier ones; casts and literals give types', () => {
    const m = model("WITH a(x, y) AS (SELECT id, 'k' FROM tasks), b AS (SELECT x::text AS z, y FROM a) SELECT z, y FROM b;");
    expect(m.roots[0].ctes.get('a')!.columns!.map((c) => `${c.name}:${c.column?.type}`)).toEqual(['x:int8', 'y:text']);
    expect(m.roots[0].ctes.get('b')!.columns!.map((c) => `${c.name}:${c.column?.type}`)).toEqual(['z:text', 'y:text']);
  });

  it('recursive and data-modifying CTEs', () => {
    const rec = model('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r;');
    const cte = rec.roots[0].ctes.get('r')!;
    expect(cte.recursive).toBe(true);
    expect(cte.uses).toHaveLength(2);
    const mod = model('WITH moved AS (DELETE FROM tasks WHERE id = $1 RETURNING id, title) INSERT INTO logs (task_id, line) SELECT id, title FROM moved;');
    const moved = mod.roots[0].ctes.get('moved')!;
    expect(moved.modifying).toBe(true);
    expect(moved.columns!.map((c) => `${c.name}:${c.column?.type}`)).toEqual(['id:int8', 'title:text']);
    expect(Object.values(resolutions(mod))).toContain('cte:moved.title:text');
  });

  it('a correlated reference resolves in the enclosing scope', () => {
    const m = model('SELECT id FROM tasks t WHERE EXISTS (SELECT 1 FROM logs WHERE task_id = t.id AND line = title);');
    const r = resolutions(m);
    expect(r['t.id@72']).toBe('table:t.id:int8 (outer)');
    expect(r['title@88']).toBe('table:t.title:text (outer)');
    expect(r['task_id@62']).toBe('table:logs.task_id:int8');
  });

  it('a FROM subquery sees its siblings only when LATERAL', () => {
    const lateral = model('SELECT * FROM tasks t, LATERAL (SELECT line FROM logs l WHERE l.task_id = t.id LIMIT 1) x;');
    expect(Object.values(resolutions(lateral))).toContain('table:t.id:int8 (outer)');
    const plain = model('SELECT * FROM tasks t, (SELECT line FROM logs l WHERE l.task_id = t.id) x;');
    expect(Object.values(resolutions(plain))).toContain('unresolved');
    expect(plain.roots[0].items[1]).toMatchObject({ kind: 'subquery', name: 'x', columns: [{ name: 'line' }] });
  });

  it('function scans and VALUES are FROM items with the columns they declare', () => {
    const m = model('SELECT * FROM unnest($1::bigint[]) AS u(id), (VALUES (1, 2)) v(a, b), generate_series(1, 3) g;');
    expect(m.roots[0].items.map((i) => `${i.kind}:${i.name}:${i.columns?.map((c) => c.name).join('|') ?? '?'}`)).toEqual([
      'function:u:id',
      'values:v:a|b',
      'function:g:?',
    ]);
  });

  it('ambiguous and unknown names stay unresolved', () => {
    const amb = model('SELECT inserted_at FROM tasks JOIN logs ON logs.task_id = tasks.id;');
    expect(resolutions(amb)['inserted_at@7']).toBe('unresolved');
    // An undeclared table could hold `title`: never guess the declared one.
    const unknown = model('SELECT title FROM tasks, elsewhere;');
    expect(resolutions(unknown)['title@7']).toBe('unresolved');
    // A single undeclared table is the only place the column can come from (no type known).
    expect(Object.values(resolutions(model('SELECT title FROM elsewhere;')))).toEqual(['table:elsewhere.title:?']);
    // A qualifier of a column the declared table does not have.
    expect(Object.values(resolutions(model('SELECT t.nope FROM tasks t;')))).toEqual(['unresolved']);
  });

  it('USING merges the join column; the unqualified name is the left one', () => {
    const m = model('SELECT inserted_at FROM tasks JOIN logs USING (inserted_at);');
    expect(Object.values(resolutions(m))).toEqual(['table:tasks.inserted_at:timestamptz']);
    expect(m.predicates(m.roots[0]).map(describePred)).toEqual(['join tasks.inserted_at = logs.inserted_at']);
  });

  it('expressions outside any query (CHECK, DEFAULT, index predicates) get no scope', () => {
    const m = model('CREATE TABLE x (a int CHECK (a = 1 OR a = 2), b int DEFAULT 1);');
    expect(m.scopes).toEqual([]);
    const idx = model('CREATE INDEX ON tasks (id) WHERE title = $1 OR title IS NULL;');
    expect(idx.scopes).toEqual([]);
  });

  it('a policy is a scope over its table, with its USING expression as a qual', () => {
    const m = model('CREATE POLICY p ON tasks USING (session_id IN (SELECT id FROM sessions WHERE name = current_user));');
    expect(m.scopes.map((s) => `${s.kind}:${s.items.map((i) => i.name)}`)).toEqual(['policy:tasks', 'select:sessions']);
    expect(m.predicates(m.scopes[0]).map(describePred)).toEqual(['in-subquery tasks.session_id']);
  });
});

describe('semantic model: predicates', () => {
  it('AND-flattened WHERE and ON conjuncts, classified per resolved column', () => {
    const m = model(
      'SELECT 1 FROM tasks t JOIN logs l ON l.task_id = t.id WHERE t.inserted_at >= $1 AND t.inserted_at < now() AND t.id IN (1, 2) AND l.line IS NULL AND t.title = ANY($2) AND t.id BETWEEN 1 AND 5;',
    );
    expect(m.predicates(m.roots[0]).map(describePred)).toEqual([
      'join l.task_id = t.id',
      'compare t.inserted_at >=',
      'compare t.inserted_at <',
      'in-list t.id',
      'is-null l.line',
      'any t.title =',
      'between t.id',
    ]);
  });

  it('row comparisons are expanded per column', () => {
    const m = model(
      'SELECT 1 FROM logs x JOIN tasks t ON (t.id, t.inserted_at) = (x.task_id, x.inserted_at) WHERE (t.session_id, t.title) IN (SELECT id, name FROM sessions) AND (t.id, t.title) IN ((1, $1), (2, $2));',
    );
    expect(m.predicates(m.roots[0]).map(describePred)).toEqual([
      'join t.id = x.task_id',
      'join t.inserted_at = x.inserted_at',
      'in-subquery t.session_id',
      'in-subquery t.title',
      'in-list t.id',
      'in-list t.title',
    ]);
  });

  it('an equality with a correlated column is a constant for the inner scan; with a local expression it reads that item', () => {
    const m = model('SELECT 1 FROM tasks t WHERE EXISTS (SELECT 1 FROM logs l WHERE l.inserted_at = t.inserted_at) AND t.id = t.session_id + 1;');
    expect(m.predicates(m.scopes[1]).map(describePred)).toEqual(['compare l.inserted_at =']);
    expect(m.predicates(m.roots[0]).map(describePred)).toEqual(['compare t.id = (reads t)']);
  });

  it('OR keeps its arms', () => {
    const m = model('SELECT 1 FROM tasks WHERE inserted_at > $1 OR (inserted_at IS NULL AND id = 3);');
    expect(m.predicates(m.roots[0]).map(describePred)).toEqual(['or(compare tasks.inserted_at > | is-null tasks.inserted_at & compare tasks.id =)']);
  });

  it('the model is built once per statement', () => {
    const schema = new ParsedFile('schema.sql', SCHEMA);
    const main = new ParsedFile('main.sql', 'SELECT id FROM tasks;');
    const catalog = buildCatalog([schema, main]);
    expect(semanticModel(main.statements[0], catalog)).toBe(semanticModel(main.statements[0], catalog));
  });
});
