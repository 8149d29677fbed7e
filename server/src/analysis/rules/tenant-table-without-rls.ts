import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const tenantTableWithoutRls: Rule = {
  meta: { id: 'tenant-table-without-rls', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
