import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const createIndexConcurrently: Rule = {
  meta: { id: 'create-index-concurrently', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
