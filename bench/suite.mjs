// The benchmark suite `npm run bench` runs (bench/all.mjs): each benchmark script, its arguments, and how its JSON
// becomes figures with a target. Pure: no process is started here, so test/unit/bench-suite.test.ts can check the
// figures and the README table against a saved run (bench/results.json) without running anything.
//
// A figure: { id, bench, what, value, unit, op: '<=' | '>=', target, pass }. Targets are the benchmarks' own where
// their JSON carries one, else the issue's, written once here.

/** @typedef {{ id: string, bench: string, what: string, value: number, unit: string, op: '<=' | '>=', target: number, pass: boolean }} Figure */

/** A figure of benchmark `bench`: what each SUITE entry's `figures` is given as its second argument. */
const figureOf =
  (bench) =>
  /** @returns {Figure} */
  (id, what, value, unit, op, target) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${bench}: figure ${id} is not a number in the benchmark's output`);
    return { id, bench, what, value, unit, op, target, pass: op === '<=' ? value <= target : value >= target };
  };

/** For an answer of a megabyte or more: its size and what writing and reading it as JSON costs alone. */
const transportNote = (c) =>
  typeof c.payloadBytes === 'number' && c.payloadBytes >= 1e6 && typeof c.transportMs === 'number'
    ? `; each answer ${(c.payloadBytes / 1e6).toFixed(1)} MB of JSON, ${Math.round(c.transportMs)} ms to write and read alone`
    : '';

const DB_NAME = { pglite: 'PGlite', postgresql: 'PostgreSQL 15' };

const byName = (figures, name) => {
  const f = figures.find((x) => x.name === name);
  if (!f) throw new Error(`explain-start: no figure named "${name}"`);
  return f.value;
};

/**
 * Each entry: the script, its arguments (full run and `--quick`), whether it needs the local PostgreSQL server, and
 * `figures(json, figure)`.
 */
export const SUITE = [
  {
    bench: 'lint',
    script: 'bench/lint.mjs',
    args: ['--runs', '5'],
    quickArgs: ['--runs', '1'],
    figures: (j, figure) => [
      figure(
        'lint.corpus.wall',
        'CLI: lint of the real-world corpus (412 files), fresh process, wall (median)',
        j.corpus.wallMs.median / 1000,
        's',
        '<=',
        j.corpus.targetWallMs / 1000,
      ),
      figure('lint.corpus.rss', 'CLI: the same, peak RSS', j.corpus.peakRssMB, 'MB', '<=', 150),
      // The peer's figures exist when postgres-language-server could be installed (bench/lint.mjs says why not).
      ...(j.peer?.ratio === undefined
        ? []
        : [
            figure(
              'lint.peer.ratio',
              `the same: pgperf’s wall over ${j.peer.tool}’s on that folder, run in turn (${(j.peer.wallMs.median / 1000).toFixed(2)} s, ${j.peer.peakRssMB ?? '?'} MB)`,
              j.peer.ratio,
              '×',
              '<=',
              j.peer.targetRatio,
            ),
          ]),
      figure(
        'lint.unchanged.wall',
        'CLI: the same again with nothing changed, from the lint cache, wall (median)',
        j.unchanged.wallMs.median / 1000,
        's',
        '<=',
        j.unchanged.targetWallMs / 1000,
      ),
      figure(
        'lint.relint.p95',
        '1,000-line file re-linted after a one-character edit, warm (p95)',
        j.relint1000Lines.p95Ms,
        'ms',
        '<=',
        j.relint1000Lines.targetP95Ms,
      ),
    ],
  },
  {
    bench: 'lsp',
    script: 'bench/lsp.mjs',
    args: ['--edits', '100', '--warmup', '20'],
    quickArgs: ['--edits', '10', '--warmup', '3'],
    figures: (j, figure) => [
      figure('lsp.edit.p95', 'language server: didChange → publishDiagnostics, 5,000-line file (p95)', j.edit.p95Ms, 'ms', '<=', j.edit.targetP95Ms),
      ...[
        ['clean', 'clean'],
        ['broken', 'the edited statement broken'],
        ['findings', '5,000 findings'],
      ].map(([k, what]) =>
        figure(
          `lsp.edit.full.${k}.p95`,
          `language server: the same with full-text sync, ${what} (p95)${transportNote(j.editFullSync[k])}`,
          j.editFullSync[k].p95Ms,
          'ms',
          '<=',
          j.editFullSync[k].targetP95Ms,
        ),
      ),
      figure(
        'lsp.scan',
        'language server: cold scan of the real-world corpus, spawn → all diagnostics',
        j.scan.allDiagnosticsPublishedMs / 1000,
        's',
        '<=',
        j.scan.targetMs / 1000,
      ),
      figure('lsp.rss', 'language server: RSS after that scan', j.scan.rssAfterScanMB, 'MB', '<=', j.scan.targetRssMB),
    ],
  },
  {
    bench: 'host-edit',
    script: 'bench/host-edit.mjs',
    args: ['--edits', '100', '--warmup', '20'],
    quickArgs: ['--edits', '10', '--warmup', '3'],
    figures: (j, figure) => [
      figure(
        'host-edit.query.p95',
        'SQL in TypeScript: keystroke in a query string → diagnostics, 2,000-line file, 100 queries (p95)',
        j.query.p95Ms,
        'ms',
        '<=',
        j.targetP95Ms,
      ),
      figure('host-edit.code.p95', 'SQL in TypeScript: keystroke in code between queries → diagnostics (p95)', j.code.p95Ms, 'ms', '<=', j.targetP95Ms),
    ],
  },
  {
    bench: 'host-scan',
    script: 'bench/host-scan.mjs',
    args: ['--runs', '5', '--warmup', '1'],
    quickArgs: ['--runs', '1', '--warmup', '0'],
    figures: (j, figure) => [
      figure('host-scan.ratio', 'scan of corpus/apps with host files vs .sql only, ms per MB of SQL found (ratio)', j.ratioPerSqlMB, '×', '<=', j.targetRatio),
      figure(
        'host-scan.floor',
        'the least that ratio can be on one thread: the .sql-only scan plus the host files’ tree-sitter parse alone',
        j.singleThreadFloorRatio,
        '×',
        '<=',
        j.targetRatio,
      ),
      figure(
        'host-scan.rescan-ratio',
        'the same scan again after a .sql change, host files from the lint cache, vs .sql only (ratio)',
        j.rescanRatioPerSqlMB,
        '×',
        '<=',
        j.targetRatio,
      ),
    ],
  },
  {
    bench: 'explain-start',
    script: 'bench/explain-start.mjs',
    args: [],
    env: { RUNS: '5' },
    quickEnv: { RUNS: '1' },
    figures: (j, figure) => [
      figure(
        'explain-start.warm.wall',
        '`pgperf explain --analyze "select 1"`, embedded database, empty folder, warm snapshot cache: wall',
        byName(j.figures, 'empty folder, warm cache: wall s'),
        's',
        '<=',
        1.5,
      ),
      figure('explain-start.warm.rss', 'the same: peak RSS', byName(j.figures, 'empty folder, warm cache: peak RSS MB'), 'MB', '<=', 400),
      figure(
        'explain-start.cold.wall',
        'the same with a cold cache (the snapshot written once)',
        byName(j.figures, 'empty folder, cold cache: wall s'),
        's',
        '<=',
        6.5,
      ),
    ],
  },
  {
    bench: 'explain',
    script: 'bench/explain.mjs',
    args: ['--runs', '200'],
    quickArgs: ['--runs', '20'],
    server: true,
    figures: (j, figure) => [
      figure(
        'explain.overhead.p95',
        'EXPLAIN ANALYZE: pgperf’s overhead over the server’s time, ~1.5 ms query, PostgreSQL 15 (p95)',
        j.overheadMs.p95,
        'ms',
        '<=',
        j.targetP95Ms,
      ),
    ],
  },
  {
    bench: 'panel',
    script: 'bench/panel.mjs',
    args: ['--runs', '200'],
    quickArgs: ['--runs', '20'],
    figures: (j, figure) => [figure('panel.p95', 'EXPLAIN panel HTML for a 500-node plan (p95, warm)', j.p95Ms, 'ms', '<=', j.targetMs)],
  },
  {
    bench: 'hnsw',
    script: 'bench/hnsw.mjs',
    args: ['--no-sweep', '--overhead-runs', '300'],
    quickArgs: ['--no-sweep', '--overhead-runs', '50', '--overhead-count', '1000'],
    figures: (j, figure) => [
      figure(
        'hnsw.overhead.p50',
        'HNSW benchmark: harness time per query over the server’s, embedded database (p50)',
        j.overhead.overheadMs.p50,
        'ms',
        '<=',
        j.overhead.targetP50Ms,
      ),
    ],
  },
  {
    bench: 'big-workspace',
    script: 'bench/big-workspace.mjs',
    args: ['--files', '20000'],
    quickArgs: ['--files', '2000'],
    figures: (j, figure) => [
      figure(
        'big-workspace.rss',
        `language server: RSS after the scan of ${j.files.toLocaleString('en-US')} generated files`,
        j.rssAfterScanMB,
        'MB',
        '<=',
        j.targetRssMB,
      ),
    ],
  },
  {
    bench: 'pathological',
    script: 'bench/pathological.mjs',
    args: ['--runs', '3'],
    quickArgs: ['--runs', '1'],
    // Doubling the input: about 2 when linear, 4 when quadratic. 3 leaves room for noise, not for a square.
    figures: (j, figure) =>
      Object.entries(j.cases).map(([name, c]) => figure(`pathological.${name}`, `pathological input, ${name}: time at 2n / time at n`, c.ratio, '×', '<=', 3)),
  },
  {
    bench: 'fuzz',
    script: 'bench/fuzz.mjs',
    // 100,000 seeded inputs over two processes (issue 18), each bounded to 50 minutes; one in ten also through the server.
    args: ['--inputs', '100000', '--jobs', '2', '--seconds', '3000'],
    quickArgs: ['--inputs', '400', '--jobs', '2'],
    figures: (j, figure) => [
      figure(
        'fuzz.inputs',
        `fuzz: inputs run of the ${j.inputsAsked.toLocaleString('en-US')} asked (none cut by the time bound)`,
        j.inputs,
        'inputs',
        '>=',
        j.inputsAsked,
      ),
      figure('fuzz.crashes', 'fuzz: crashes (throws, internal errors, server exits)', j.crashes, '', '<=', 0),
      figure('fuzz.stalls', `fuzz: lints and requests slower than ${j.stallMs} ms`, j.stalls, '', '<=', 0),
      figure('fuzz.invalidEdits', 'fuzz: fixes and code-action edits that do not apply or add a syntax error', j.invalidEdits, '', '<=', 0),
      figure('fuzz.outOfRange', 'fuzz: diagnostic, hover and finding ranges outside their document', j.outOfRange, '', '<=', 0),
      figure('fuzz.maxMs', 'fuzz: slowest lint or request', Math.max(...Object.values(j.latencyMs).map((l) => l.max)), 'ms', '<=', j.stallMs),
    ],
  },
  {
    bench: 'data',
    script: 'bench/data.mjs',
    args: ['--rows', '10000', '--runs', '3'],
    quickArgs: ['--rows', '2000', '--runs', '1', '--vector-rows', '500'],
    // Targets in bench/data.mjs: ≥ 5,000 rows/s without vectors (10,000 rows per table in seconds, what
    // `pgperf explain --data` asks of someone waiting for a plan), ≥ 100 rows/s with (5,000 vectors under a minute).
    figures: (j, figure) => [
      figure(
        'data.nonVector.rps',
        `synthetic data on PGlite, examples/app + shop fixture, ${j.rowsPerTable.toLocaleString('en-US')} rows per table: tables without vectors (median)`,
        j.overall.nonVector.rowsPerSecond,
        'rows/s',
        '>=',
        j.targetNonVectorRowsPerSecond,
      ),
      figure('data.vector.rps', 'the same: tables with a vector column (median)', j.overall.vector.rowsPerSecond, 'rows/s', '>=', j.targetVectorRowsPerSecond),
    ],
  },
  {
    bench: 'compare-fix',
    script: 'bench/compare-fix.mjs',
    args: ['--runs', '5'],
    quickArgs: ['--runs', '1'],
    // Target in bench/compare-fix.mjs: an interactive command with its data load, that a user waits for.
    figures: (j, figure) => [
      figure(
        'compare-fix.wall',
        '`pgperf explain --compare-fix` on examples/app (sessions.sql:5, 20,000 synthetic rows), fresh process, wall (median)',
        j.wallSeconds.median,
        's',
        '<=',
        j.targetWallSeconds,
      ),
      figure('compare-fix.page', 'the Compare with Fix page built from that result (p95)', j.pageP95Ms, 'ms', '<=', 50),
    ],
  },
  {
    bench: 'guide',
    script: 'bench/guide.mjs',
    args: ['--rows', '100000', '--runs', '9', '--warmup', '3'],
    quickArgs: ['--rows', '20000', '--runs', '3', '--warmup', '1'],
    server: true,
    // Targets in bench/guide.mjs, set from the guide's claims: a tenth of its 100× for keyset pagination, half its
    // 12.5× for one partition of 12, the low end of its 2–3× for the composite index. PostgreSQL's figures only
    // when the server answered.
    figures: (j, figure) =>
      ['pglite', 'postgresql'].flatMap((db) =>
        j.examples.offset[db] === undefined
          ? []
          : [
              figure(
                `guide.offset.${db}`,
                `tuning guide on ${DB_NAME[db]}: OFFSET 10,000 vs keyset, ${j.rowsPerTable.toLocaleString('en-US')} rows (ratio of medians)`,
                j.examples.offset[db].ratio,
                '×',
                '>=',
                j.examples.offset.target.ratio,
              ),
              figure(
                `guide.partitions.${db}`,
                `tuning guide on ${DB_NAME[db]}: 12 monthly partitions vs a one-month range (ratio)`,
                j.examples.partitions[db].ratio,
                '×',
                '>=',
                j.examples.partitions.target.ratio,
              ),
              figure(
                `guide.composite.${db}`,
                `tuning guide on ${DB_NAME[db]}: (tenant_id), (status) vs (tenant_id, status), biggest tenant (ratio)`,
                j.examples.composite[db].ratio,
                '×',
                '>=',
                j.examples.composite.target.ratio,
              ),
            ],
      ),
  },
  {
    bench: 'precision',
    script: 'bench/precision.mjs',
    args: [],
    quickArgs: [],
    figures: (j, figure) => [
      figure(
        'precision.false',
        `precision on corpus/apps .sql: wrong among judged findings (${j.total.judged} judged of ${j.total.reported})`,
        100 * j.falseShareOfJudged,
        '%',
        '<=',
        2,
      ),
    ],
  },
];

/** Every figure of a run's raw outputs ({ bench: json }), in SUITE order; a bench that failed gives none. */
export function figuresOf(raw) {
  return SUITE.filter((s) => raw[s.bench] !== undefined).flatMap((s) => benchFigures(s, raw[s.bench]));
}

/** The figures of one SUITE entry's output. */
export function benchFigures(entry, json) {
  return entry.figures(json, figureOf(entry.bench));
}

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The README's benchmark table, from a saved run. */
export function renderTable(results) {
  const rows = figuresOf(results.raw).map(
    (f) => `| ${f.what} | ${fmt(f.value)} ${f.unit} | ${f.op} ${fmt(f.target)} ${f.unit} | ${f.pass ? 'met' : '**not met**'} |`,
  );
  const failed = Object.entries(results.errors ?? {}).map(([b, e]) => `| ${b} | did not run: ${e} | | |`);
  const load = (l) => l.map((x) => x.toFixed(1)).join(' / ');
  const merged = Object.entries(results.merged ?? {}).map(
    ([b, m]) => ` \`${b}\` was re-run alone on ${m.date} (\`node bench/all.mjs --only ${b} --save bench/results.json\`, load ${load(m.loadavg)}).`,
  );
  return [
    `Measured by \`npm run bench\` on ${results.date} (${results.machine.cpus} CPUs, load ${load(results.machine.loadavg)} at the start), saved in \`bench/results.json\`; \`npm run bench:readme\` writes this table from it.${merged.join('')}`,
    '',
    '| | measured | target | |',
    '| --- | --- | --- | --- |',
    ...rows,
    ...failed,
  ].join('\n');
}

export const TABLE_BEGIN = '<!-- bench:begin (generated by npm run bench:readme from bench/results.json) -->';
export const TABLE_END = '<!-- bench:end -->';

export const GUIDE_BEGIN = '<!-- guide:begin (generated by npm run bench:readme from bench/results.json) -->';
export const GUIDE_END = '<!-- guide:end -->';

const ms = (v) => (v === null || v === undefined ? '' : `${fmt(v)} ms`);

/** The README's table of the tuning guide's figures beside ours: bench/guide.mjs's output in a saved run. */
export function renderGuideTable(results) {
  const j = results.raw.guide;
  if (!j) return `bench/guide.mjs did not run in the saved run${results.errors?.guide ? `: ${results.errors.guide}` : ''}.`;
  const cell = (r) => (r ? `${ms(r.beforeMs)} → ${ms(r.afterMs)}: **${fmt(r.ratio)}×**` : 'not run');
  const g = j.examples;
  const guideRatio = (x) => (typeof x.ratio === 'number' ? `${fmt(x.ratio)}×` : `${x.ratio.min}–${x.ratio.max}×`);
  const guideCell = (x) => (x.before.ms === null ? `“${x.after.says}”` : `${x.before.ms} ms → ${x.after.ms} ms: ${guideRatio(x)}`);
  const server =
    typeof j.databases.postgresql === 'string' ? j.databases.postgresql.split(' on ')[0] : `not run (${j.databases.postgresql?.skipped ?? 'no server'})`;
  const rows = [
    ['OFFSET 10,000 vs keyset pagination, `LIMIT 100`', g.offset],
    ['12 monthly partitions vs a one-month range', g.partitions],
    [`(tenant_id), (status) vs (tenant_id, status), biggest tenant (${g.composite.pglite.sessions.toLocaleString('en-US')} sessions)`, g.composite],
  ].map(([what, x]) => `| ${what} | ${guideCell(x.guide)} | ${cell(x.pglite)} | ${cell(x.postgresql)} |`);
  const mid = g.composite.medianTenant;
  return [
    `From \`bench/guide.mjs\` in the saved run: ${j.data.source}; ${Object.entries(j.data.tables)
      .map(([t, n]) => `${t} ${n.toLocaleString('en-US')} rows`)
      .join(
        ', ',
      )}. Each figure is the median EXPLAIN ANALYZE “Execution Time” of ${j.runs} runs after ${j.warmup} warm-up runs (${2 * j.runs} for each index set of the composite example; before → after: ratio), load ${j.machine.loadavgStart.map((x) => x.toFixed(1)).join(' / ')} at the start; ` +
      `databases: ${j.databases.pglite.split(' on ')[0]} (PGlite) and ${server}. The composite index for a tenant of median size (${mid.pglite.sessions} sessions): ` +
      `${fmt(mid.pglite.ratio)}× on PGlite${mid.postgresql ? `, ${fmt(mid.postgresql.ratio)}× on PostgreSQL` : ''}.`,
    '',
    '| example | guide | measured (PGlite) | measured (PostgreSQL 15) |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
