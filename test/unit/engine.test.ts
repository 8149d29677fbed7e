import { describe, expect, it } from 'vitest';
import { checkedFix, lintSources } from '../../server/src/analysis/engine';
import { ParsedFile } from '../../server/src/analysis/parse';

describe('engine', () => {
  it('offers a fix only when the edited statement still parses', () => {
    const file = new ParsedFile('a.sql', 'SELECT 1;\nREINDEX INDEX i;');
    const st = file.statements[1];
    const good = { title: 'ok', edits: [{ start: st.start + 13, end: st.start + 13, newText: ' CONCURRENTLY' }] };
    const bad = { title: 'broken', edits: [{ start: st.start + 13, end: st.start + 13, newText: ' (((' }] };
    expect(checkedFix(good, st)).toBe(good);
    expect(checkedFix(bad, st)).toBeUndefined();
    expect(checkedFix({ title: 'empty', edits: [] }, st)).toBeUndefined();
  });

  it('computes fixes lazily, once, and includes them in JSON', () => {
    const { files } = lintSources([{ path: 'a.sql', text: 'REINDEX INDEX i;' }]);
    const f = files[0].findings[0];
    expect(f.fix).toBe(f.fix);
    expect(JSON.parse(JSON.stringify(f)).fix.edits).toEqual([{ start: 13, end: 13, newText: ' CONCURRENTLY' }]);
  });
});
