import { hostLanguageOf, type HostLanguage } from '../host/grammars';
import { defineFileRule } from '../rule';

const LANGUAGE_NAMES: Record<HostLanguage, string> = {
  typescript: 'TypeScript',
  tsx: 'TSX',
  javascript: 'JavaScript',
  python: 'Python',
  go: 'Go',
  rust: 'Rust',
};

/**
 * A host file whose parse overran its time bound: its SQL strings were not looked for, which the user must see (an
 * empty list of findings would read as "nothing wrong here").
 */
export const hostParseTimeout = defineFileRule({
  kind: 'file',
  meta: {
    id: 'host-parse-timeout',
    category: 'correctness',
    severity: 'info',
    fixable: false,
    docs: {
      summary: 'A code file whose SQL strings were not read: parsing it took longer than its time bound.',
      why:
        'pgperf finds SQL in TypeScript, JavaScript, Python, Go and Rust files with tree-sitter parsers. Real code ' +
        'parses at about 5 MB/s (bench/host-scan.mjs), but the parser’s error recovery on badly broken code (a half-typed edit, a ' +
        'mangled merge, a minified or generated file) can run for minutes on a few hundred KB. So the parse of a ' +
        'file is given `embedded.parseTimeoutMs` (default 500) ms per MB of its text, and at least that long, for its ' +
        'parse and the search of its syntax tree for SQL strings (on some broken trees that search, not the parse, ' +
        'is what runs for minutes); a file that takes longer is not read, and this notice says so instead of an ' +
        'empty list of findings.',
      fix:
        'Correct the syntax errors that slow the parser down, exclude a generated file (`exclude` in .pgperf.json), ' +
        'or raise `embedded.parseTimeoutMs` (0 turns the bound off). A command-line run caches neither this notice ' +
        'nor the file: the next run parses it again.',
    },
    messages: {
      timeout: 'pgperf did not read the SQL strings of this {{language}} file: parsing it took longer than {{ms}} ms (embedded.parseTimeoutMs).',
    },
  },
  check({ file, report }) {
    const ms = file.host?.parseTimeoutMs;
    const lang = hostLanguageOf(file.path);
    if (ms === undefined || !lang) return;
    // On the first line's text, where an editor shows it (zero-width on an empty first line).
    const first = /^[^\r\n]{0,200}/.exec(file.document.text)![0].trimEnd();
    report({ start: 0, end: first.length, inDocument: true, messageId: 'timeout', data: { language: LANGUAGE_NAMES[lang], ms } });
  },
});
