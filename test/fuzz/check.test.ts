/**
 * The fuzzer finds what it is meant to find: its position and edit checks on LF, CRLF and CR documents, and each
 * kind of problem reported when an analysis commits it (an analysis made faulty on purpose, no server).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyLspEdits, applyOffsetEdits, Lines } from './check';
import { fuzz, type Analysis } from './drive';
import { inputAt, type SeedFile } from './mutate';
import { filesUnder } from './seeds';

const root = join(__dirname, '../..');
const seeds: SeedFile[] = [
  { name: 'a.sql', text: 'SELECT * FROM t WHERE a = 1 OR a = 2;\nSELECT 1;\n' },
  { name: 'b.sql', text: "-- note\r\nSELECT 'x' FROM t ORDER BY random();\r\n" },
];

describe('positions as LSP counts them', () => {
  it('ends a line at \\n, \\r\\n and \\r, and a position past a line end is outside', () => {
    const l = new Lines('ab\ncd\r\nef\rgh');
    expect(l.count).toBe(4);
    expect(l.positionAt(l.text.indexOf('g'))).toEqual({ line: 3, character: 0 });
    expect(l.positionAt(l.text.indexOf('\r'))).toEqual({ line: 1, character: 2 });
    expect(l.inside({ line: 1, character: 2 })).toBe(true);
    // The `\r` of a CRLF is not a character of the line.
    expect(l.inside({ line: 1, character: 3 })).toBe(false);
    expect(l.inside({ line: 4, character: 0 })).toBe(false);
    expect(l.rangeProblem({ start: { line: 0, character: 1 }, end: { line: 0, character: 0 } })).toMatch(/before start/);
    expect(l.rangeProblem({ start: { line: 2, character: 0 }, end: { line: 2, character: 3 } })).toMatch(/line 2 has 2 characters/);
  });

  it('applies edits, and refuses overlapping or out-of-text ones', () => {
    expect(
      applyOffsetEdits('abcdef', [
        { start: 4, end: 5, newText: 'X' },
        { start: 0, end: 1, newText: '' },
      ]),
    ).toEqual({ text: 'bcdXf' });
    expect(applyOffsetEdits('abc', [{ start: 1, end: 4, newText: '' }])).toEqual({ problem: expect.stringMatching(/outside/) });
    expect(
      applyOffsetEdits('abcdef', [
        { start: 1, end: 3, newText: '' },
        { start: 2, end: 4, newText: '' },
      ]),
    ).toEqual({ problem: expect.stringMatching(/overlap/) });
    const cr = new Lines('a\rb');
    expect(applyLspEdits(cr, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } }, newText: 'c' }])).toMatchObject({ text: 'a\rc' });
    expect(applyLspEdits(cr, [{ range: { start: { line: 0, character: 2 }, end: { line: 0, character: 2 } }, newText: 'c' }])).toEqual({
      problem: expect.stringMatching(/outside/),
    });
  });
});

describe('inputs', () => {
  it('are the same for the same seed and index, and differ between indices', () => {
    expect(inputAt(7, 3, seeds)).toEqual(inputAt(7, 3, seeds));
    const texts = new Set(Array.from({ length: 50 }, (_, i) => inputAt(7, i, seeds).text));
    expect(texts.size).toBeGreaterThan(40);
  });

  it('cover every kind of mutation and every host language', () => {
    const ops = Array.from({ length: 3000 }, (_, i) => inputAt(1, i, seeds, { maxChars: 2000, maxTerms: 50 }))
      .flatMap((x) => x.ops)
      .map((op) => op.replace(/\(.*$/, '') + (op.startsWith('host') ? op : ''));
    expect(new Set(ops)).toEqual(
      new Set([
        'byteEdits',
        'truncate',
        'deep',
        'list',
        'longLine',
        'oddChars',
        'lineEnds',
        'splice',
        ...['ts', 'py', 'go', 'rs'].map((e) => `hosthost(${e})`),
      ]),
    );
  });
});

describe('seed files', () => {
  it('are the SQL and host files of a tree, without dependencies, declarations or files over the size bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-fuzz-seeds-'));
    const put = (rel: string, text: string) => {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };
    try {
      for (const f of ['db/a.sql', 'src/b.ts', 'app/c.py', 'd.go', 'e.rs', 'node_modules/x/f.sql', 'src/g.d.ts', 'README.md', 'target/h.rs'])
        put(f, 'SELECT 1;');
      put('big.sql', 'x'.repeat(2000));
      expect(filesUnder(dir, dir, 1000).map((f) => f.name)).toEqual(['app/c.py', 'd.go', 'db/a.sql', 'e.rs', 'src/b.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a faulty analysis is caught', () => {
  let real: Analysis;
  beforeAll(async () => {
    const cli = createRequire(__filename)(join(root, 'dist/cli.js'));
    await cli.initParser();
    await cli.initEmbedded();
    real = cli;
  });
  const run = (analysis: Analysis, stallMs = 1_000) =>
    fuzz({ seed: 1, inputs: 30, seconds: 60, seeds, distDir: join(root, 'dist'), analysis, mutate: { maxChars: 2000, maxTerms: 50 }, stallMs });
  const altered = (alter: (r: ReturnType<Analysis['lintSources']>, text: string) => void): Analysis => ({
    DEFAULT_CONFIG: real.DEFAULT_CONFIG,
    lintSources: (sources, config, cache, options) => {
      const r = real.lintSources(sources, config, cache, options);
      alter(r, sources[0].text);
      return r;
    },
  });

  it('finds nothing in the real analysis on these inputs', async () => {
    const r = await run(real);
    expect(r.problems).toEqual([]);
    expect(r.fixesChecked).toBeGreaterThan(5);
  });

  it('a range one past its line end, offsets outside the text', async () => {
    const r = await run(
      altered((res) => {
        for (const f of res.files[0].findings) f.range = { ...f.range, end: { ...f.range.end, character: f.range.end.character + 200 } };
      }),
    );
    expect(r.outOfRange).toBeGreaterThan(0);
    expect(r.problems[0]).toMatchObject({ kind: 'out-of-range', via: 'cli' });
  });

  it('a fix that breaks its statement, a fix that does not apply', async () => {
    const breaking = await run(
      altered((res) => {
        for (const f of res.files[0].findings) if (f.fix) f.fix.edits = [{ start: f.start, end: f.start, newText: ' ((( ' }];
      }),
    );
    expect(breaking.invalidEdits).toBeGreaterThan(0);
    expect(breaking.problems.some((p) => p.kind === 'invalid-edit' && /syntax errors before/.test(p.detail))).toBe(true);
    const outside = await run(
      altered((res, text) => {
        for (const f of res.files[0].findings) if (f.fix) f.fix.edits = [{ start: text.length, end: text.length + 3, newText: '' }];
      }),
    );
    expect(outside.problems.some((p) => p.kind === 'invalid-edit' && /outside/.test(p.detail))).toBe(true);
  });

  it('a throw, an internal error, a slow lint', async () => {
    let n = 0;
    const r = await run(
      altered((res) => {
        n++;
        if (n % 7 === 0) throw new RangeError('Maximum call stack size exceeded');
        if (n % 11 === 0) res.internalErrors.push('rule x: boom');
        if (n % 13 === 0) {
          const until = performance.now() + 60;
          while (performance.now() < until);
        }
      }),
      50,
    );
    expect(r.problems.find((p) => p.kind === 'crash')?.detail).toBe('RangeError: Maximum call stack size exceeded');
    expect(r.internalErrors).toBeGreaterThan(0);
    expect(r.stalls).toBeGreaterThan(0);
  });
});
