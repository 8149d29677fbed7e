/**
 * A worker thread of the command-line scan (cli/host-pool.ts): it extracts the SQL strings of the host files it is
 * given (tree-sitter parse and walk, the costly part of a mixed tree) and sends the results back as plain data.
 */
import { parentPort } from 'node:worker_threads';
import { extractHost, initEmbedded, type EmbeddedOptions, type HostExtract } from '../server/src/analysis/index';

export interface HostJob {
  options: EmbeddedOptions;
  files: { path: string; text: string }[];
}

export type HostJobResult = { ok: true; results: { path: string; extract: HostExtract }[] } | { ok: false; error: string };

parentPort?.once('message', (job: HostJob) => {
  void (async (): Promise<HostJobResult> => {
    try {
      await initEmbedded();
      return { ok: true, results: job.files.map((f) => ({ path: f.path, extract: extractHost(f.path, f.text, job.options) })) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  })().then((r) => parentPort!.postMessage(r));
});
