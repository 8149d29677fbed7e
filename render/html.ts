/**
 * Pure HTML helpers of every pgperf page (the EXPLAIN panel, the benchmark reports and their SVG charts): escaping,
 * durations and the page head with its strict content security policy. They live below both the VS Code UI and the
 * database side so that neither imports the other for them; no vscode import.
 */

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return SPECIAL.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;') : s;
}
const SPECIAL = /[&<>"']/;

/**
 * Escapes text for element content only (never an attribute): `&`, `<`, `>`. Used for the big blocks (the raw
 * JSON is ~1 kB per node and full of quotes, which element content does not need escaped).
 */
export function escText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A duration for people: seconds from 1 s, fewer decimals as it grows. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/**
 * The start of every pgperf webview page: doctype, charset, viewport and the strict content security policy
 * (nothing but the extension's own stylesheet, script and images; no inline script or style).
 */
export function documentStart(cspSource: string, styleUris: readonly string[]): string[] {
  const csp = `default-src 'none'; style-src ${cspSource}; script-src ${cspSource}; img-src ${cspSource} data:`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ...styleUris.map((uri) => `<link rel="stylesheet" href="${esc(uri)}">`),
  ];
}
