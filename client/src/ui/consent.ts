/**
 * The words of the consent modal before EXPLAIN (ANALYZE) runs something that needs it (pure: extension.ts shows
 * it). Effects a rollback cannot undo get their own sentence and their own button, so that the click consents to
 * exactly what the modal names.
 */
import type { ConfirmRequest } from '../../../database/index';

export interface ConsentDialog {
  message: string;
  detail: string;
  /** The one button that runs it; closing the modal refuses. */
  button: string;
}

export function consentDialog(request: ConfirmRequest, database: string): ConsentDialog {
  const irreversible = request.irreversible.length > 0;
  const lines = [
    ...(irreversible ? [`This cannot be rolled back: ${request.irreversible.join('; ')}.`] : []),
    ...(request.reasons.length ? [`${request.analyze ? 'This statement' : 'Planning this statement'}: ${request.reasons.join('; ')}.`] : []),
  ];
  return {
    message: lines.join(' '),
    detail: request.analyze
      ? `EXPLAIN ANALYZE executes it on ${database}, inside a transaction that is always rolled ` +
        `back${irreversible ? ' — except for the effects named above, which stay' : ''}.`
      : `Plain EXPLAIN does not execute the statement, but the planner may call these functions on ` +
        `${database}${irreversible ? ', and the effects named above stay' : ''}.`,
    button: irreversible ? 'Run — These Effects Stay' : request.analyze ? 'Run and Roll Back' : 'Plan It',
  };
}
