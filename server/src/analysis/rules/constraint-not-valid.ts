import { as, columnRefNames, quoteIdent, strings, walk, type Node } from '../ast';
import type { TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import type { Token } from '../tokens';
import type { Fix, TextEdit } from '../types';
import { defaultConstraintName, liveTable } from './_locking';
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

/** Where the VALIDATE statement goes: after the statement, or after the COMMIT that ends its transaction block. */
function validateAt(st: Statement): { at: number; semicolon: boolean } | undefined {
  let end: Statement = st;
  if (inTransactionBlock(st)) {
    const statements = st.file.statements;
    const commit = statements
      .slice(st.index + 1)
      .find((s) => s.kind === 'TransactionStmt' && ['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK'].includes(s.body.kind));
    if (!commit || commit.body.kind !== 'TRANS_STMT_COMMIT') return undefined;
    end = commit;
  }
  return afterSemicolon(st.file.text, end.end);
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
        'or shown empty by the same migration: file or Liquibase changeset). Not flagged: a FOREIGN KEY on a ' +
        'partitioned table (PostgreSQL 15-17 refuse NOT VALID there), constraints declared with a column in ADD ' +
        'COLUMN (NOT VALID is not accepted there), and NOT ENFORCED constraints.',
      fix:
        'Add the constraint NOT VALID, then VALIDATE it in a separate transaction. The quick fix appends NOT VALID ' +
        'and writes `ALTER TABLE … VALIDATE CONSTRAINT …;` after the statement (after the COMMIT of its transaction ' +
        'block, when it is in one). An unnamed constraint gets the name PostgreSQL would give it (`<table>_<column>_fkey`, ' +
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
  edits.push({ start: where.at, end: where.at, newText: `${where.semicolon ? ';' : ''}${validates}` });
  return { title: found.length === 1 ? 'Add NOT VALID, then VALIDATE CONSTRAINT' : 'Add each constraint NOT VALID, then VALIDATE them', edits };
}
