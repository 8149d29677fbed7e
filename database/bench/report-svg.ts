/**
 * The benchmark plots as clean, dependency-free SVG (pure functions; no `vscode` import). The SVG is well-formed
 * XML (it is inlined in the report page and also valid as a standalone .svg file) and carries no `style`
 * attribute and no script, so the page's strict CSP holds. Axes, grid and text use `currentColor` (the page sets
 * `color` from the VS Code theme); the series colours come from a fixed palette of mid-tones that read on light
 * and dark backgrounds. Every string (there are few: labels are built from numbers) goes through `esc`.
 *
 * - `recallQpsSvg`: recall@k (y) against QPS (x, log scale when the QPS range is wider than 10×), one polyline per
 *   (m, ef_construction), a point per ef_search with an "ef N" label, the Pareto front ringed and joined by a
 *   dashed path, the recall target as a dashed horizontal line, a legend.
 * - `buildSvg`: two panels over the same configurations: build time, and index size (measured, filled) beside
 *   the guide's memory formula (outlined).
 * - `rlsSvg`: overhead % per query with its 95 % confidence interval, and the target as a dashed line.
 */
import { esc } from '../../render/html';
import type { HnswReport, HnswResult, RlsReport } from './report-types';
import { paretoFront } from './stats';

/** Tableau 10: mid-tones, legible on white and on #1e1e1e. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** Coordinates with two decimals at most (small files, stable output). */
const f = (x: number) => String(Math.round(x * 100) / 100);

/** A series of the recall-vs-QPS plot: one (m, ef_construction), its points in ef_search order. */
export interface Series {
  m: number;
  efConstruction: number;
  colour: string;
  /** Indices into report.results. */
  points: number[];
}

/** One series per (m, ef_construction), in the order of first appearance; points sorted by ef_search. */
export function seriesOf(results: readonly HnswResult[]): Series[] {
  const byKey = new Map<string, Series>();
  results.forEach((r, i) => {
    const key = `${r.m}/${r.efConstruction}`;
    let s = byKey.get(key);
    if (!s) {
      s = { m: r.m, efConstruction: r.efConstruction, colour: PALETTE[byKey.size % PALETTE.length], points: [] };
      byKey.set(key, s);
    }
    s.points.push(i);
  });
  for (const s of byKey.values()) s.points.sort((a, b) => results[a].efSearch - results[b].efSearch);
  return [...byKey.values()];
}

/** "Nice" linear ticks covering [lo, hi] (the first ≤ lo, the last ≥ hi). */
export function linearTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => raw <= s) ?? 10 * mag;
  const out: number[] = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  for (let i = first; i <= last; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** Log ticks: 1, 2, 5 × powers of 10 inside [lo, hi] (only powers of 10 when the range spans > 3 decades). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const mults = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  }
  return out;
}

/** 1234 → "1.2k", 0.5 → "0.5". */
function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

function open(width: number, height: number, cls: string, title: string, desc: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${esc(cls)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${esc(cls)}-title ${esc(cls)}-desc" font-family="inherit" font-size="11" fill="currentColor">`,
    `<title id="${esc(cls)}-title">${esc(title)}</title>`,
    `<desc id="${esc(cls)}-desc">${esc(desc)}</desc>`,
  ];
}

/** Axis lines, ticks, grid and labels, all in currentColor. */
function axes(
  out: string[],
  box: Box,
  x: { ticks: number[]; at: (v: number) => number; label: string; fmt: (v: number) => string } | null,
  y: { ticks: number[]; at: (v: number) => number; label: string; fmt: (v: number) => string },
): void {
  const bottom = box.top + box.height;
  const right = box.left + box.width;
  out.push('<g class="axes" stroke="currentColor" fill="none">');
  for (const t of y.ticks) out.push(`<line class="grid" x1="${f(box.left)}" x2="${f(right)}" y1="${f(y.at(t))}" y2="${f(y.at(t))}" stroke-opacity="0.15"/>`);
  if (x)
    for (const t of x.ticks) out.push(`<line class="grid" x1="${f(x.at(t))}" x2="${f(x.at(t))}" y1="${f(box.top)}" y2="${f(bottom)}" stroke-opacity="0.15"/>`);
  out.push(`<line x1="${f(box.left)}" x2="${f(right)}" y1="${f(bottom)}" y2="${f(bottom)}" stroke-opacity="0.6"/>`);
  out.push(`<line x1="${f(box.left)}" x2="${f(box.left)}" y1="${f(box.top)}" y2="${f(bottom)}" stroke-opacity="0.6"/>`);
  out.push('</g>', '<g class="tick-labels" fill="currentColor" fill-opacity="0.8">');
  for (const t of y.ticks) out.push(`<text x="${f(box.left - 6)}" y="${f(y.at(t) + 4)}" text-anchor="end">${esc(y.fmt(t))}</text>`);
  if (x) for (const t of x.ticks) out.push(`<text x="${f(x.at(t))}" y="${f(bottom + 16)}" text-anchor="middle">${esc(x.fmt(t))}</text>`);
  out.push('</g>');
  if (x) out.push(`<text class="axis-label" x="${f(box.left + box.width / 2)}" y="${f(bottom + 34)}" text-anchor="middle">${esc(x.label)}</text>`);
  const cy = box.top + box.height / 2;
  out.push(
    `<text class="axis-label" x="${f(box.left - 44)}" y="${f(cy)}" text-anchor="middle" transform="rotate(-90 ${f(box.left - 44)} ${f(cy)})">${esc(y.label)}</text>`,
  );
}

export interface PlotOptions {
  width?: number;
  height?: number;
}

/** The recall-vs-QPS plot of an HNSW sweep. */
export function recallQpsSvg(report: Pick<HnswReport, 'results' | 'params'>, opts: PlotOptions = {}): string {
  const width = opts.width ?? 760;
  const height = opts.height ?? 400;
  const results = report.results;
  const k = report.params.k;
  const target = report.params.recallTarget;
  const out = open(
    width,
    height,
    'recall-qps',
    `recall@${k} against queries per second`,
    `One line per (m, ef_construction), one point per ef_search; ringed points are the Pareto front; the dashed line is the recall target ${target}.`,
  );
  const box: Box = { left: 60, top: 16, width: width - 60 - 200, height: height - 16 - 52 };
  const usable = results.filter((r) => Number.isFinite(r.qps) && r.qps > 0 && Number.isFinite(r.recall));
  if (usable.length === 0) {
    out.push(`<text x="${f(width / 2)}" y="${f(height / 2)}" text-anchor="middle">no measurements</text>`, '</svg>');
    return out.join('\n');
  }

  // x: QPS, log when wide.
  let qLo = Math.min(...usable.map((r) => r.qps));
  let qHi = Math.max(...usable.map((r) => r.qps));
  const log = qHi / qLo > 10;
  let xTicks: number[];
  let xAt: (v: number) => number;
  if (log) {
    // Keep the data off the frame: pad to a quarter decade.
    qLo = 10 ** (Math.floor(Math.log10(Math.min(...usable.map((r) => r.qps))) * 4) / 4);
    qHi = 10 ** (Math.ceil(Math.log10(qHi) * 4) / 4);
    const a = Math.log10(qLo);
    const b = Math.log10(qHi);
    xAt = (v) => box.left + ((Math.log10(v) - a) / (b - a)) * box.width;
    xTicks = logTicks(qLo, qHi);
  } else {
    const pad = (qHi - qLo) * 0.08 || qHi * 0.1 || 1;
    const t = linearTicks(Math.max(0, qLo - pad), qHi + pad);
    qLo = Math.min(t[0], Math.max(0, qLo - pad));
    qHi = Math.max(t[t.length - 1], qHi + pad);
    xAt = (v) => box.left + ((v - qLo) / (qHi - qLo)) * box.width;
    xTicks = t.filter((v) => v >= qLo && v <= qHi);
  }

  // y: recall, from a tenth below the lowest point (and the target) to 1.
  const rLo = Math.max(0, Math.floor(Math.min(target, ...usable.map((r) => r.recall)) * 10 - 0.5) / 10);
  const yAt = (v: number) => box.top + (1 - (v - rLo) / (1 - rLo || 1)) * box.height;
  const yTicks = linearTicks(rLo, 1, 5);
  axes(
    out,
    box,
    { ticks: xTicks, at: xAt, label: `queries per second${log ? ' (log scale)' : ''}`, fmt: shortNumber },
    { ticks: yTicks, at: yAt, label: `recall@${k}`, fmt: (v) => v.toFixed(2) },
  );

  // The recall target.
  if (target >= rLo && target <= 1) {
    const y = yAt(target);
    out.push(
      `<line class="target" x1="${f(box.left)}" x2="${f(box.left + box.width)}" y1="${f(y)}" y2="${f(y)}" stroke="currentColor" stroke-opacity="0.7" stroke-dasharray="6 4"/>`,
      `<text class="target-label" x="${f(box.left + box.width - 4)}" y="${f(y - 4)}" text-anchor="end" fill-opacity="0.8">target ${esc(target)}</text>`,
    );
  }

  const ok = (i: number) => Number.isFinite(results[i].qps) && results[i].qps > 0 && Number.isFinite(results[i].recall);
  const series = seriesOf(results);
  for (const s of series) {
    const pts = s.points.filter(ok);
    out.push(`<g class="series" data-m="${esc(s.m)}" data-ef-construction="${esc(s.efConstruction)}">`);
    out.push(
      `<polyline class="series" points="${pts.map((i) => `${f(xAt(results[i].qps))},${f(yAt(results[i].recall))}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round"/>`,
    );
    for (const i of pts) {
      const r = results[i];
      const x = xAt(r.qps);
      const y = yAt(r.recall);
      out.push(
        `<circle class="point" cx="${f(x)}" cy="${f(y)}" r="3.5" fill="${s.colour}"><title>${esc(`m=${r.m} ef_construction=${r.efConstruction} ef_search=${r.efSearch}: recall ${r.recall.toFixed(3)}, ${shortNumber(r.qps)} QPS, p50 ${r.p50Ms.toFixed(2)} ms`)}</title></circle>`,
        `<text class="point-label" x="${f(x + 5)}" y="${f(y - 5)}" font-size="9" fill-opacity="0.75">${esc(`ef ${r.efSearch}`)}</text>`,
      );
    }
    out.push('</g>');
  }

  // The Pareto front: ringed, and joined in QPS order.
  const idx = results.map((_, i) => i).filter(ok);
  const front = paretoFront(idx.map((i) => results[i])).map((j) => idx[j]);
  front.sort((a, b) => results[a].qps - results[b].qps);
  if (front.length > 1) {
    out.push(
      `<path class="pareto-front" d="${front.map((i, n) => `${n === 0 ? 'M' : 'L'}${f(xAt(results[i].qps))} ${f(yAt(results[i].recall))}`).join(' ')}" fill="none" stroke="currentColor" stroke-opacity="0.5" stroke-dasharray="2 3"/>`,
    );
  }
  for (const i of front) {
    out.push(
      `<circle class="pareto" cx="${f(xAt(results[i].qps))}" cy="${f(yAt(results[i].recall))}" r="7" fill="none" stroke="currentColor" stroke-width="1.5"/>`,
    );
  }

  // Legend.
  const lx = box.left + box.width + 14;
  let ly = box.top + 6;
  out.push('<g class="legend">');
  for (const s of series) {
    out.push(
      `<line x1="${f(lx)}" x2="${f(lx + 18)}" y1="${f(ly)}" y2="${f(ly)}" stroke="${s.colour}" stroke-width="2"/>`,
      `<circle cx="${f(lx + 9)}" cy="${f(ly)}" r="3" fill="${s.colour}"/>`,
      `<text x="${f(lx + 24)}" y="${f(ly + 4)}">${esc(`m ${s.m}, ef_construction ${s.efConstruction}`)}</text>`,
    );
    ly += 16;
  }
  ly += 4;
  out.push(
    `<circle cx="${f(lx + 9)}" cy="${f(ly)}" r="6" fill="none" stroke="currentColor" stroke-width="1.5"/>`,
    `<text x="${f(lx + 24)}" y="${f(ly + 4)}">Pareto front</text>`,
  );
  ly += 16;
  out.push(
    `<line x1="${f(lx)}" x2="${f(lx + 18)}" y1="${f(ly)}" y2="${f(ly)}" stroke="currentColor" stroke-opacity="0.7" stroke-dasharray="6 4"/>`,
    `<text x="${f(lx + 24)}" y="${f(ly + 4)}">${esc(`recall target ${target}`)}</text>`,
  );
  out.push('</g>', '</svg>');
  return out.join('\n');
}

/** One bar group per (m, ef_construction): build time, and index size measured beside the guide's formula. */
export function buildSvg(report: Pick<HnswReport, 'results' | 'memoryFormula'>, opts: PlotOptions = {}): string {
  const series = seriesOf(report.results);
  const width = opts.width ?? 720;
  const height = opts.height ?? 260;
  const out = open(
    width,
    height,
    'build-size',
    'Index build time and index size per (m, ef_construction)',
    'Left: build time. Right: measured index size (filled) beside the guide memory formula (outlined).',
  );
  if (series.length === 0) {
    out.push(`<text x="${f(width / 2)}" y="${f(height / 2)}" text-anchor="middle">no measurements</text>`, '</svg>');
    return out.join('\n');
  }
  const formula = new Map(report.memoryFormula.map((r) => [`${r.m}/${r.efConstruction}`, r.formulaBytes]));
  const first = (s: Series) => report.results[s.points[0]];
  const gap = 40;
  const panelW = (width - 2 * 60 - gap - 10) / 2;
  const top = 24;
  const panelH = height - top - 58;

  const panel = (left: number, title: string, values: { v: number; outline?: number }[], fmt: (v: number) => string, unitLabel: string, cls: string) => {
    const box: Box = { left, top, width: panelW, height: panelH };
    const max = Math.max(1e-9, ...values.flatMap((x) => [x.v, x.outline ?? 0]).filter(Number.isFinite));
    const ticks = linearTicks(0, max, 4);
    const hi = Math.max(max, ticks[ticks.length - 1]);
    const yAt = (v: number) => top + panelH - (v / hi) * panelH;
    out.push(`<g class="${esc(cls)}">`, `<text class="panel-title" x="${f(left + panelW / 2)}" y="${f(top - 10)}" text-anchor="middle">${esc(title)}</text>`);
    axes(out, box, null, { ticks, at: yAt, label: unitLabel, fmt });
    const slot = panelW / series.length;
    series.forEach((s, i) => {
      const { v, outline } = values[i];
      const hasOutline = outline !== undefined && Number.isFinite(outline);
      const barW = Math.min(28, slot * (hasOutline ? 0.36 : 0.6));
      const cx = left + slot * (i + 0.5);
      const x0 = hasOutline ? cx - barW - 1 : cx - barW / 2;
      const label = `m ${s.m}, ef_construction ${s.efConstruction}`;
      if (Number.isFinite(v)) {
        out.push(
          `<rect class="bar" x="${f(x0)}" y="${f(yAt(v))}" width="${f(barW)}" height="${f(Math.max(0, top + panelH - yAt(v)))}" fill="${s.colour}"><title>${esc(`${label}: ${fmt(v)}`)}</title></rect>`,
        );
      }
      if (hasOutline) {
        out.push(
          `<rect class="bar formula" x="${f(cx + 1)}" y="${f(yAt(outline))}" width="${f(barW)}" height="${f(Math.max(0, top + panelH - yAt(outline)))}" fill="none" stroke="${s.colour}" stroke-width="1.5" stroke-dasharray="3 2"><title>${esc(`${label}: guide formula ${fmt(outline)}`)}</title></rect>`,
        );
      }
      out.push(
        `<text class="bar-label" x="${f(cx)}" y="${f(top + panelH + 14)}" text-anchor="middle" font-size="9">${esc(`m${s.m}`)}</text>`,
        `<text class="bar-label" x="${f(cx)}" y="${f(top + panelH + 25)}" text-anchor="middle" font-size="9">${esc(`efc${s.efConstruction}`)}</text>`,
      );
    });
    out.push('</g>');
  };

  const buildValues = series.map((s) => ({ v: first(s).buildMs / 1000 }));
  const sizeValues = series.map((s) => {
    const fb = formula.get(`${s.m}/${s.efConstruction}`);
    return { v: first(s).indexBytes / 2 ** 20, ...(fb !== undefined ? { outline: fb / 2 ** 20 } : {}) };
  });
  panel(60, 'build time', buildValues, (v) => `${shortNumber(v)} s`, 'seconds', 'build-time');
  panel(60 + panelW + gap + 60, 'index size', sizeValues, (v) => `${shortNumber(v)} MiB`, 'MiB', 'index-size');
  const ly = height - 12;
  out.push(
    '<g class="legend">',
    `<rect x="${f(60)}" y="${f(ly - 8)}" width="10" height="10" fill="currentColor" fill-opacity="0.6"/>`,
    `<text x="${f(76)}" y="${f(ly + 1)}">measured (pg_relation_size)</text>`,
    `<rect x="${f(260)}" y="${f(ly - 8)}" width="10" height="10" fill="none" stroke="currentColor" stroke-dasharray="3 2"/>`,
    `<text x="${f(276)}" y="${f(ly + 1)}">guide formula ((m × 2) × 4 + dim × 4) × count</text>`,
    '</g>',
    '</svg>',
  );
  return out.join('\n');
}

/** Overhead % per query (and overall) with the 95 % CI as whiskers; the target as a dashed line. */
export function rlsSvg(report: Pick<RlsReport, 'queries' | 'overheadPct' | 'ci95Pct' | 'targetPct'>, opts: PlotOptions = {}): string {
  const rows = [
    ...report.queries.map((q) => ({ name: q.name, pct: q.overheadPct, ci: q.ci95Pct })),
    { name: 'overall', pct: report.overheadPct, ci: report.ci95Pct },
  ];
  const width = opts.width ?? 720;
  const rowH = 28;
  const height = 30 + rows.length * rowH + 40;
  const out = open(
    width,
    height,
    'rls-overhead',
    'Row-level security overhead per query, with 95 % confidence intervals',
    `Bars: overhead in percent; whiskers: 95 % confidence interval; dashed line: the ${report.targetPct} % target.`,
  );
  const values = rows.flatMap((r) => [r.pct, r.ci[0], r.ci[1]]).filter(Number.isFinite);
  let lo = Math.min(0, ...values, report.targetPct);
  let hi = Math.max(0, ...values, report.targetPct);
  const ticks = linearTicks(lo, hi, 6);
  lo = Math.min(lo, ticks[0]);
  hi = Math.max(hi, ticks[ticks.length - 1]);
  const box: Box = { left: 170, top: 20, width: width - 170 - 30, height: rows.length * rowH };
  const xAt = (v: number) => box.left + ((v - lo) / (hi - lo || 1)) * box.width;
  const bottom = box.top + box.height;
  out.push('<g class="axes" stroke="currentColor" fill="none">');
  for (const t of ticks)
    out.push(`<line class="grid" x1="${f(xAt(t))}" x2="${f(xAt(t))}" y1="${f(box.top)}" y2="${f(bottom)}" stroke-opacity="${t === 0 ? '0.6' : '0.15'}"/>`);
  out.push(`<line x1="${f(box.left)}" x2="${f(box.left + box.width)}" y1="${f(bottom)}" y2="${f(bottom)}" stroke-opacity="0.6"/>`, '</g>');
  out.push('<g class="tick-labels" fill-opacity="0.8">');
  for (const t of ticks) out.push(`<text x="${f(xAt(t))}" y="${f(bottom + 16)}" text-anchor="middle">${esc(`${shortNumber(t)} %`)}</text>`);
  out.push('</g>', `<text class="axis-label" x="${f(box.left + box.width / 2)}" y="${f(bottom + 34)}" text-anchor="middle">overhead of RLS (%)</text>`);
  const tx = xAt(report.targetPct);
  out.push(
    `<line class="target" x1="${f(tx)}" x2="${f(tx)}" y1="${f(box.top - 8)}" y2="${f(bottom)}" stroke="currentColor" stroke-opacity="0.7" stroke-dasharray="6 4"/>`,
    `<text class="target-label" x="${f(tx + 4)}" y="${f(box.top - 2)}" fill-opacity="0.8">${esc(`target ${report.targetPct} %`)}</text>`,
  );
  rows.forEach((r, i) => {
    const cy = box.top + rowH * (i + 0.5);
    const over = r.ci[0] > report.targetPct;
    const within = r.ci[1] < report.targetPct;
    const colour = over ? PALETTE[2] : within ? PALETTE[4] : PALETTE[5];
    out.push(
      `<g class="rls-row${i === rows.length - 1 ? ' overall' : ''}">`,
      `<text x="${f(box.left - 8)}" y="${f(cy + 4)}" text-anchor="end"${i === rows.length - 1 ? ' font-weight="bold"' : ''}>${esc(r.name)}</text>`,
    );
    if (Number.isFinite(r.pct)) {
      const x0 = xAt(Math.min(0, r.pct));
      const x1 = xAt(Math.max(0, r.pct));
      out.push(
        `<rect class="bar" x="${f(x0)}" y="${f(cy - 7)}" width="${f(Math.max(1, x1 - x0))}" height="14" fill="${colour}" fill-opacity="0.85"><title>${esc(`${r.name}: ${r.pct.toFixed(2)} % (95 % CI ${r.ci[0].toFixed(2)} … ${r.ci[1].toFixed(2)} %)`)}</title></rect>`,
      );
    }
    if (Number.isFinite(r.ci[0]) && Number.isFinite(r.ci[1])) {
      const a = xAt(r.ci[0]);
      const b = xAt(r.ci[1]);
      out.push(
        `<path class="ci" d="M${f(a)} ${f(cy)} L${f(b)} ${f(cy)} M${f(a)} ${f(cy - 5)} L${f(a)} ${f(cy + 5)} M${f(b)} ${f(cy - 5)} L${f(b)} ${f(cy + 5)}" stroke="currentColor" stroke-width="1.5" fill="none"/>`,
      );
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}
