/**
 * Fix edits in the document's lines and characters: one finding's fix, and the fixes of several findings merged
 * into one change (fix-all). Findings and their fix edits are in document offsets (a host file's own text, see
 * engine.ts), so the document's line index turns them into ranges.
 */
import type { ParsedFile } from '../analysis/parse';
import type { Finding, Range, TextEdit as OffsetEdit } from '../analysis/types';

/** An edit of a document by lines and characters (the shape of an LSP TextEdit). */
export interface DocumentEdit {
  range: Range;
  newText: string;
}

function toDocumentEdits(file: ParsedFile, edits: readonly OffsetEdit[]): DocumentEdit[] {
  return edits.map((e) => ({ range: file.document.rangeOf(e.start, e.end), newText: e.newText }));
}

/** The edits of a finding's fix; [] for a finding without one. */
export function fixEdits(file: ParsedFile, finding: Finding): DocumentEdit[] {
  return finding.fix ? toDocumentEdits(file, finding.fix.edits) : [];
}

/** Fix edits of several findings that do not overlap each other, earliest first: a fix that clashes with an earlier one is left out. */
function nonOverlapping(edits: readonly OffsetEdit[][]): OffsetEdit[] {
  const chosen: OffsetEdit[] = [];
  const sorted = [...edits].filter((g) => g.length > 0).sort((a, b) => Math.min(...a.map((e) => e.start)) - Math.min(...b.map((e) => e.start)));
  for (const group of sorted) {
    const clash = group.some((e) => chosen.some((c) => (e.start < c.end && c.start < e.end) || (e.start === c.start && e.end === c.end)));
    if (!clash) chosen.push(...group);
  }
  return chosen;
}

/** Every fix of `findings` that does not overlap an earlier one, as one list of edits; [] when none has a fix. */
export function fixAllEdits(file: ParsedFile, findings: readonly Finding[]): DocumentEdit[] {
  return toDocumentEdits(file, nonOverlapping(findings.filter((f) => f.fix).map((f) => f.fix!.edits)));
}
