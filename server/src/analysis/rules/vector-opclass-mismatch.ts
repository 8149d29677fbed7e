import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const vectorOpclassMismatch: Rule = {
  meta: { id: 'vector-opclass-mismatch', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
