import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const splitTenantIndexes: Rule = {
  meta: { id: 'split-tenant-indexes', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
