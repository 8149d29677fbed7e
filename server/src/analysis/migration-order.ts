/**
 * The order migration tools apply files in, from their paths alone: a version prefix of the file name or of its
 * folder (`20240101000000_x/migration.sql` for Prisma, `000012_name.up.sql` for golang-migrate, `V3__x.sql` /
 * `V1_1__x.sql` for Flyway, `20230101000000_x.sql` for sqlx, `2023-01-01-000000_x/up.sql` for Diesel), compared
 * as numbers. Files of one folder of migrations sort by version; files elsewhere keep path order. Down/undo
 * scripts, and the down sections of goose and dbmate files, are recognised so that they can be kept out of the
 * forward history.
 */

export interface MigrationKey {
  /** The folder that holds the versioned files (or versioned folders). */
  base: string;
  /** The version's numeric parts, or undefined for a file without one. */
  version?: bigint[];
  /** Flyway repeatable migrations (`R__x.sql`) run after every versioned one. */
  repeatable: boolean;
  /** A down or undo script: not part of the forward history. */
  down: boolean;
  /** The rest of the path below `base`, for ties. */
  rest: string;
}

const VERSION = /^[Vv]?(\d+(?:[._-]\d+)*)(?=[_.-]|$)/;
const DOWN_FILE = /(?:^|[._-])(?:down|undo)\.sql$/i;
const FLYWAY_UNDO = /^U\d+(?:[._]\d+)*__/;

function versionOf(segment: string): bigint[] | undefined {
  const m = VERSION.exec(segment);
  if (!m) return undefined;
  return m[1].split(/[._-]/).map((p) => BigInt(p));
}

/** True for a script that reverts a migration (`*.down.sql`, `down.sql`, `*.undo.sql`, Flyway `U3__x.sql`). */
export function isDownMigration(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return DOWN_FILE.test(name) || FLYWAY_UNDO.test(name);
}

/** goose's and dbmate's direction lines: `-- +goose Up` / `-- +goose Down`, `-- migrate:up` / `-- migrate:down`. */
const DIRECTION = /^[ \t]*--[ \t]*(?:\+goose[ \t]+|migrate:)(up|down)\b/gim;

/**
 * The parts of a file that revert its migration, as [start, end) offsets: goose and dbmate keep both directions
 * in one file, and what follows a Down line (up to the next Up line) runs only when the migration is rolled back.
 */
export function downSections(text: string): [number, number][] {
  // Rules ask once per statement: the last text's answer is kept (a file's statements are judged one after another);
  // callers read the array, never change it.
  if (text === last.text) return last.sections;
  last.text = text;
  return (last.sections = findDownSections(text));
}

const last: { text: string | undefined; sections: [number, number][] } = { text: undefined, sections: [] };

function findDownSections(text: string): [number, number][] {
  if (!text.includes('+goose') && !/migrate:/i.test(text)) return [];
  const out: [number, number][] = [];
  let downFrom = -1;
  DIRECTION.lastIndex = 0;
  for (let m = DIRECTION.exec(text); m; m = DIRECTION.exec(text)) {
    const down = m[1].toLowerCase() === 'down';
    if (down && downFrom < 0) downFrom = m.index;
    else if (!down && downFrom >= 0) {
      out.push([downFrom, m.index]);
      downFrom = -1;
    }
  }
  if (downFrom >= 0) out.push([downFrom, text.length]);
  return out;
}

const keys = new Map<string, MigrationKey>();

/** Where a path stands among its folder's migrations. */
export function migrationKey(path: string): MigrationKey {
  let k = keys.get(path);
  if (k) return k;
  const parts = path.split('/');
  const name = parts[parts.length - 1];
  const down = isDownMigration(path);
  const undo = FLYWAY_UNDO.test(name);
  const own = undo ? versionOf(name.slice(1)) : versionOf(name);
  if (own) {
    k = { base: parts.slice(0, -1).join('/'), version: own, repeatable: false, down, rest: name };
  } else if (/^R__/.test(name)) {
    k = { base: parts.slice(0, -1).join('/'), repeatable: true, down, rest: name };
  } else {
    const dir = parts.length >= 2 ? versionOf(parts[parts.length - 2]) : undefined;
    k = dir
      ? { base: parts.slice(0, -2).join('/'), version: dir, repeatable: false, down, rest: parts.slice(-2).join('/') }
      : { base: parts.slice(0, -1).join('/'), repeatable: false, down, rest: name };
  }
  if (keys.size > 100_000) keys.clear();
  keys.set(path, k);
  return k;
}

function compareVersions(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Migration order: by folder (path order), then versioned files by version (a down script right after the up
 * scripts of its version), then repeatable ones, then unversioned files, by name (a total order, for sorting).
 */
export function compareMigrationPaths(a: string, b: string): number {
  const ka = migrationKey(a);
  const kb = migrationKey(b);
  if (ka.base !== kb.base) return byString(a, b);
  const group = (k: MigrationKey) => (k.version ? 0 : k.repeatable ? 1 : 2);
  return (
    group(ka) - group(kb) ||
    (ka.version && kb.version ? compareVersions(ka.version, kb.version) : 0) ||
    Number(ka.down) - Number(kb.down) ||
    byString(ka.rest, kb.rest)
  );
}

/** True when two files belong to one migration: the same folder and the same version (a migration split in files). */
export function sameMigration(a: string, b: string): boolean {
  const ka = migrationKey(a);
  const kb = migrationKey(b);
  return ka.base === kb.base && !!ka.version && !!kb.version && compareVersions(ka.version, kb.version) === 0;
}
