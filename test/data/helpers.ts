/** Shared by the synthetic-data tests: an embedded database holding a schema, loaded as the CLI loads a workspace's. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openEmbedded, type EmbeddedDatabase } from '../../database/connection/embedded';
import { loadSchema, type LoadResult } from '../../database/connection/load-ddl';
import { quoteIdent } from '../../database/connection/quote';
import type { Database } from '../../database/connection/types';
import { orderedDdl, ParsedFile } from '../../server/src/analysis/index';

export const ROOT = join(__dirname, '..', '..');

/** The .sql files under a folder, recursively. */
export function sqlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sqlFiles(p));
    else if (name.endsWith('.sql')) out.push(p);
  }
  return out;
}

/** A fresh embedded database with `files` (or SQL text) loaded in dependency order, as `pgperf explain` does. */
export async function embeddedWith(sources: { path: string; text: string }[]): Promise<{ db: EmbeddedDatabase; load: LoadResult }> {
  const db = await openEmbedded({ sharedBuffers: '64MB' });
  const parsed = sources.map((s) => new ParsedFile(s.path, s.text));
  const load = await loadSchema(
    db,
    orderedDdl(parsed).map((d) => ({ file: d.file, text: d.text, line: d.line })),
  );
  return { db, load };
}

export function readSources(files: string[]): { path: string; text: string }[] {
  return files.map((f) => ({ path: relative(ROOT, f), text: readFileSync(f, 'utf8') }));
}

export async function rows(db: Database, sql: string): Promise<Record<string, unknown>[]> {
  const s = await db.session();
  try {
    return (await s.query(sql)).rows;
  } finally {
    await s.release();
  }
}

/** An md5 over every row of every user table, in a fixed order: equal for equal data. */
export async function checksum(db: Database): Promise<string> {
  const tables = await rows(
    db,
    `select n.nspname as s, c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'
     order by 1, 2`,
  );
  const parts: string[] = [];
  for (const { s, t } of tables) {
    const q = `${quoteIdent(String(s))}.${quoteIdent(String(t))}`;
    const [r] = await rows(db, `select count(*)::text || ':' || coalesce(md5(string_agg(x::text, E'\\n' order by x::text)), '') as h from ${q} x`);
    parts.push(`${String(s)}.${String(t)}=${String(r!.h)}`);
  }
  return parts.join('\n');
}
