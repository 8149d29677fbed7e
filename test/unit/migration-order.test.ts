import { describe, expect, it } from 'vitest';
import { compareMigrationPaths, downSections, isDownMigration, sameMigration } from '../../server/src/analysis/migration-order';

const sorted = (paths: string[]) => [...paths].sort(compareMigrationPaths);

describe('migration order', () => {
  it('orders Flyway versions numerically, not as text (V10 after V9, V1_1 between V1 and V2)', () => {
    expect(sorted(['m/V10__c.sql', 'm/V2__b.sql', 'm/V1__a.sql', 'm/V1_1__a2.sql', 'm/V9__x.sql', 'm/R__views.sql'])).toEqual([
      'm/V1__a.sql',
      'm/V1_1__a2.sql',
      'm/V2__b.sql',
      'm/V9__x.sql',
      'm/V10__c.sql',
      'm/R__views.sql',
    ]);
  });

  it('orders golang-migrate and quickwit numbers, a down script right after its up script', () => {
    expect(sorted(['m/10_c.up.sql', 'm/2_b.down.sql', 'm/2_b.up.sql', 'm/000001_a.up.sql'])).toEqual([
      'm/000001_a.up.sql',
      'm/2_b.up.sql',
      'm/2_b.down.sql',
      'm/10_c.up.sql',
    ]);
  });

  it('orders Prisma and Diesel folders by the version of the folder', () => {
    expect(sorted(['p/20240201000000_b/migration.sql', 'p/20240101000000_a/migration.sql', 'p/9_early/migration.sql'])).toEqual([
      'p/9_early/migration.sql',
      'p/20240101000000_a/migration.sql',
      'p/20240201000000_b/migration.sql',
    ]);
    expect(sorted(['d/2023-01-02-000000_b/up.sql', 'd/2023-01-01-000000_a/down.sql', 'd/2023-01-01-000000_a/up.sql'])).toEqual([
      'd/2023-01-01-000000_a/up.sql',
      'd/2023-01-01-000000_a/down.sql',
      'd/2023-01-02-000000_b/up.sql',
    ]);
  });

  it('keeps folders apart in path order and unversioned files after versioned ones', () => {
    expect(sorted(['b/1_x.sql', 'a/2_y.sql', 'a/schema.sql', 'a/10_z.sql'])).toEqual(['a/2_y.sql', 'a/10_z.sql', 'a/schema.sql', 'b/1_x.sql']);
  });

  it('recognises down and undo scripts', () => {
    for (const p of ['m/1_a.down.sql', 'd/2023-01-01-000000_a/down.sql', 'm/V1__a.undo.sql', 'm/U3__a.sql']) expect(isDownMigration(p), p).toBe(true);
    for (const p of ['m/1_a.up.sql', 'm/downloads.sql', 'm/V3__a.sql', 'p/20240101_x/migration.sql']) expect(isDownMigration(p), p).toBe(false);
  });

  it('knows the files of one migration version', () => {
    expect(sameMigration('m/000012_a.up.sql', 'm/12_b.up.sql')).toBe(true);
    expect(sameMigration('m/000012_a.up.sql', 'm/13_b.up.sql')).toBe(false);
    expect(sameMigration('m/12_a.up.sql', 'other/12_a.up.sql')).toBe(false);
    expect(sameMigration('m/schema.sql', 'm/schema2.sql')).toBe(false);
  });

  it('finds the down sections of goose and dbmate files: from the Down line to a later Up line or the end', () => {
    const goose = '-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE a (x int);\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE a;\n';
    const down = goose.indexOf('-- +goose Down');
    expect(downSections(goose)).toEqual([[down, goose.length]]);
    const twice = '-- +goose Up\nA;\n-- +goose Down\nB;\n  --  +goose up\nC;\n';
    expect(downSections(twice).map(([s, e]) => twice.slice(s, e))).toEqual(['-- +goose Down\nB;\n']);
    const dbmate = '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n-- migrate:down\nDROP INDEX i;\n';
    expect(downSections(dbmate).map(([s, e]) => dbmate.slice(s, e))).toEqual(['-- migrate:down\nDROP INDEX i;\n']);
  });

  it('a file without direction lines, or with the words elsewhere than at a comment line start, has no down section', () => {
    expect(downSections('CREATE TABLE a (x int);\nDROP TABLE a;')).toEqual([]);
    expect(downSections("SELECT '-- +goose Down';\nDROP TABLE a; -- +goose Down")).toEqual([]);
    expect(downSections('-- +goose Downgrade notes\nDROP TABLE a;')).toEqual([]);
  });
});
