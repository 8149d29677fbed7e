/**
 * Host-language comments that suppress findings (`// pgperf-ignore rule: reason`, `# pgperf-ignore …`), with the
 * host code each applies to; and the host grammar's error count, by which a fix that breaks the file is told.
 */
import type { Node } from 'web-tree-sitter';
import { HostParseTimeout, hostLanguageOf, parseHost, withEditedHostTree } from './grammars';

export interface HostDirective {
  /** Host range of `text`. */
  start: number;
  end: number;
  /** The directive from `pgperf-ignore` on, comment markers stripped: `pgperf-ignore offset-pagination: small table`. */
  text: string;
  /**
   * The host range it applies to: the statement it trails on its line, else the statement or declaration after
   * the comment; the whole file for `pgperf-ignore-file`.
   */
  covers: { start: number; end: number };
}

const WORD = 'pgperf-ignore';

/** Nodes whose children are statements or declarations. */
const CONTAINERS = new Set([
  'program',
  'statement_block',
  'class_body',
  'switch_case',
  'switch_default',
  'module',
  'block',
  'source_file',
  'declaration_list',
  'statement_list',
  'expression_case',
  'default_case',
  'communication_case',
  'type_case',
]);

function isComment(n: Node): boolean {
  return n.type === 'comment' || n.type === 'line_comment' || n.type === 'block_comment';
}

/** The comment holding offset `at`, or undefined (the word is in a string or code). */
function commentAt(root: Node, at: number): Node | undefined {
  for (let n = root.descendantForIndex(at, at + 1); n; n = n.parent) if (isComment(n)) return n;
  return undefined;
}

/** The smallest statement or declaration holding `n` (a child of a block, a module, a class body…). */
export function hostStatementOf(n: Node, root: Node): Node {
  let s: Node = n;
  while (s.parent && s.parent.id !== root.id && !CONTAINERS.has(s.parent.type)) s = s.parent;
  return s;
}

/** The code a comment on its own line applies to: the next sibling that is not a comment (into a block it opens). */
function nextCode(comment: Node): Node | undefined {
  let n = comment.nextNamedSibling;
  while (n && isComment(n)) n = n.nextNamedSibling;
  // A comment before a block's first statement may be the block's sibling (Python puts it before the body).
  if (n && CONTAINERS.has(n.type)) {
    let c = n.firstNamedChild;
    while (c && isComment(c)) c = c.nextNamedSibling;
    return c ?? n;
  }
  return n ?? undefined;
}

/**
 * Every directive comment of a parsed host file (with `span`: those in comments inside that host range).
 * `onRead(from, start, end)`: told of the code each directive's reach was taken from.
 */
export function directivesOf(
  root: Node,
  text: string,
  span?: { start: number; end: number },
  onRead?: (from: number, start: number, end: number) => void,
): HostDirective[] {
  const out: HostDirective[] = [];
  let lastComment = -1;
  const to = span?.end ?? text.length;
  for (let at = text.indexOf(WORD, span?.start ?? 0); at >= 0 && at < to; at = text.indexOf(WORD, at + WORD.length)) {
    const comment = commentAt(root, at);
    if (!comment || comment.startIndex === lastComment) continue;
    if (span && (comment.startIndex < span.start || comment.endIndex > span.end)) continue;
    lastComment = comment.startIndex;
    // The directive runs to the end of its line or of the comment, without a closing `*/`.
    let end = Math.min(comment.endIndex, (text.indexOf('\n', at) + 1 || text.length + 1) - 1);
    let body = text.slice(at, end);
    const close = body.indexOf('*/');
    if (close >= 0) body = body.slice(0, close);
    body = body.trimEnd();
    end = at + body.length;
    let covers: { start: number; end: number };
    if (body.startsWith(`${WORD}-file`)) covers = { start: 0, end: text.length };
    else {
      const lineStart = text.lastIndexOf('\n', comment.startIndex - 1) + 1;
      const codeBefore = text.slice(lineStart, comment.startIndex).trim() !== '';
      const target = codeBefore ? before(root, comment, text) : nextCode(comment);
      const s = target && (codeBefore ? hostStatementOf(target, root) : target);
      covers = s ? { start: s.startIndex, end: s.endIndex } : { start: comment.endIndex, end: comment.endIndex };
      if (s) onRead?.(at, s.startIndex, s.endIndex);
    }
    out.push({ start: at, end, text: body, covers });
  }
  return out;
}

/** The last token before a trailing comment (on its line). */
function before(root: Node, comment: Node, text: string): Node | undefined {
  let i = comment.startIndex;
  while (i > 0 && /\s/.test(text[i - 1])) i--;
  if (i === 0) return undefined;
  const n = root.descendantForIndex(i - 1, i);
  return n && !isComment(n) ? n : undefined;
}

/**
 * The ERROR and MISSING nodes under `root`. With a stack of its own: a generated expression thousands of levels deep
 * overflowed the call stack of a recursive count (bench/fuzz.mjs --seed 1, input 67294).
 */
function errors(root: Node): number {
  let count = 0;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.isMissing) count++;
    else if (n.hasError) {
      if (n.isError) count++;
      for (const c of n.children) if (c) stack.push(c);
    }
  }
  return count;
}

/**
 * The ERROR and MISSING nodes of host file `path` before and after an edit turns `text` into `edited` (the edited
 * text re-parsed incrementally); zeros for a file that is no host file. `budgetMs`: the parses' time bound, when
 * tighter than the default one.
 */
export function hostErrorCounts(path: string, text: string, edited: string, budgetMs?: number): { before: number; after: number } {
  const lang = hostLanguageOf(path);
  if (!lang) return { before: 0, after: 0 };
  try {
    return withEditedHostTree(lang, path, text, edited, (base, tree) => ({ before: errors(base.rootNode), after: errors(tree.rootNode) }), budgetMs);
  } catch (e) {
    // An edit that cannot be checked in time counts as one that breaks the file: its fix is not offered.
    if (e instanceof HostParseTimeout) return { before: 0, after: 1 };
    throw e;
  }
}

/** The number of ERROR and MISSING nodes in the host grammar's parse of `text` (0 for a file that is no host file). */
export function hostErrorCount(path: string, text: string): number {
  const lang = hostLanguageOf(path);
  if (!lang) return 0;
  const tree = parseHost(lang, text);
  try {
    return errors(tree.rootNode);
  } finally {
    tree.delete();
  }
}
