import type { Rule } from '../rule';

// PLACEHOLDER: replaced by the rule's implementation.
export const orChain: Rule = {
  meta: { id: 'or-chain', severity: 'warning', fixable: false, docs: { summary: 'TODO', why: 'TODO', fix: 'TODO' } },
  check() {},
};
