import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const partitionRangeMissing: Rule = {
  meta: { id: 'partition-range-missing', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
