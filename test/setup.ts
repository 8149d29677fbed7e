import { initParser } from '../server/src/analysis/pg';

await initParser();
