import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const tenantIndexOrder: Rule = {
  meta: { id: 'tenant-index-order', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
