import { DEFAULT_EMBEDDED_OPTIONS } from '../../server/src/analysis/host/options';
import { hostParseTimeout } from '../../server/src/analysis/rules/host-parse-timeout';
import { ruleTester } from '../rule-tester';

/** About 200 KB of ordinary TypeScript with a query in it: parsed in tens of ms, far more than 1 ms. */
const BIG_TS =
  Array.from({ length: 4_000 }, (_, i) => `export const v${i} = (a: number, b: string) => ({ a: a + ${i}, b: b.trim() });`).join('\n') +
  "\nexport const page = (db: any) => db.query('SELECT id FROM orders ORDER BY id LIMIT 20 OFFSET 4000');\n";

/**
 * Go whose parse is quadratic in tree-sitter's error recovery: 600 unclosed parentheses before a list (measured:
 * 15 KB 0.4 s, 30 KB 1.4 s, 60 KB 5.6 s; this one, 120 KB, is over 20 s without a bound). With a query, so that
 * the file is parsed at all (one without a SQL-looking string is not).
 */
const SLOW_GO = `package x\n\nfunc q(db *sql.DB) { db.Query("VACUUM FULL t") }\n\nvar x = ${'('.repeat(600)}${'1, '.repeat(40_000)}\n`;

const withBound = (parseTimeoutMs: number) => ({ embedded: { ...DEFAULT_EMBEDDED_OPTIONS, parseTimeoutMs } });

ruleTester(hostParseTimeout, {
  valid: [
    { name: 'a code file parsed within its bound', code: "export const q = (db: any) => db.query('SELECT id FROM orders');\n", filename: 'src/orders.ts' },
    { name: 'a 200 KB file with the bound turned off (0)', code: BIG_TS, filename: 'src/big.ts', config: withBound(0) },
    { name: 'the same file within the default bound', code: BIG_TS, filename: 'src/big2.ts' },
  ],
  invalid: [
    {
      name: 'a 200 KB file with a bound of 1 ms per MB',
      code: BIG_TS,
      filename: 'src/big.ts',
      config: withBound(1),
      errors: [
        {
          messageId: 'timeout',
          message: 'pgperf did not read the SQL strings of this TypeScript file: parsing it took longer than 1 ms (embedded.parseTimeoutMs).',
          line: 1,
          column: 1,
          text: BIG_TS.slice(0, BIG_TS.indexOf('\n')),
          severity: 'info',
        },
      ],
      output: null,
    },
    {
      name: 'Go the parser recovers from for seconds, with the default bound',
      code: SLOW_GO,
      filename: 'db/x.go',
      errors: [{ message: /this Go file: parsing it took longer than 500 ms/, line: 1, column: 1, text: 'package x' }],
      output: null,
    },
  ],
});
