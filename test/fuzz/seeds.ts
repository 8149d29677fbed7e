/**
 * The fuzzer's seed files: the repository's own SQL and host code (what the smoke run in npm test uses, so that it
 * needs nothing beside the checkout), or a corpus folder (../shared/corpus for the benchmark).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SeedFile } from './mutate';

const SEED_EXTENSIONS = /\.(sql|ts|tsx|js|mjs|py|go|rs)$/;

/** Every seed-worthy file under `dir` (SQL and host files up to `maxBytes`; no dependencies, no build output). */
export function filesUnder(dir: string, base = dir, maxBytes = 1_000_000): SeedFile[] {
  const out: SeedFile[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!/^(node_modules|\.git|dist|target|vendor|\.venv)$/.test(e.name)) out.push(...filesUnder(p, base, maxBytes));
    } else if (e.isFile() && SEED_EXTENSIONS.test(e.name) && !e.name.endsWith('.d.ts') && statSync(p).size <= maxBytes) {
      out.push({ name: relative(base, p), text: readFileSync(p, 'utf8') });
    }
  }
  return out;
}

/** String literals of a test file that start like a statement: the SQL of the rule tests, one seed per file. */
function sqlStringsOf(source: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const raw = m[1] ?? m[2] ?? m[3] ?? '';
    if (m[3] !== undefined && raw.includes('${')) continue;
    const s = raw.replace(/\\n/g, '\n').replace(/\\(['"`\\])/g, '$1');
    if (/^\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|BEGIN|SET|VACUUM|REINDEX|COMMIT|LOCK)\b/i.test(s)) out.push(s.trim().replace(/;?$/, ';'));
  }
  return out;
}

/**
 * The repository's seeds: the example application and the end-to-end workspace (SQL and TypeScript), the plans'
 * set-up script, and the SQL strings of the rule tests (every rule's firing and quiet cases), a file per rule.
 */
export function repositorySeeds(root: string): SeedFile[] {
  const seeds = [
    ...filesUnder(join(root, 'examples'), root),
    ...filesUnder(join(root, 'test/e2e/fixtures/workspace'), root),
    { name: 'test/fixtures/plans/setup.sql', text: readFileSync(join(root, 'test/fixtures/plans/setup.sql'), 'utf8') },
  ];
  for (const dir of ['test/rules', 'test/unit']) {
    for (const f of readdirSync(join(root, dir)).sort()) {
      if (!f.endsWith('.test.ts')) continue;
      const sql = sqlStringsOf(readFileSync(join(root, dir, f), 'utf8'));
      if (sql.length) seeds.push({ name: `${dir}/${f.replace(/\.test\.ts$/, '')}.sql`, text: sql.join('\n\n') + '\n' });
    }
  }
  return seeds;
}
