import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const hnswEfSearch: Rule = {
  meta: { id: 'hnsw-ef-search', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
