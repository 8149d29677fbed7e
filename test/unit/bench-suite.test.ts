/**
 * The README's benchmark table has one source: the saved run of `npm run bench` (bench/results.json). Its figures are
 * what bench/suite.mjs reads from the raw outputs saved beside them, and the README block is what renderTable writes.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the benchmarks, without type declarations
import { figuresOf, GUIDE_BEGIN, GUIDE_END, renderGuideTable, renderTable, SUITE, TABLE_BEGIN, TABLE_END } from '../../bench/suite.mjs';

const root = resolve(__dirname, '../..');
const results = JSON.parse(readFileSync(join(root, 'bench/results.json'), 'utf8'));

describe('bench/results.json and the README table', () => {
  it('is a full run of the whole suite, not a --quick one', () => {
    expect(results.quick).toBe(false);
    expect(Object.keys(results.raw).sort()).toEqual(SUITE.map((s: { bench: string }) => s.bench).sort());
  });

  it('holds the figures its raw outputs give (none edited by hand)', () => {
    expect(results.figures).toEqual(figuresOf(results.raw));
  });

  it('is what README.md shows between the markers', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const begin = readme.indexOf(TABLE_BEGIN);
    const end = readme.indexOf(TABLE_END);
    expect(begin).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    expect(readme.slice(begin + TABLE_BEGIN.length, end).trim()).toBe(renderTable(results));
  });

  it('shows the tuning guide beside bench/guide.mjs as renderGuideTable writes it from the saved run', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const begin = readme.indexOf(GUIDE_BEGIN);
    const end = readme.indexOf(GUIDE_END);
    expect(begin).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    expect(readme.slice(begin + GUIDE_BEGIN.length, end).trim()).toBe(renderGuideTable(results));
  });

  it('reports a figure off its target as not met', () => {
    const raw = structuredClone(results.raw);
    raw.panel.p95Ms = raw.panel.targetMs + 1;
    const panel = figuresOf(raw).find((f: { id: string }) => f.id === 'panel.p95');
    expect(panel.pass).toBe(false);
    expect(() => figuresOf({ panel: { ...raw.panel, p95Ms: undefined } })).toThrow(/not a number/);
  });
});
