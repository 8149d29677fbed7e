import { describe, expect, it } from 'vitest';
import { findings, flagged } from '../helpers';

const RULE = 'vacuum-full';

describe(RULE, () => {
  it.each([
    ['VACUUM FULL sessions;', 'FULL'],
    ['VACUUM FULL ANALYZE llmspell.procedural_patterns;', 'FULL'],
    ['vacuum (analyze, full) t;', 'full'],
    ['VACUUM (FULL true) t;', 'FULL'],
  ])('fires on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].fix).toBeUndefined();
  });

  it.each(['VACUUM sessions;', 'VACUUM (ANALYZE, VERBOSE) app.sessions;', 'VACUUM (FULL false) t;', 'ANALYZE t;', "SELECT 'VACUUM FULL';"])(
    'does not fire on %s',
    (sql) => {
      expect(findings(sql, RULE)).toEqual([]);
    },
  );
});
