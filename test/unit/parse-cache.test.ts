import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/analysis/pg';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';

beforeAll(() => initParser());

const file = (n: number, edited = -1, value = 2) =>
  Array.from({ length: n }, (_, i) => `SELECT id FROM t WHERE id = ${i === edited ? value : 1} LIMIT ${i + 1};`).join('\n');

describe('ParseCache', () => {
  it('re-parses only the edited statement of a file with more statements than the cache holds', () => {
    // An LRU cache smaller than the file, read in file order, would miss on every statement (each lookup evicting the
    // next one needed): the language server's 5,000-entry cache re-parsed all of a 5,001-statement file per keystroke.
    // Most of the file fits, so it is looked up statement by statement rather than parsed whole.
    const cache = new ParseCache(25);
    new ParsedFile('a.sql', file(30), cache);
    new ParsedFile('a.sql', file(30, 15), cache);
    const before = cache.parses;
    const edited = new ParsedFile('a.sql', file(30, 15, 3), cache);
    expect(cache.parses - before).toBe(1);
    expect(edited.statements).toHaveLength(30);
    expect(edited.statements[15].text).toContain('id = 3');
  });

  it('stays bounded: entries no parse of the last file used go first once it is over capacity', () => {
    const cache = new ParseCache(10);
    new ParsedFile('a.sql', file(30), cache);
    for (let i = 0; i < 40; i++) new ParsedFile('b.sql', `SELECT ${i};`, cache);
    expect(cache.size).toBeLessThanOrEqual(30);
    // b.sql's small parses evict a.sql's old statements one by one, down to the capacity.
    for (let i = 0; i < 40; i++) new ParsedFile('b.sql', `SELECT ${100 + i};`, cache);
    expect(cache.size).toBeLessThanOrEqual(10);
  });

  it('gives the same statements from the cache as without one', () => {
    const cache = new ParseCache(4);
    const text = file(12, 3);
    new ParsedFile('a.sql', text, cache);
    const cached = new ParsedFile('a.sql', text, cache).statements.map((s) => [s.start, s.end, s.kind]);
    expect(cached).toEqual(new ParsedFile('a.sql', text).statements.map((s) => [s.start, s.end, s.kind]));
  });
});

describe('Statement.treeMayInclude', () => {
  const sql = [
    "SELECT id FROM t WHERE name LIKE 'a%' ORDER BY id LIMIT 5;",
    'SELECT * FROM t WHERE id = $1;',
    "SELECT set_config('app.tenant', '1', true);",
    'UPDATE t SET x = 1 WHERE id IN (SELECT id FROM u);',
    'CREATE TABLE q ("say ""hi""" text, "ParamRef" int);',
  ].join('\n');
  const fragments = [
    '"ParamRef"',
    '"A_Star"',
    '"AEXPR_LIKE"',
    '"whereClause"',
    '"limitCount"',
    '"SubLink"',
    '"set_config"',
    '"sortClause"',
    '"say "',
    '"hi"',
    '"nope"',
  ];

  it('answers the same for a built tree (the cache’s) as for the parser’s JSON text', () => {
    // Without a cache the trees stay JSON until read; with one they come built.
    const deferred = new ParsedFile('a.sql', sql).statements;
    const built = new ParsedFile('a.sql', sql, new ParseCache()).statements;
    for (let i = 0; i < deferred.length; i++) {
      for (const f of fragments) expect([i, f, built[i].treeMayInclude(f)]).toEqual([i, f, deferred[i].treeMayInclude(f)]);
    }
    expect(built[1].treeMayInclude('"ParamRef"')).toBe(true);
    expect(built[0].treeMayInclude('"ParamRef"')).toBe(false);
    // A column named like a node type is a string value of the tree: "may include" stays true.
    expect(built[4].treeMayInclude('"ParamRef"')).toBe(true);
  });
});
