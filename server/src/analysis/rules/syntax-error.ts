import { MAX_ANALYSED_CHARS } from '../pg';
import { defineRule } from '../rule';

/** The span of the token at the parser's cursor (a word, a quoted literal, or one character). */
const TOKEN = /^(?:[\p{L}\p{N}_$]+|'[^'\r\n]*'?|"[^"\r\n]*"?|\S)/u;

export const syntaxError = defineRule({
  meta: {
    id: 'syntax-error',
    category: 'correctness',
    severity: 'error',
    fixable: false,
    docs: {
      summary: 'A statement the real PostgreSQL parser rejects.',
      why:
        "pgperf parses with PostgreSQL's own parser (libpg_query), so this is the error the server would raise. " +
        'The other statements of the file are still analysed; this one is not. A routine body PostgreSQL checks only ' +
        'when it runs (PL/pgSQL) is not reported: its queries are analysed where they parse.',
      fix:
        'Correct the statement at the marked position. Templates are read before parsing and are not errors: Go ' +
        "templates ({{ … }}), psql meta-commands and variables (\\set, :name, :'name'), sqlc parameters, " +
        "@extschema@; add a project's own with `templates` in .pgperf.json.",
      bad: 'SELECT id, FROM users;',
      good: 'SELECT id FROM users;',
    },
    // The parser's own message, as PostgreSQL would raise it.
    messages: {
      parser: '{{message}}',
      tooDeep:
        'This statement is nested too deeply for pgperf to analyse (a chain of thousands of operators, set operations, ' +
        'joins or nested subqueries); no rule checked it.',
      tooLarge:
        'This statement is {{chars}} characters long, more than the {{max}} pgperf analyses (a generated list or chain of ' +
        'tens of thousands of terms); PostgreSQL parses it, and no rule checked it.',
    },
  },
  rejected: true,
  check({ statement, file, report }) {
    const err = statement.error!;
    if (err.tooLarge) {
      const m = TOKEN.exec(file.text.slice(statement.start, statement.start + 200));
      report({
        start: statement.start,
        end: statement.start + (m ? m[0].length : 1),
        messageId: 'tooLarge',
        data: { chars: (statement.end - statement.start).toLocaleString('en-US'), max: MAX_ANALYSED_CHARS.toLocaleString('en-US') },
        severity: 'info',
      });
      return;
    }
    if (err.tooDeep) {
      // Not an error in the SQL: marked on its first word, as information.
      const m = TOKEN.exec(file.text.slice(statement.start, Math.min(statement.end, statement.start + 200)));
      report({ start: statement.start, end: statement.start + (m ? m[0].length : 1), messageId: 'tooDeep', severity: 'info' });
      return;
    }
    let start = Math.min(err.offset, statement.end);
    let end: number;
    if (start >= statement.end) {
      // "at end of input": mark the statement's last character.
      start = Math.max(statement.start, statement.end - 1);
      end = statement.end;
    } else {
      const m = TOKEN.exec(file.text.slice(start, Math.min(statement.end, start + 200)));
      end = start + (m ? m[0].length : 1);
    }
    report({ start, end, messageId: 'parser', data: { message: err.message } });
  },
});
