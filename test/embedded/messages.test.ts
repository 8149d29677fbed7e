import { beforeAll, describe, expect, it } from 'vitest';
import { lintSources } from '../../server/src/analysis/engine';
import { initEmbedded } from '../../server/src/analysis/host';

beforeAll(() => initEmbedded());

describe('messages about SQL strings in host code', () => {
  it('write an interpolation as the host code it stands for, not as its placeholder', () => {
    const ts = [
      "import { Pool } from 'pg';",
      'const pool = new Pool();',
      'export function page(size: number, page: number) {',
      '  return pool.query(`SELECT id FROM posts ORDER BY id LIMIT ${size} OFFSET ${size * (page - 1)}`);',
      '}',
      '',
    ].join('\n');
    const [f] = lintSources([{ path: 'src/posts.ts', text: ts }]).files[0].findings.filter((x) => x.ruleId === 'offset-pagination');
    expect(f.message).toContain('OFFSET ${size * (page - 1)}');
    expect(f.message).not.toMatch(/\$0{3,}1/);
  });

  it("leave a tagged template's $n alone: it is the library's own parameter", () => {
    const ts = "import sql from './db';\nexport const q = (n: number) => sql`SELECT id FROM posts ORDER BY id LIMIT 20 OFFSET ${n}`;\n";
    const [f] = lintSources([{ path: 'src/q.ts', text: ts }]).files[0].findings.filter((x) => x.ruleId === 'offset-pagination');
    expect(f.message).toContain('OFFSET $1');
  });
});
