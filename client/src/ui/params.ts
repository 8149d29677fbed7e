/** Values for a statement's `$1…$n`, asked one by one in input boxes (EXPLAIN and Compare with Fix). */
import { window } from 'vscode';

/**
 * The values, `'generic'` when the first is left empty and `allowGeneric` (EXPLAIN's generic plan), or undefined
 * when the user pressed Escape. `described[i]` is what `$i+1` stands for in a host file (its host code).
 */
export async function askParams(
  what: string,
  count: number,
  described: readonly string[],
  allowGeneric: boolean,
): Promise<(string | null)[] | 'generic' | undefined> {
  const params: (string | null)[] = [];
  for (let i = 1; i <= count; i++) {
    const value = await window.showInputBox({
      title: `pgperf ${what}: parameter $${i} of ${count}${described[i - 1] ? ` — ${described[i - 1]}` : ''}`,
      prompt:
        i === 1 && allowGeneric
          ? `Value for $1 (sent as text, cast by the server; NULL for null). Leave empty for the generic plan.`
          : `Value for $${i} (sent as text, cast by the server; NULL for null)`,
      ignoreFocusOut: true,
    });
    if (value === undefined) return undefined;
    if (i === 1 && value === '' && allowGeneric) return 'generic';
    params.push(/^null$/i.test(value.trim()) ? null : value);
  }
  return params;
}
