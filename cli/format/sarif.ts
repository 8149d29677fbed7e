/** SARIF 2.1.0: one run, every rule's metadata, results with 1-based regions (columns in UTF-16 code units). */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES } from '../../server/src/analysis/index';
import type { Severity } from '../../server/src/analysis/index';
import { ruleMarkdown } from '../../server/src/analysis/index';
import type { LintReport } from '../report';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function formatSarif(report: LintReport, version: string): string {
  const index = new Map(RULES.map((r, i) => [r.meta.id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pgperf',
            version,
            semanticVersion: version,
            rules: RULES.map((r) => ({
              id: r.meta.id,
              name: r.meta.id,
              shortDescription: { text: r.meta.docs.summary },
              fullDescription: { text: r.meta.docs.why },
              help: { text: `${r.meta.docs.why}\n\n${r.meta.docs.fix}`, markdown: ruleMarkdown(r) },
              defaultConfiguration: { level: LEVEL[r.meta.severity], ...(r.meta.optIn ? { enabled: false } : {}) },
              properties: { fixable: r.meta.fixable, tags: ['postgresql', 'performance'] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(report.root).href.replace(/\/?$/, '/') } },
        columnKind: 'utf16CodeUnits',
        results: report.files.flatMap((f) =>
          f.findings.map((x) => ({
            ruleId: x.ruleId,
            ruleIndex: index.get(x.ruleId) ?? -1,
            level: LEVEL[x.severity],
            message: { text: x.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: artifact(f.path),
                  region: {
                    startLine: x.range.start.line + 1,
                    startColumn: x.range.start.character + 1,
                    endLine: x.range.end.line + 1,
                    endColumn: x.range.end.character + 1,
                  },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

/** Files under the working folder are relative to %SRCROOT%; others get absolute file URIs. */
function artifact(path: string): { uri: string; uriBaseId?: string } {
  return isAbsolute(path) ? { uri: pathToFileURL(path).href } : { uri: encodeURI(path), uriBaseId: '%SRCROOT%' };
}
