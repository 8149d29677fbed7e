import type { Rule } from '../rule';

/** Reported by the engine once suppressions are matched against findings; it has no statement check. */
export const unusedSuppression: Rule = {
  meta: {
    id: 'unused-suppression',
    severity: 'info',
    fixable: true,
    docs: {
      summary: 'A `-- pgperf-ignore` comment that suppresses nothing, or names an unknown rule.',
      why:
        'A suppression outlives the code it was written for: once the statement is fixed or moved it silently ' +
        'hides the next problem. Reporting it keeps suppressions honest.',
      fix: 'Remove the comment (the quick fix does), or correct the rule id.',
      bad: '-- pgperf-ignore vacuum-full: legacy report\nSELECT id FROM users;',
      good: 'SELECT id FROM users;',
    },
  },
  check() {},
};
