/** `s` as a regular-expression literal: every syntax character escaped (valid with and without the `u` flag). */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
