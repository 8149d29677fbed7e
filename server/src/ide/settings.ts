/**
 * The editor's `pgperf.*` settings over `.pgperf.json` over the defaults: what the language server lints with.
 * Settings come from any client (VS Code's settings, another editor's initialization options), so each is
 * validated like the file's values; a bad one is reported and dropped.
 */
import { resolveConfig, type ConfigResult, type ResolvedConfig } from '../analysis/config';
import { RULE_IDS } from '../analysis/rules/index';

/**
 * Settings over `.pgperf.json` (`base`, already resolved) over defaults; a setting left at its empty default does not
 * override. Every field of the file is kept where no setting replaces it.
 */
export function mergeSettings(base: ResolvedConfig | undefined, settings: Record<string, unknown>): ConfigResult {
  const raw: Record<string, unknown> = {};
  if (base) {
    raw.rules = { ...base.rules };
    raw.tenantColumn = base.tenantColumn;
    raw.partitionedTables = { ...base.partitionedTables };
    raw.include = base.include;
    raw.exclude = base.exclude;
    raw.embedded = base.embedded;
  }
  const s = settings;
  if (s.rules && typeof s.rules === 'object') raw.rules = { ...(raw.rules as object), ...(s.rules as object) };
  if (s.partitionedTables && typeof s.partitionedTables === 'object')
    raw.partitionedTables = { ...(raw.partitionedTables as object), ...(s.partitionedTables as object) };
  // `embedded`: true/false switches every language; an object overrides field by field, `languages` language by language.
  if (typeof s.embedded === 'boolean') raw.embedded = s.embedded;
  else if (s.embedded && typeof s.embedded === 'object' && !Array.isArray(s.embedded)) {
    const over = s.embedded as Record<string, unknown>;
    const under = (raw.embedded ?? {}) as Record<string, unknown>;
    const languages =
      over.languages && typeof over.languages === 'object' && !Array.isArray(over.languages) && under.languages
        ? { ...(under.languages as object), ...(over.languages as object) }
        : (over.languages ?? under.languages);
    raw.embedded = { ...under, ...over, ...(languages !== undefined ? { languages } : {}) };
  }
  for (const k of ['tenantColumn', 'include', 'exclude'] as const) if (s[k] !== undefined && s[k] !== null && s[k] !== '') raw[k] = s[k];
  const merged = resolveConfig(raw, RULE_IDS);
  // The file's template patterns are compiled already (no raw value to validate again), and no setting holds any.
  if (base) merged.config.templates = base.templates;
  return merged;
}
