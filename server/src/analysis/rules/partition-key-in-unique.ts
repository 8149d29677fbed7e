import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const partitionKeyInUnique: Rule = {
  meta: { id: 'partition-key-in-unique', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
