/**
 * Global set-up of `npm run test:corpus`: the corpus must be there. Without it every suite here would fail on a
 * missing directory one by one (or, worse, a future test could pass over an empty list), so the run stops at once
 * with one line that says what is missing and where it was looked for. CI (CI=true) and a local run both fail:
 * a corpus run that tested nothing is not a pass.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const CORPUS_ROOT = resolve(__dirname, '../../../shared/corpus');
const CORPUS_PARTS = ['real-world', 'apps'] as const;

export default function requireCorpus(): void {
  const missing = CORPUS_PARTS.map((p) => resolve(CORPUS_ROOT, p)).filter((d) => !existsSync(d));
  if (missing.length === 0) return;
  const where =
    process.env.CI === 'true' ? 'CI=true: the corpus suites cannot be skipped' : 'put the shared corpus beside the checkout (../shared/corpus) and run again';
  const message = `pgperf corpus missing: ${missing.join(', ')} not found (${where})`;
  console.error(`\n${message}\n`);
  throw new Error(message);
}
