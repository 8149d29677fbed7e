/** Per-test set-up for the protocol tests: a temp workspace on disk, a server on it, cleanup after each test. */
import { afterAll, afterEach } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { closeAllClients, fileUri, LspClient, makeWorkspace, removeWorkspace, type Settings } from './client';

const dirs: string[] = [];

afterEach(async () => {
  await closeAllClients();
  for (const d of dirs.splice(0)) removeWorkspace(d);
});
afterAll(async () => {
  await closeAllClients();
});

export interface Session {
  dir: string;
  client: LspClient;
  uri(rel: string): string;
}

/**
 * Writes `files` into a fresh temp folder, starts the built server there, initializes it with that folder and
 * waits for the first `pgperf/status` 'ready' (the end of the workspace scan).
 */
export async function start(files: Record<string, string | Uint8Array> = {}, settings: Settings = {}, waitReady = true): Promise<Session> {
  const dir = makeWorkspace(files);
  dirs.push(dir);
  const client = LspClient.start({ cwd: dir, settings });
  await client.initialize(dir);
  if (waitReady) await client.waitForStatus((s) => s.state === 'ready', 15_000);
  return { dir, client, uri: (rel) => fileUri(`${dir}/${rel}`) };
}

export const codes = (ds: Diagnostic[]): string[] => ds.map((d) => String(d.code)).sort();
export const has = (rule: string) => (ds: Diagnostic[]) => ds.some((d) => d.code === rule);
export const hasNot = (rule: string) => (ds: Diagnostic[]) => !ds.some((d) => d.code === rule);
export const of = (ds: Diagnostic[], rule: string): Diagnostic[] => ds.filter((d) => d.code === rule);
export const messageOf = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);
