import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const hnswBuildParams: Rule = {
  meta: { id: 'hnsw-build-params', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
