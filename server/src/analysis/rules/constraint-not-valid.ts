import { as, columnRefNames, quoteIdent, strings, walk, type Node } from '../ast';
import type { TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import type { Token } from '../tokens';
import type { Fix, TextEdit } from '../types';
import { defaultConstraintName, liveTable, migrationRunAt } from './_locking';
import { inTransactionBlock, relationRange } from './_tenancy';

/** The distinct columns a CHECK expression reads (PostgreSQL names the constraint after the column when there is one). */
function checkColumns(expr: unknown): string[] {
  const out = new Set<string>();
  walk(expr, (type, n) => {
    const name = type === 'ColumnRef' ? columnRefNames(n).at(-1) : undefined;
    if (name) out.add(name);
  });
  return [...out];
}

/** The code tokens of the constraint clause: from its start to the last token before a top-level `,` or the end. */
function clauseTokens(st: Statement, c: Node): Token[] | undefined {
  const code = st.codeTokens();
  const at = st.loc(c.location);
  let i = code.findIndex((t) => t.start === at);
  if (i < 0) return undefined;
  const out: Token[] = [];
  let depth = 0;
  for (; i < code.length; i++) {
    const t = code[i];
    if (depth === 0 && (t.text === ',' || t.text === ';')) break;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    out.push(t);
  }
  return out;
}

/** The `author:id` of a Liquibase changeset comment line. */
const CHANGESET_LINE = /^[ \t]*--[ \t]*changeset[ \t]+(\S+:\S+)/i;

/**
 * Where the VALIDATE statements go, and what comes before them: after the statement, or after the COMMIT that ends
 * its transaction block, or, in a Liquibase changeset (one transaction), in a changeset of its own after the
 * changeset's last statement (`--changeset author:id-validate`). Undefined when there is no such place.
 */
function validateAt(st: Statement): { at: number; semicolon: boolean; header: string } | undefined {
  const text = st.file.text;
  if (inTransactionBlock(st)) {
    const statements = st.file.statements;
    const commit = statements
      .slice(st.index + 1)
      .find((s) => s.kind === 'TransactionStmt' && ['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK'].includes(s.body.kind));
    if (!commit || commit.body.kind !== 'TRANS_STMT_COMMIT') return undefined;
    return { ...afterSemicolon(text, commit.end), header: '' };
  }
  if (inLiquibaseTransaction(st)) {
    const run = migrationRunAt(st.file, st.start);
    const eol = text.indexOf('\n', run);
    const id = CHANGESET_LINE.exec(text.slice(run, eol < 0 ? text.length : eol))?.[1];
    const last = st.file.statements.filter((s) => !s.container && migrationRunAt(st.file, s.start) === run).at(-1);
    if (!id || !last) return undefined;
    return { ...afterSemicolon(text, last.end), header: `\n--changeset ${id}-validate` };
  }
  return { ...afterSemicolon(text, st.end), header: '' };
}

/** Just after the `;` that ends a statement ending at `end` (white space and comments may come first), or `end` when there is none. */
function afterSemicolon(text: string, end: number): { at: number; semicolon: boolean } {
  let i = end;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith('--', i)) i = text.includes('\n', i) ? text.indexOf('\n', i) : text.length;
    else if (text.startsWith('/*', i) && text.includes('*/', i)) i = text.indexOf('*/', i) + 2;
    else break;
  }
  return text[i] === ';' ? { at: i + 1, semicolon: false } : { at: end, semicolon: true };
}

const LIQUIBASE_NO_TRANSACTION = /runInTransaction:\s*false/i;

/**
 * The statements that run in one transaction with `st`, before it: those since the BEGIN of its explicit transaction
 * block, or, in a Liquibase formatted-SQL file, those of its changeset (Liquibase runs each changeset in a
 * transaction unless it says `runInTransaction:false`). Undefined when the file shows no such transaction.
 */
function sameTransactionBefore(st: Statement): Statement[] | undefined {
  const earlier = st.file.statements.slice(0, st.index).filter((s) => !s.container);
  if (inTransactionBlock(st)) {
    let begin = earlier.length - 1;
    while (begin >= 0 && !(earlier[begin].kind === 'TransactionStmt' && ['TRANS_STMT_BEGIN', 'TRANS_STMT_START'].includes(earlier[begin].body.kind))) begin--;
    return begin >= 0 ? earlier.slice(begin + 1) : undefined;
  }
  if (!inLiquibaseTransaction(st)) return undefined;
  const run = migrationRunAt(st.file, st.start);
  return earlier.filter((s) => migrationRunAt(st.file, s.start) === run);
}

/** True when the statement is in a changeset of a Liquibase formatted-SQL file that runs in a transaction (the default). */
function inLiquibaseTransaction(st: Statement): boolean {
  const text = st.file.text;
  const run = migrationRunAt(st.file, st.start);
  if (run === 0 || !/^\s*--\s*liquibase\s+formatted\s+sql\b/i.test(text)) return false;
  const eol = text.indexOf('\n', run);
  return !LIQUIBASE_NO_TRANSACTION.test(text.slice(run, eol < 0 ? text.length : eol));
}

/** The name of each constraint an ALTER TABLE adds NOT VALID (PostgreSQL's default name when unnamed). */
function addedNotValid(s: Statement, relname: string): string[] {
  if (s.kind !== 'AlterTableStmt' || !s.hasAst || s.body.relation?.relname !== relname) return [];
  const out: string[] = [];
  for (const raw of s.body.cmds ?? []) {
    const cmd = as(raw, 'AlterTableCmd');
    const c = cmd?.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
    if (!c?.skip_validation || (c.contype !== 'CONSTR_FOREIGN' && c.contype !== 'CONSTR_CHECK')) continue;
    const kind = c.contype === 'CONSTR_FOREIGN' ? 'fkey' : 'check';
    out.push(c.conname ?? defaultConstraintName(relname, kind, kind === 'fkey' ? strings(c.fk_attrs) : checkColumns(c.raw_expr)));
  }
  return out;
}

/** VALIDATE CONSTRAINT of a constraint this same transaction added NOT VALID: its lock is still held while it scans. */
function validatesInSameTransaction(st: Statement): { cmd: Node; name: string }[] {
  const relname: string | undefined = st.body.relation?.relname;
  const validates = ((st.body.cmds ?? []) as Node[]).map((r) => as(r, 'AlterTableCmd')).filter((c): c is Node => c?.subtype === 'AT_ValidateConstraint');
  if (!relname || validates.length === 0) return [];
  const before = sameTransactionBefore(st);
  if (!before) return [];
  const added = new Set(before.flatMap((s) => addedNotValid(s, relname)));
  return validates.filter((c) => added.has(c.name)).map((cmd) => ({ cmd, name: cmd.name as string }));
}

interface Found {
  c: Node;
  kind: 'fkey' | 'check';
  clause: Token[];
}

export const constraintNotValid = defineRule({
  // Reads the file's earlier statements (an open BEGIN, the table's CREATE in this migration).
  crossStatement: true,
  meta: {
    id: 'constraint-not-valid',
    category: 'locking',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'ADD FOREIGN KEY / CHECK without NOT VALID on a table an earlier migration created: a full scan under the lock.',
      why:
        'Adding a CHECK constraint checks every existing row while ALTER TABLE holds an ACCESS EXCLUSIVE lock (no ' +
        'reads or writes); adding a FOREIGN KEY checks every row against the referenced table while holding SHARE ' +
        'ROW EXCLUSIVE locks on both tables (no writes to either). On a large table that scan takes minutes. ' +
        'With NOT VALID the constraint is added at once (the lock is held only for the catalog change) and ' +
        'enforced for every new and updated row from then on; `ALTER TABLE … VALIDATE CONSTRAINT` then checks the ' +
        'existing rows under a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on. The rule reads the ' +
        'workspace as a migration history and fires only on a table an earlier migration created (not one created ' +
        'or shown empty by the same migration: file or Liquibase changeset, or the baseline schema/ folder beside migrations/). Not flagged: a FOREIGN KEY on a ' +
        'partitioned table (PostgreSQL 15-17 refuse NOT VALID there), constraints declared with a column in ADD ' +
        'COLUMN (NOT VALID is not accepted there), and NOT ENFORCED constraints. It also flags a VALIDATE CONSTRAINT ' +
        'in the same transaction as the ADD … NOT VALID of that constraint (an explicit BEGIN … COMMIT, or one Liquibase ' +
        'changeset): the ADD\u2019s lock is held until COMMIT, so the scan blocks as before.',
      fix:
        'Add the constraint NOT VALID, then VALIDATE it in a separate transaction. The quick fix appends NOT VALID ' +
        'and writes `ALTER TABLE … VALIDATE CONSTRAINT …;` after the statement (after the COMMIT of its transaction ' +
        'block, when it is in one; in a Liquibase changeset, in a changeset of its own after that one\u2019s last ' +
        'statement, `--changeset <author>:<id>-validate`). An unnamed constraint gets the name PostgreSQL would give it (`<table>_<column>_fkey`, ' +
        '`<table>_<column>_check` or `<table>_check`, shortened to 63 bytes as PostgreSQL does), written out so that the ' +
        'VALIDATE names the same constraint; if that name is taken, the ADD fails rather than validating another ' +
        'constraint. When the migration tool runs the whole file in one transaction (Prisma, sqlx, Flyway, ' +
        'golang-migrate and others by default), move the VALIDATE to the next migration: in the same transaction ' +
        'the first lock is still held while it scans. In SQL embedded in code there is no quick fix.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE tenants (id int PRIMARY KEY);\n' +
        'CREATE TABLE sessions (tenant_id int, status text);\n\n' +
        '-- a later release: sessions holds data by now\n--changeset alice:2\n' +
        'ALTER TABLE sessions ADD CONSTRAINT sessions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id);',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE tenants (id int PRIMARY KEY);\n' +
        'CREATE TABLE sessions (tenant_id int, status text);\n\n' +
        '--changeset alice:2\n' +
        'ALTER TABLE sessions ADD CONSTRAINT sessions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) NOT VALID;\n\n' +
        '--changeset alice:3\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;',
    },
    messages: {
      foreignKey:
        'ADD FOREIGN KEY on table {{table}} (created in {{createdIn}}) checks every existing row while it holds SHARE ROW EXCLUSIVE ' +
        'locks on {{table}} and {{referenced}} (no writes to either until the scan ends). Add it NOT VALID and VALIDATE CONSTRAINT ' +
        '{{name}} in a separate transaction: that scan lets reads and writes go on.',
      validateInSameTransaction:
        'VALIDATE CONSTRAINT {{name}} runs in the same transaction as the ADD CONSTRAINT … NOT VALID before it, whose lock on ' +
        '{{table}} is held until COMMIT: the scan blocks as if NOT VALID had not been written. VALIDATE it in a later transaction ' +
        '(COMMIT first, or a migration of its own).',
      check:
        'ADD CHECK on table {{table}} (created in {{createdIn}}) checks every existing row while it holds an ACCESS EXCLUSIVE lock ' +
        '(no reads or writes until the scan ends). Add it NOT VALID and VALIDATE CONSTRAINT {{name}} in a separate transaction: ' +
        'that scan lets reads and writes go on.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'AlterTableStmt') return;
    const b = st.body;
    if (b.objtype && b.objtype !== 'OBJECT_TABLE') return;
    const sameTransaction = validatesInSameTransaction(st);
    if (sameTransaction.length > 0) {
      const live = liveTable(st, catalog, b.relation);
      const code = st.codeTokens();
      const validate = code.find((t) => t.keyword === 'VALIDATE');
      if (live && validate)
        for (const v of sameTransaction)
          report({
            start: validate.start,
            end: code[code.indexOf(validate) + 1]?.end ?? validate.end,
            messageId: 'validateInSameTransaction',
            data: { table: display(live), name: quoteIdent(v.name) },
          });
    }
    const found: Found[] = [];
    for (const raw of b.cmds ?? []) {
      const cmd = as(raw, 'AlterTableCmd');
      const c = cmd?.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
      if (!c || c.skip_validation || c.is_enforced === false) continue;
      if (c.contype !== 'CONSTR_FOREIGN' && c.contype !== 'CONSTR_CHECK') continue;
      const clause = clauseTokens(st, c);
      if (clause) found.push({ c, kind: c.contype === 'CONSTR_FOREIGN' ? 'fkey' : 'check', clause });
    }
    if (found.length === 0) return;
    const table = liveTable(st, catalog, b.relation);
    if (!table) return;
    const flagged = found.filter((f) => !(f.kind === 'fkey' && table.partition)); // PostgreSQL 15-17: no NOT VALID foreign key on a partitioned table
    if (flagged.length === 0) return;
    const named = flagged.map((f) => ({
      ...f,
      name: f.c.conname ?? defaultConstraintName(table.name, f.kind, f.kind === 'fkey' ? strings(f.c.fk_attrs) : checkColumns(f.c.raw_expr)),
    }));
    // One fix for the statement, offered on each of its findings: their VALIDATEs go to the same place.
    const head = relationRange(st, b.relation);
    const first = st.codeTokens()[0];
    const fix = head && first ? fixOf(st, named, st.file.text.slice(first.start, head.end)) : undefined;
    for (const f of named) {
      const keyword = f.clause.find((t) => t.keyword === (f.kind === 'fkey' ? 'KEY' : 'CHECK'));
      report({
        start: f.clause[0].start,
        end: keyword?.end ?? f.clause[0].end,
        messageId: f.kind === 'fkey' ? 'foreignKey' : 'check',
        data: { table: display(table), createdIn: table.created!.file.path, referenced: f.c.pktable ? displayRv(f.c.pktable) : '', name: quoteIdent(f.name) },
        fix,
      });
    }
  },
});

const display = (t: TableInfo) => (t.schema === 'public' ? t.name : `${t.schema}.${t.name}`);
const displayRv = (rv: Node) => (rv.schemaname ? `${rv.schemaname}.${rv.relname}` : String(rv.relname));

/** NOT VALID at the end of each clause (and the name PostgreSQL would give, when unnamed), their VALIDATEs after the statement. */
function fixOf(st: Statement, found: (Found & { name: string })[], alterHead: string): Fix | undefined {
  if (st.file.host) return undefined; // one string, one statement: the VALIDATE belongs in a later migration
  const where = validateAt(st);
  if (!where) return undefined;
  const edits: TextEdit[] = [];
  for (const f of found) {
    if (!f.c.conname) edits.push({ start: f.clause[0].start, end: f.clause[0].start, newText: `CONSTRAINT ${quoteIdent(f.name)} ` });
    const last = f.clause[f.clause.length - 1];
    edits.push({ start: last.end, end: last.end, newText: ' NOT VALID' });
  }
  const validates = found.map((f) => `\n${alterHead} VALIDATE CONSTRAINT ${quoteIdent(f.name)};`).join('');
  edits.push({ start: where.at, end: where.at, newText: `${where.semicolon ? ';' : ''}${where.header}${validates}` });
  return { title: found.length === 1 ? 'Add NOT VALID, then VALIDATE CONSTRAINT' : 'Add each constraint NOT VALID, then VALIDATE them', edits };
}
