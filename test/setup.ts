import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initParser } from '../server/src/analysis/pg';

await initParser();

// The CLI keeps its lint cache in the user's cache folder: the CLIs the tests start keep theirs in a temporary one.
process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'pgperf-xdg-cache-'));
