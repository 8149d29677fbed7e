/**
 * Which `pgperf.*` settings the server receives. VS Code fills every contributed setting with its default, but
 * the contract says a value *set* in VS Code overrides `.pgperf.json`, which overrides the defaults. Sending the
 * defaults would silently override `.pgperf.json`, so the client answers `workspace/configuration` for the
 * `pgperf` section with the explicitly set values only (user, workspace, folder), merged the way VS Code merges
 * them: objects key by key, other values the most specific one wins. Pure (no vscode import).
 */

/** The analysis settings the server reads (`pgperf.trace.server` is handled by vscode-languageclient). */
export const ANALYSIS_SETTINGS = ['rules', 'tenantColumn', 'include', 'exclude', 'partitionedTables', 'embedded'] as const;

/** The part of `WorkspaceConfiguration.inspect()` that holds explicitly set values, least specific first. */
export interface SetValues {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The value a setting explicitly has, or undefined when only its default applies. */
export function explicitValue(inspected: SetValues | undefined): unknown {
  if (!inspected) return undefined;
  const set = [inspected.globalValue, inspected.workspaceValue, inspected.workspaceFolderValue].filter((v) => v !== undefined);
  if (set.length === 0) return undefined;
  if (set.every(isPlainObject)) return Object.assign({}, ...set);
  return set[set.length - 1];
}

/** The `pgperf` section as the server should see it: only the settings the user has set. */
export function explicitSettings(inspect: (key: string) => SetValues | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ANALYSIS_SETTINGS) {
    const v = explicitValue(inspect(key));
    // A JSON copy: values from VS Code can be read-only proxies, which structuredClone rejects.
    if (v !== undefined) out[key] = JSON.parse(JSON.stringify(v)) as unknown;
  }
  return out;
}

/**
 * Lets a `workspace/didChangeConfiguration` through only when the `pgperf` settings the server would pull have
 * changed: VS Code reports every settings change, the server re-scans the workspace on each notification, and
 * registering the notification fires one at once (which would start a second scan beside the initial one).
 */
export class ChangeFilter {
  private last: string;

  constructor(current: unknown) {
    this.last = JSON.stringify(current);
  }

  /** True (and remembers it) when `current` differs from what was last seen. */
  changed(current: unknown): boolean {
    const next = JSON.stringify(current);
    if (next === this.last) return false;
    this.last = next;
    return true;
  }
}
