/** The docs/health pages, generated from the checks (`pgperf health docs docs/health`; test/health/docs.test.ts compares). */
import { HEALTH_CHECKS } from './registry';
import type { HealthCheck } from './types';

export function healthCheckMarkdown(check: HealthCheck): string {
  const version = check.minVersion ? `PostgreSQL ${Math.floor(check.minVersion / 10000)} or later` : 'any supported PostgreSQL';
  return [
    `# ${check.id}`,
    '',
    check.title,
    '',
    `Category: **${check.category}** · reads ${check.reads.map((r) => `\`${r}\``).join(', ')} · ${version}`,
    `· needs ${check.needs ?? 'any role that can connect'}` +
      (check.notEmbedded ? ` · not run on the embedded database (${check.notEmbedded})` : ' · runs on the embedded database too'),
    '',
    '## Threshold',
    '',
    `${check.guide.threshold} — the tuning guide (pg-tuning-guide.md), *${check.guide.section}*.`,
    '',
    '## Why',
    '',
    check.docs.why,
    '',
    '## What to do',
    '',
    check.docs.fix,
    '',
    '## When it does not apply',
    '',
    check.docs.notApplicable,
    '',
  ].join('\n');
}

/** The index page: every check, and the JSON output's shape. */
export function healthIndexMarkdown(): string {
  const rows = HEALTH_CHECKS.map((c) => `| [${c.id}](${c.id}.md) | ${c.category} | ${c.title} |`);
  return `# pgperf health checks

\`pgperf health\` runs these checks on a live database. Every query runs in \`BEGIN READ ONLY\` with
\`SET LOCAL statement_timeout\` (\`--timeout\`, 5000 ms by default, per check) and is rolled back; fix SQL is shown,
never run. A check that lacks a privilege, an extension or a fact (the RAM, the storage) is skipped with the reason,
and the others run.

| check | category | what it checks |
| --- | --- | --- |
${rows.join('\n')}

## JSON output (\`--format json\`)

The shape is stable within \`"schema": "pgperf-health/1"\`; fields are only ever added.

\`\`\`text
{
  "schema": "pgperf-health/1",
  "database": { "label": string, "kind": "postgres" | "embedded", "serverVersion": string,
                "serverVersionNum": number, "user": string },      // label never holds a password
  "ram": { "bytes": number, "source": string } | null,           // null: RAM unknown
  "storage": "ssd" | "hdd" | null,
  "timeoutMs": number,                                           // statement_timeout of each check
  "checks": [{
    "id": string, "title": string,
    "status": "ok" | "findings" | "skipped" | "failed",
    "reason": string,                                            // only when skipped or failed: why
    "findings": [{
      "severity": "error" | "warning" | "info",
      "object": string,                                          // optional: SQL-quoted name, setting or "pid N"
      "message": string,
      "evidence": { [name: string]: string | number | boolean | null },
      "fix": string                                              // optional: SQL to run yourself
    }],
    "notes": string[],                                           // what the check could not judge, and why
    "durationMs": number
  }],
  "summary": { "error": number, "warning": number, "info": number, "skipped": number, "failed": number },
  "vitals": {                                                    // read on every run (each absent when the server does not say)
    "cacheHitPercent": number,                                   // blks_hit ÷ (blks_hit + blks_read) of this database
    "clientConnections": number, "maxConnections": number,       // client backends of the server; max_connections
    "deadTuples": number                                         // n_dead_tup over the user tables
  }
}
\`\`\`

Exit code: 0 no error-severity finding and no failed check, 1 an error-severity finding or a check that failed
(timed out, SQL error), 2 bad usage or a connection error.
`;
}
