import { it } from 'vitest';
import { parseFile } from '../../server/src/analysis/parse';
import { walk } from '../../server/src/analysis/ast';

it('explore', () => {
  for (const sql of [
    "SELECT 1 FROM t WHERE (a = 1 OR a = 2) AND b IS NULL",
    "SELECT 1 FROM t WHERE a = 'x'::character varying OR a = $1::timestamp with time zone",
    "SELECT 1 FROM t WHERE a = interval '1 day' OR a = now() - interval '2 days' OR a = CAST($1 AS double precision)",
    "SELECT 1 FROM t WHERE a = 1 OR b IS NOT NULL OR c BETWEEN 1 AND 2 OR d IN (1,2) OR e = ANY(ARRAY[1]) OR f IS TRUE",
    "SELECT t.*, u . * FROM t JOIN u ON t.x = u.x ORDER BY ts DESC NULLS LAST LIMIT 10 OFFSET ($1) ROWS",
    "SELECT 1 FROM t WHERE a = lower('X') OR a = CASE WHEN b THEN 1 END OR a = coalesce(b, 1)",
  ]) {
    const f = parseFile('x.sql', sql);
    const st = f.statements[0];
    console.log('---', sql);
    walk(st.ast, (type, node) => {
      const s = st.span({ [type]: node });
      if (s) console.log(type.padEnd(12), JSON.stringify(sql.slice(s.start, s.end)));
    });
  }
});
