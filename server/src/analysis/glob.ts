/** Minimal glob matching for include/exclude settings: `**`, `*`, `?` over forward-slash relative paths. */

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          src += '(?:.*/)?';
        } else src += '.*';
      } else src += '[^/]*';
    } else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  cache.set(glob, re);
  return re;
}

/** Whether a relative path (forward slashes) is included and not excluded. */
export function matchesGlobs(relPath: string, include: readonly string[], exclude: readonly string[]): boolean {
  const p = relPath.replace(/\\/g, '/').replace(/^\.\//, '');
  return include.some((g) => globToRegExp(g).test(p)) && !exclude.some((g) => globToRegExp(g).test(p));
}
