/** Rule documentation as Markdown: for SARIF help, hovers and the generated docs/rules pages. */
import type { Rule } from './rule';

export function ruleMarkdown(rule: Rule): string {
  const { id, category, severity, fixable, optIn, docs } = rule.meta;
  const parts = [
    `# ${id}`,
    '',
    `${docs.summary}`,
    '',
    `Category: **${category}** · ` +
      (optIn
        ? `off by default; turn it on with \`"rules": { "${id}": "${severity}" }\` in \`.pgperf.json\`${fixable ? ' · has a quick fix' : ''}`
        : `default severity: **${severity}**${fixable ? ' · has a quick fix' : ''}`),
    '',
    '## Why',
    '',
    docs.why,
    '',
    '## What to do',
    '',
    docs.fix,
  ];
  if (docs.bad) parts.push('', '## Fires on', '', '```sql', docs.bad, '```');
  if (docs.good) parts.push('', '## Does not fire on', '', '```sql', docs.good, '```');
  return parts.join('\n') + '\n';
}
