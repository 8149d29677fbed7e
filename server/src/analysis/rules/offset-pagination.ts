import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const offsetPagination: Rule = {
  meta: { id: 'offset-pagination', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
