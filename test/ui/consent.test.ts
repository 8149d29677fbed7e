/** The consent modal's words (client/src/ui/consent.ts): what runs, what is rolled back, what stays. */
import { describe, expect, it } from 'vitest';
import { consentDialog } from '../../client/src/ui/consent';

describe('consentDialog', () => {
  it('a write: rolled back, one button that says so', () => {
    expect(consentDialog({ analyze: true, reasons: ['UPDATE modifies rows'], irreversible: [] }, 'local — db:5432/app')).toEqual({
      message: 'This statement: UPDATE modifies rows.',
      detail: 'EXPLAIN ANALYZE executes it on local — db:5432/app, inside a transaction that is always rolled back.',
      button: 'Run and Roll Back',
    });
  });

  it('an irreversible effect: named first, its own button, the detail says it stays', () => {
    const d = consentDialog({ analyze: true, reasons: ['INSERT adds rows'], irreversible: ['nextval() changes a sequence'] }, 'x');
    expect(d.message).toBe('This cannot be rolled back: nextval() changes a sequence. This statement: INSERT adds rows.');
    expect(d.detail).toMatch(/except for the effects named above, which stay\.$/);
    expect(d.button).toBe('Run — These Effects Stay');
  });

  it('plain EXPLAIN: planning, not executing', () => {
    const d = consentDialog({ analyze: false, reasons: ['calls s.f(), a plpgsql function pgperf cannot look inside'], irreversible: [] }, 'x');
    expect(d.message).toBe('Planning this statement: calls s.f(), a plpgsql function pgperf cannot look inside.');
    expect(d.detail).toMatch(/^Plain EXPLAIN does not execute the statement, but the planner may call these functions on x\.$/);
    expect(d.button).toBe('Plan It');
  });
});
