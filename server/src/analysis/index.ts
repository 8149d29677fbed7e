/**
 * The analysis core's public entry: the parser, parsing and linting, configuration, the rules and their docs.
 * Every part outside the core imports this file or pg.ts, never another file inside (ARCHITECTURE.md). pg.ts is
 * the second entry, the parser alone: the database side's EXPLAIN safety gate needs only it, and importing this
 * file instead would put every rule into the extension bundle. The language server still imports core files
 * directly, an exception the boundary check records until server/src/lsp is reduced to wiring.
 */
export { initParser } from './pg';
export { ParseCache, ParsedFile, type Statement } from './parse';
export { lintSources, type LintOptions, type LintResult } from './engine';
export { DEFAULT_CONFIG, parseConfigText, type ResolvedConfig } from './config';
export { CONFIG_FILE, foldersAbove, groupByProject } from './projects';
export { orderedDdl } from './ddl-order';
export { comparisonFor, type FixComparison } from './compare-fix';
export { matchesGlobs } from './glob';
export { extractHost, hostLanguageOf, initEmbedded, parseLikeExtraction, primeHostExtracts, type EmbeddedOptions, type HostExtract } from './host/index';
export { RULES, RULE_IDS } from './rules/index';
export { ruleMarkdown } from './docs';
export type { RuleCategory } from './rule';
export type { ConfigProblem, Finding, Severity } from './types';
