/**
 * Projects: a `.pgperf.json` in a subfolder starts a separate project (its own catalog and its own config), for
 * monorepos and fixture trees. A file belongs to the project of the nearest folder above it that holds a
 * `.pgperf.json`; files under no such folder belong to the top project (''). Paths are '/'-separated.
 */

export const CONFIG_FILE = '.pgperf.json';

/** The folder of the project a file belongs to: the deepest of `roots` that contains it, or '' (the top project). */
export function projectOf(path: string, roots: readonly string[]): string {
  let best = '';
  for (const root of roots) {
    if (root === '' || root.length <= best.length) continue;
    if (path.startsWith(root.endsWith('/') ? root : `${root}/`)) best = root;
  }
  return best;
}

/** Files grouped by project folder, each group in the order given; the top project ('') first when present. */
export function groupByProject<T>(items: readonly T[], pathOf: (item: T) => string, roots: readonly string[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const root = projectOf(pathOf(item), roots);
    const list = groups.get(root);
    if (list) list.push(item);
    else groups.set(root, [item]);
  }
  return new Map([...groups].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
}

/** The folders above `path` (its own folder first, nearest to farthest), stopping at `top` (included). */
export function foldersAbove(path: string, top: string): string[] {
  const out: string[] = [];
  let dir = path.slice(0, Math.max(0, path.lastIndexOf('/')));
  const stop = top.replace(/\/+$/, '');
  while (dir.length > stop.length && dir.startsWith(stop)) {
    out.push(dir);
    dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/')));
  }
  return out;
}
