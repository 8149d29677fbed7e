import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const selectStar: Rule = {
  meta: { id: 'select-star', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
