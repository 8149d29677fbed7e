// The README that goes into the .vsix (npm run package:vsix): the repository README with every image and link made
// to resolve where the package is read (the Marketplace page, VS Code's extension view). The repository README is
// written for the repository: its screenshots and the pages it links to are files of the checkout, most of which
// the package leaves out. Here each relative target is
//   - kept when the package holds that file (the rule pages, docs/*.md, the screenshots: see .vscodeignore);
//   - made absolute when package.json names a GitHub or GitLab `repository` (images from raw, pages from blob);
//   - otherwise, for a link, reduced to its text (a link to a file that is not there would be broken) and, for an
//     image, an error: a broken picture on the Marketplace page is a packaging mistake, not a warning.
// Anchors (#section) stay: the README's headings are in the packaged copy too.
// Usage: node scripts/package-readme.mjs [out]   (default dist-pkg/README.md; prints what it changed)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** GitHub/GitLab base URLs of package.json's `repository` (string or { url }), or undefined. */
export function repositoryBase(repository) {
  const url = typeof repository === 'string' ? repository : repository?.url;
  if (!url) return undefined;
  const m = /^(?:git\+)?https:\/\/(github\.com|gitlab\.com)\/([^/]+\/[^/#]+?)(?:\.git)?\/?$/.exec(url) ?? /^(github|gitlab):([^/]+\/[^/#]+?)$/.exec(url);
  if (!m) return undefined;
  const host = m[1].startsWith('github') ? 'github.com' : 'gitlab.com';
  const project = `https://${host}/${m[2]}`;
  return host === 'github.com'
    ? { content: `${project}/blob/HEAD`, images: `${project}/raw/HEAD` }
    : { content: `${project}/-/blob/HEAD`, images: `${project}/-/raw/HEAD` };
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Rewrites the inline links and images of `markdown` (outside code) so that each target is an absolute URL, an
 * anchor, or a file of `shipped` (paths relative to the package root, where the packaged README sits).
 * Returns the text and one line per change. Throws on an image nothing can make resolve, and on HTML images or
 * reference-style definitions with relative targets (this README has none; handling them silently would hide one).
 */
export function packagedReadme(markdown, { shipped, base }) {
  const changes = [];
  const fix = (isImage, text, target) => {
    if (target.startsWith('#') || ABSOLUTE.test(target)) return undefined;
    const path = target.replace(/^\.\//, '').split('#')[0];
    if (shipped.has(path)) return undefined;
    if (base) {
      const url = `${isImage ? base.images : base.content}/${target.replace(/^\.\//, '')}`;
      changes.push(`${target} -> ${url}`);
      return isImage ? `![${text}](${url})` : `[${text}](${url})`;
    }
    if (isImage) throw new Error(`the image ${target} is not in the package and package.json names no repository to link it from`);
    changes.push(`${target} -> plain text "${text}" (not in the package, no repository URL)`);
    return text;
  };
  const out = [];
  let fence;
  for (const line of markdown.split('\n')) {
    const opens = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (opens && opens[1][0] === fence[0] && opens[1].length >= fence.length) fence = undefined;
      out.push(line);
      continue;
    }
    if (opens) {
      fence = opens[1];
      out.push(line);
      continue;
    }
    if (/<img\b|^\s*\[[^\]]+\]:\s*(?![a-z][a-z0-9+.-]*:|#)/i.test(line)) {
      throw new Error(`README line "${line.trim()}": HTML images and reference-style definitions are not rewritten; use an inline link`);
    }
    // Inline code spans are left alone; links are rewritten in the text between them.
    out.push(
      line
        .split(/(`+[^`]*`+)/)
        .map((part, i) =>
          i % 2 === 1 ? part : part.replace(/(!?)\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, bang, text, target) => fix(bang === '!', text, target) ?? whole),
        )
        .join(''),
    );
  }
  return { text: out.join('\n'), changes };
}

async function main() {
  const rel = process.argv[2] ?? 'dist-pkg/README.md';
  const out = resolve(root, rel);
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  const vsce = createRequire(import.meta.url)('@vscode/vsce');
  // The files vsce will package (the same .vscodeignore and readme path), so "shipped" cannot drift from the .vsix.
  const shipped = new Set(await vsce.listFiles({ cwd: root, packageManager: vsce.PackageManager.None, readmePath: rel }));
  const { text, changes } = packagedReadme(readFileSync(resolve(root, 'README.md'), 'utf8'), { shipped, base: repositoryBase(pkg.repository) });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`packaged README: ${out} (${changes.length} target${changes.length === 1 ? '' : 's'} rewritten)`);
  for (const c of changes) console.log(`  ${c}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  });
}
