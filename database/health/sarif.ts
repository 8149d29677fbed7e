/**
 * A health report as SARIF 2.1.0, for code-scanning tools in CI (`pgperf health --format sarif`): one run, every
 * check as a rule (its title, why and fix from its docs), every finding as a result located at its database
 * object (a logical location: there is no file), its evidence and fix SQL as properties; a check that could not
 * run is a tool execution notification with its reason. Pure.
 */
import { HEALTH_CHECKS } from './registry';
import type { HealthReport } from './run';
import type { HealthSeverity } from './types';

const LEVEL: Record<HealthSeverity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function healthToSarif(report: HealthReport, version: string): string {
  const index = new Map(HEALTH_CHECKS.map((c, i) => [c.id, i]));
  const results = report.checks.flatMap((c) =>
    c.findings.map((f) => ({
      ruleId: c.id,
      ruleIndex: index.get(c.id) ?? -1,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [
        {
          logicalLocations: [{ fullyQualifiedName: f.object ?? report.database.label, kind: f.object ? 'object' : 'database' }],
          message: { text: report.database.label },
        },
      ],
      properties: { evidence: f.evidence, ...(f.fix ? { fix: f.fix } : {}) },
    })),
  );
  const notifications = report.checks
    .filter((c) => c.status === 'skipped' || c.status === 'failed')
    .map((c) => ({
      level: c.status === 'failed' ? 'error' : 'note',
      message: { text: `${c.id}: ${c.status}: ${c.reason ?? 'no reason given'}` },
      descriptor: { id: c.id, index: index.get(c.id) ?? -1 },
    }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pgperf health',
            version,
            semanticVersion: version,
            rules: HEALTH_CHECKS.map((c) => ({
              id: c.id,
              name: c.id,
              shortDescription: { text: c.title },
              fullDescription: { text: c.docs.why },
              help: { text: `${c.docs.why}\n\n${c.docs.fix}\n\nDoes not apply: ${c.docs.notApplicable}` },
              properties: { category: c.category, tags: ['postgresql', 'performance', 'health'] },
            })),
          },
        },
        invocations: [{ executionSuccessful: report.summary.failed === 0, toolExecutionNotifications: notifications }],
        properties: { database: report.database, vitals: report.vitals },
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
