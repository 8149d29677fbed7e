import { defineFileRule } from '../rule';

/**
 * Runs once per file after the statement rules, when the engine has matched their findings against the file's
 * suppression comments: a comment that hid nothing, or names no rule, is reported.
 */
export const unusedSuppression = defineFileRule({
  kind: 'file',
  meta: {
    id: 'unused-suppression',
    category: 'correctness',
    severity: 'info',
    fixable: true,
    docs: {
      summary: 'A `-- pgperf-ignore` comment that suppresses nothing, or names an unknown rule.',
      why:
        'A suppression outlives the code it was written for: once the statement is fixed or moved it silently ' +
        'hides the next problem. Reporting it keeps suppressions honest.',
      fix: 'Remove the comment (the quick fix does), or correct the rule id.',
      bad: '-- pgperf-ignore vacuum-full: legacy report\nSELECT id FROM users;',
      good: 'SELECT id FROM users;',
    },
    messages: {
      unused: 'This {{kind}} comment suppresses nothing: {{reasons}}.',
    },
  },
  check({ file, suppressions, levelOf, report }) {
    for (const { suppression: s, used } of suppressions) {
      const dead: string[] = [];
      for (const id of s.rules) {
        const level = levelOf(id);
        if (level === undefined) dead.push(`"${id}" is not a pgperf rule`);
        else if (level !== 'off' && !used.has(id)) dead.push(`${id} reports nothing here`);
      }
      if (s.rules.length === 0) dead.push('it names no rule');
      if (dead.length === 0) continue;
      const removeAll = dead.length === s.rules.length || s.rules.length === 0;
      report({
        start: s.start,
        end: s.end,
        inDocument: s.inDocument,
        messageId: 'unused',
        data: { kind: s.scope === 'file' ? 'pgperf-ignore-file' : 'pgperf-ignore', reasons: dead.join('; ') },
        fix: removeAll
          ? { title: 'Remove the unused suppression', edits: [removalEdit(s.inDocument ? file.document.text : file.text, s.start, s.end)] }
          : undefined,
      });
    }
  },
});

/** Removes a comment, and its whole line when nothing else is on it. */
function removalEdit(text: string, start: number, end: number) {
  let s = start;
  while (s > 0 && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
  const lineStart = s === 0 || text[s - 1] === '\n';
  let e = end;
  if (lineStart) {
    if (text[e] === '\r') e++;
    if (text[e] === '\n') e++;
  }
  return { start: s, end: e, newText: '' };
}
