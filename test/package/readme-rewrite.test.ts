/**
 * scripts/package-readme.mjs, the packaged README's rewriting, on small inputs: what stays, what becomes an
 * absolute URL when package.json names a repository, what becomes text without one, and what refuses to package.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface PackageReadme {
  repositoryBase(repository: unknown): { content: string; images: string } | undefined;
  packagedReadme(markdown: string, options: { shipped: Set<string>; base?: { content: string; images: string } }): { text: string; changes: string[] };
}
// Imported by URL (a computed specifier): the script is JavaScript without a declaration file.
const script = (await import(pathToFileURL(resolve(__dirname, '../../scripts/package-readme.mjs')).href)) as PackageReadme;

const shipped = new Set(['docs/images/a.png', 'docs/security.md']);
const md = [
  '# Title',
  '![shot](docs/images/a.png) [security](docs/security.md#x) [arch](ARCHITECTURE.md) [up](#title) [web](https://example.org/)',
  '`[code](ARCHITECTURE.md)`',
  '```md',
  '[fenced](ARCHITECTURE.md)',
  '```',
].join('\n');

describe('the packaged README rewrite', () => {
  it('keeps shipped files, anchors, absolute URLs and code; a link to a file left out becomes its text', () => {
    const { text, changes } = script.packagedReadme(md, { shipped });
    expect(text.split('\n')[1]).toBe('![shot](docs/images/a.png) [security](docs/security.md#x) arch [up](#title) [web](https://example.org/)');
    expect(text.split('\n').slice(2)).toEqual(md.split('\n').slice(2));
    expect(changes).toEqual(['ARCHITECTURE.md -> plain text "arch" (not in the package, no repository URL)']);
  });

  it('with a repository, makes what the package leaves out absolute: images from raw, pages from blob', () => {
    const base = script.repositoryBase({ type: 'git', url: 'git+https://github.com/acme/pgperf.git' });
    expect(base).toEqual({ content: 'https://github.com/acme/pgperf/blob/HEAD', images: 'https://github.com/acme/pgperf/raw/HEAD' });
    const { text } = script.packagedReadme('![s](docs/images/b.png) [arch](ARCHITECTURE.md) [s](docs/security.md)', { shipped, base });
    expect(text).toBe(
      '![s](https://github.com/acme/pgperf/raw/HEAD/docs/images/b.png) [arch](https://github.com/acme/pgperf/blob/HEAD/ARCHITECTURE.md) [s](docs/security.md)',
    );
    expect(script.repositoryBase('https://gitlab.com/acme/pgperf')).toEqual({
      content: 'https://gitlab.com/acme/pgperf/-/blob/HEAD',
      images: 'https://gitlab.com/acme/pgperf/-/raw/HEAD',
    });
    expect(script.repositoryBase(undefined)).toBeUndefined();
    expect(script.repositoryBase('https://example.org/pgperf.git')).toBeUndefined();
  });

  it('refuses an image the package lacks with no repository to link it from, and HTML images', () => {
    expect(() => script.packagedReadme('![s](docs/images/missing.png)', { shipped })).toThrow(/docs\/images\/missing\.png is not in the package/);
    expect(() => script.packagedReadme('<img src="docs/images/a.png">', { shipped })).toThrow(/HTML images/);
  });
});
