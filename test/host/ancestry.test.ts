import { beforeAll, describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { Ancestry, parentOf } from '../../server/src/analysis/host/ancestry';
import { initHostParsers, parseHost } from '../../server/src/analysis/host/grammars';

beforeAll(() => initHostParsers());

const SRC = [
  "import { db } from './db';",
  'export async function list(tenant: string) {',
  "  const rows = await db.query(`SELECT id FROM events WHERE tenant_id = ${tenant}`, ['x']);",
  "  return rows.map((r) => ({ ...r, label: 'SELECT ' + r.id }));",
  '}',
  '',
].join('\n');

/** The root-first chain of `n` and its ancestors, by the runtime's own `parent`. */
function chain(n: Node | null): number[] {
  const out: number[] = [];
  for (; n; n = n.parent) out.unshift(n.id);
  return out;
}

describe('Ancestry', () => {
  it('gives, at every offset in any order, the path descendantForIndex and parent give', () => {
    const tree = parseHost('typescript', SRC);
    const offsets = Array.from({ length: SRC.length }, (_, i) => i);
    // Forward, then backward and interleaved: the kept path must be cut back correctly either way.
    const order = [...offsets, ...offsets.slice().reverse(), ...offsets.filter((i) => i % 7 === 0).reverse()];
    Ancestry.during(tree.rootNode, (a) => {
      for (const i of order) {
        const path = a.pathAt(i, 256);
        expect(
          path?.map((n) => n.id),
          `offset ${i}`,
        ).toEqual(chain(tree.rootNode.descendantForIndex(i, i + 1)));
        // parentOf answers from what the walk learned, and agrees with the runtime.
        const last = path![path!.length - 1]!;
        expect(parentOf(last)?.id ?? null, `parent at ${i}`).toBe(last.parent?.id ?? null);
      }
    });
    tree.delete();
  });

  it('says undefined for a node deeper than the bound, and parentOf still answers outside an extraction', () => {
    const deep = `const q = ${'('.repeat(300)}"SELECT 1"${')'.repeat(300)};\n`;
    const tree = parseHost('typescript', deep);
    const at = deep.indexOf('SELECT');
    Ancestry.during(tree.rootNode, (a) => {
      expect(a.pathAt(at, 256)).toBeUndefined();
      expect(a.pathAt(0, 256)?.length).toBeGreaterThan(0);
      expect(a.pathAt(at, 1000)?.length).toBeGreaterThan(300);
    });
    const n = tree.rootNode.descendantForIndex(at, at + 1)!;
    expect(parentOf(n)?.id).toBe(n.parent?.id);
    tree.delete();
  });
});
