/**
 * Issue 18, the language server: a too-deep statement on disk (the workspace scan) and opened (didOpen, then an
 * edit) is a diagnostic; the process stays up and every other file gets its diagnostics.
 */
import { describe, expect, it } from 'vitest';
import { has, of, start } from '../lsp/harness';

const repeat = (n: number, part: string, sep = '') => Array(n).fill(part).join(sep);

describe('the language server with too-deep statements', () => {
  it('scans, opens and edits them without exiting; the other files keep their diagnostics', async () => {
    const { client, uri } = await start({
      'plus.sql': `SELECT ${repeat(9_650, '1', '+')};\n`,
      'union.sql': `${repeat(12_500, 'SELECT 1', ' UNION ')};\n`,
      'ok.sql': 'VACUUM FULL t;\n',
    });
    expect(client.alive, client.describeProcess()).toBe(true);
    await client.waitForDiagnostics(uri('ok.sql'), has('vacuum-full'));
    for (const f of ['plus.sql', 'union.sql']) {
      const p = await client.waitForDiagnostics(uri(f), has('syntax-error'));
      expect(of(p.diagnostics, 'syntax-error').map((d) => d.severity)).toEqual([3]); // information
    }
    const opened = uri('concat.sql');
    const text = `VACUUM FULL t;\nSELECT ${repeat(9_650, "'a'", '||')};\n`;
    client.open(opened, text, 1);
    const p1 = await client.waitForDiagnostics(opened, (_, p) => p.version === 1, 15_000);
    expect(p1.diagnostics.map((d) => String(d.code)).sort((a, b) => a.localeCompare(b))).toEqual(['syntax-error', 'vacuum-full']);
    client.change(opened, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'REINDEX TABLE t;\n' }]);
    const p2 = await client.waitForDiagnostics(opened, (_, p) => p.version === 2, 15_000);
    expect(p2.diagnostics.map((d) => String(d.code)).sort((a, b) => a.localeCompare(b))).toEqual(['reindex-concurrently', 'syntax-error', 'vacuum-full']);
    expect(client.alive, client.describeProcess()).toBe(true);
  });
});
