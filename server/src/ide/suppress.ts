/**
 * Suppression edits: the comment that silences a finding for its statement (`-- pgperf-ignore rule: <reason>`, in a
 * host file a `//` or `#` comment above the host statement that holds the SQL string) or for the whole file
 * (`pgperf-ignore-file rule`). Findings are in document offsets; comments are in the document's language.
 */
import { hostStatementOf } from '../analysis/host/directives';
import { HostParseTimeout, hostLanguageOf, parseHost, type HostLanguage } from '../analysis/host/grammars';
import type { ParsedFile, Statement } from '../analysis/parse';
import type { Finding } from '../analysis/types';
import type { DocumentEdit } from './fixes';

/** The statement a finding (in document offsets) is in. */
function statementOf(file: ParsedFile, f: Finding): Statement | undefined {
  const at = file.fromDocument(f.start);
  if (at === undefined) return undefined;
  return file.statements.find((s) => s.start <= at && at <= s.end);
}

/** The file's tree; none when its parse overran the time bound (the comment then goes above the string itself). */
function hostTree(lang: HostLanguage, text: string): ReturnType<typeof parseHost> | undefined {
  try {
    return parseHost(lang, text);
  } catch (e) {
    if (e instanceof HostParseTimeout) return undefined;
    throw e;
  }
}

/** The line comment of a host language. */
const commentMark = (lang: HostLanguage) => (lang === 'python' ? '#' : '//');

/**
 * `// pgperf-ignore rule: <reason>` (`#` in Python) on its own line above the host statement that holds the SQL
 * string (the whole `const rows = await db.query(…)`, which the comment then covers), indented like that line.
 */
function ignoreHostStatement(file: ParsedFile, f: Finding, lang: HostLanguage): DocumentEdit | undefined {
  const st = statementOf(file, f);
  const seg = st && file.host!.segmentAt(st.start);
  if (!seg) return undefined;
  const text = file.document.text;
  let at = seg.embedded.start;
  const tree = hostTree(lang, text);
  if (tree) {
    try {
      const root = tree.rootNode;
      const n = root.descendantForIndex(seg.embedded.start, seg.embedded.start + 1);
      if (n) at = hostStatementOf(n, root).startIndex;
    } finally {
      tree.delete();
    }
  }
  const pos = file.document.positionAt(at);
  const lineStart = file.document.offsetAt({ line: pos.line, character: 0 });
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const start = { line: pos.line, character: 0 };
  return { range: { start, end: start }, newText: `${indent}${commentMark(lang)} pgperf-ignore ${f.ruleId}: <reason>\n` };
}

/** `pgperf-ignore-file rule` as the file's first line (after a `#!` line, which must stay first). */
export function ignoreFileEdit(file: ParsedFile, f: Finding): DocumentEdit {
  const lang = file.host ? hostLanguageOf(file.path) : undefined;
  const line = lang && file.document.text.startsWith('#!') ? 1 : 0;
  const start = { line, character: 0 };
  const newText = lang ? `${commentMark(lang)} pgperf-ignore-file ${f.ruleId}\n` : `-- pgperf-ignore-file ${f.ruleId}\n`;
  // A `#!` line without a newline (the whole file): the comment goes after it on a line of its own.
  if (line === 1 && !file.document.text.includes('\n')) {
    const end = { line: 0, character: file.document.text.length };
    return { range: { start: end, end }, newText: `\n${newText}` };
  }
  return { range: { start, end: start }, newText };
}

/** `-- pgperf-ignore rule: reason` on its own line above the statement, indented like it (a host comment in code). */
export function ignoreStatementEdit(file: ParsedFile, f: Finding): DocumentEdit | undefined {
  if (file.host) {
    const lang = hostLanguageOf(file.path);
    return lang ? ignoreHostStatement(file, f, lang) : undefined;
  }
  const st = statementOf(file, f);
  if (!st) return undefined;
  const pos = file.source.positionAt(st.start);
  const lineStart = file.source.offsetAt({ line: pos.line, character: 0 });
  const indent = /^[ \t]*/.exec(file.text.slice(lineStart, st.start))![0];
  const onOwnLine = indent.length === st.start - lineStart;
  const at = onOwnLine ? { line: pos.line, character: 0 } : pos;
  const newText = onOwnLine ? `${indent}-- pgperf-ignore ${f.ruleId}: <reason>\n` : `\n${indent}-- pgperf-ignore ${f.ruleId}: <reason>\n`;
  return { range: { start: at, end: at }, newText };
}
