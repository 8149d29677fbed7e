/** Every snippet, with its placeholders filled by their defaults, is SQL the real parser accepts and pgperf does not flag. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSql } from '../../server/src/analysis/pg';
import { lintAll } from '../helpers';

const snippets = JSON.parse(readFileSync(resolve(__dirname, '../../sql-snippets/postgresql.json'), 'utf8')) as Record<
  string,
  { prefix: string[]; body: string[]; description: string }
>;

/** Expands VS Code snippet syntax: ${1:default} → default, ${1|a,b|} → a, \$ → $. */
function expand(body: string[]): string {
  let text = body.join('\n');
  for (let i = 0; i < 5; i++) text = text.replace(/\$\{\d+:([^{}]*)\}/g, '$1').replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1');
  return text.replace(/\\\$/g, '$');
}

describe('sql-snippets', () => {
  it('has the recommended patterns', () => {
    expect(Object.keys(snippets).length).toBeGreaterThanOrEqual(10);
  });
  it.each(Object.entries(snippets))('%s parses and raises no warning', (_name, s) => {
    const sql = expand(s.body);
    const parsed = parseSql(sql);
    expect(parsed.ok, parsed.ok ? '' : `${parsed.message}\n${sql}`).toBe(true);
    const findings = lintAll(sql).filter((f) => f.severity !== 'info');
    expect(findings.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
  });
});
