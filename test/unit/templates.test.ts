import { describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { replaceTemplates } from '../../server/src/analysis/templates';
import { lintSources } from '../../server/src/analysis/engine';
import { findings, flagged, lintAll } from '../helpers';

/** The placeholder text for each template, and the parse result of the whole file. */
function replaced(sql: string) {
  const t = replaceTemplates(sql);
  expect(t?.text.length ?? sql.length).toBe(sql.length);
  return t;
}

function syntaxErrors(sql: string) {
  return findings(sql, 'syntax-error').map((f) => flagged(sql, f));
}

describe('templated SQL', () => {
  it('leaves SQL without templates alone (casts, slices, := and operators are not templates)', () => {
    const sql = "SELECT a::int, b[1:2], c[lo:hi], f(x := 1), tags <@ '{a}', d @> e, '@x :y' FROM t -- :z\n";
    expect(replaceTemplates(sql)).toBeUndefined();
  });

  it('replaces Go template actions with names of the same length, control actions with blanks', () => {
    const sql = [
      '{{- if .Create }}',
      'CREATE TABLE {{ index .Options "Namespace" }}.jobs (id bigint, name text);',
      '{{ end }}',
      'SELECT * FROM {{.Schema}}.jobs WHERE id = {{.ID}};',
    ].join('\n');
    const t = replaced(sql)!;
    expect(t.regions.map((r) => [sql.slice(r.start, r.end), r.kind])).toEqual([
      ['{{- if .Create }}', 'blank'],
      ['{{ index .Options "Namespace" }}', 'identifier'],
      ['{{ end }}', 'blank'],
      ['{{.Schema}}', 'identifier'],
      ['{{.ID}}', 'value'],
    ]);
    expect(t.text).toMatch(/^ {17}\nCREATE TABLE _[a-z]{31}\.jobs/);
    expect(t.text).toContain('WHERE id = $000001;');
    expect(syntaxErrors(sql)).toEqual([]);
  });

  it('reads psql variables and meta-commands, not casts, slices or := ', () => {
    const sql = [
      '\\set users {bob,fred}',
      "SELECT set_config('k', :'api_key', false), a[1:n], x::text FROM unnest(:'users'::text[]) u WHERE id = :id",
      '\\gexec',
      'SELECT * FROM :"schema".t',
      '\\gset',
    ].join('\n');
    const t = replaced(sql)!;
    expect(t.regions.map((r) => sql.slice(r.start, r.end))).toEqual([
      '\\set users {bob,fred}',
      ":'api_key'",
      ":'users'",
      ':id',
      '\\gexec',
      ':"schema"',
      '\\gset',
    ]);
    // \gexec sends the buffer: it ends the statement.
    expect(t.text).toContain('\n;     \n');
    const parsed = new ParsedFile('a.sql', sql);
    expect(parsed.statements.map((s) => [s.kind, !!s.error])).toEqual([
      ['SelectStmt', false],
      ['SelectStmt', false],
    ]);
    // Statement text is the file's text; the parser read the placeholders.
    expect(parsed.statements[1].text).toBe('SELECT * FROM :"schema".t');
    expect(parsed.statements[1].sqlText).toMatch(/^SELECT \* FROM _[a-z]{8}\.t$/);
  });

  it('replaces sqlc parameters and @name with parameters, not the @> or <@ operators', () => {
    const sql = "SELECT * FROM t WHERE a = sqlc.arg(a) AND b = @b AND c IN (sqlc.slice(ids)) AND d @> e AND f <@ g AND h = sqlc.narg('h');";
    const t = replaced(sql)!;
    expect(t.regions.map((r) => sql.slice(r.start, r.end))).toEqual(['sqlc.arg(a)', '@b', 'sqlc.slice(ids)', "sqlc.narg('h')"]);
    expect(t.text).toContain('a = $0000000001 AND b = $1 AND c IN ($00000000000001)');
  });

  it("reads umami's {{name::type}} as a parameter and @extschema:name@ as a schema", () => {
    const sql = 'SELECT x::@extschema:vector@.vector FROM website_event WHERE website_id = {{websiteId::uuid}} AND created_at > {{startDate}};';
    const t = replaced(sql)!;
    expect(t.regions.map((r) => [sql.slice(r.start, r.end), r.kind])).toEqual([
      ['@extschema:vector@', 'identifier'],
      ['{{websiteId::uuid}}', 'value'],
      ['{{startDate}}', 'value'],
    ]);
    expect(syntaxErrors(sql)).toEqual([]);
  });

  it('still reports real syntax errors, and an unterminated template stays one', () => {
    expect(syntaxErrors('SELECT id, FROM {{.T}};')).toEqual(['FROM']);
    const unterminated = 'SELECT * FROM {{.Schema.t WHERE id = 1;';
    expect(findings(unterminated, 'syntax-error')).toHaveLength(1);
  });

  it('keeps findings at the exact original offsets, after templates of any width', () => {
    const sql = '-- +goose Up\nSELECT * FROM {{ index .Options "Namespace" }}.events WHERE kind = :\'kind\' ORDER BY id LIMIT 20 OFFSET 1000;\n';
    const f = findings(sql, 'offset-pagination');
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toMatch(/^OFFSET 1000/);
  });

  it('never offers a fix in a statement that holds a template', () => {
    const plain = 'CREATE TABLE jobs (id bigint, tenant text);\n-- next\nCREATE INDEX jobs_tenant ON jobs (tenant);\n';
    const templated = 'CREATE TABLE jobs (id bigint, tenant text);\n-- next\nCREATE INDEX {{.Name}} ON jobs (tenant);\n';
    const withFix = (sql: string) =>
      findings({ '1.sql': sql.split('-- next\n')[0], '2.sql': sql.split('-- next\n')[1] }, 'create-index-concurrently', undefined, '2.sql');
    const a = withFix(plain);
    const b = withFix(templated);
    expect(a).toHaveLength(1);
    expect(a[0].fix).toBeDefined();
    expect(b).toHaveLength(1);
    expect(b[0].fix).toBeUndefined();
  });

  it('applies configured patterns, and the same text gives the same placeholder name', () => {
    const sql = 'SELECT * FROM subscribers ORDER BY %order% LIMIT 10;';
    expect(syntaxErrors(sql)).toEqual(['%']);
    const parsed = new ParsedFile('q.sql', sql, undefined, undefined, { templates: [{ regex: /%[a-z_]+%/, as: 'identifier' }] });
    expect(parsed.statements.map((s) => s.kind)).toEqual(['SelectStmt']);
    expect(replaceTemplates('a {{.X}} b {{.X}}')!.text).toMatch(/^a (_[a-z]{5}) b \1$/);
  });

  it('survives hostile input quickly: many templates, an unterminated one, a huge line', () => {
    const many = 'SELECT ' + Array.from({ length: 20000 }, (_, i) => `{{.F${i}}}`).join(', ') + ' FROM t WHERE a = :v;\n{{ never closed';
    const t0 = performance.now();
    const result = lintSources([{ path: 'h.sql', text: many }]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(result.internalErrors).toEqual([]);
    // Past MAX_ANALYSED_CHARS: read for syntax only, which the psql variable passes (no error, the too-large notice).
    const huge = "SELECT '" + 'x'.repeat(500_000) + "' FROM t WHERE a = :'v';";
    expect(
      lintAll(huge)
        .filter((f) => f.ruleId === 'syntax-error')
        .map((f) => [f.severity, f.messageId]),
    ).toEqual([['info', 'tooLarge']]);
  });
});
