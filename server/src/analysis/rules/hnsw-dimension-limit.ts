import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const hnswDimensionLimit: Rule = {
  meta: { id: 'hnsw-dimension-limit', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
