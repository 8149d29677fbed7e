/**
 * Parents of a host tree's nodes, learned on the way down from the root.
 *
 * The grammar runtime's `node.parent` walks down from the root on every call, so its cost is the node's depth: a
 * context check looking up to MAX_CONTEXT_DEPTH levels above a literal that sits thousands of levels down (a
 * generated expression, or code the grammar reads as one error) paid depth × levels per literal, minutes for one
 * fuzzed Go file. A walk down from the root to a literal gives every node on the way its parent at once, and
 * look-ups in text order reuse the path of the one before.
 */
import type { Node, Tree } from 'web-tree-sitter';

/** The ancestries of the trees being extracted now (a tree's is dropped once its extraction ends: edits move nodes). */
const ACTIVE = new WeakMap<Tree, Ancestry>();

/** `node`'s parent, from its tree's ancestry when one is active and knows it. */
export function parentOf(node: Node | null | undefined): Node | null {
  if (!node) return null;
  return ACTIVE.get(node.tree)?.known(node) ?? node.parent;
}

export class Ancestry {
  private readonly parents = new Map<number, Node>();
  /** The path of the last look-up: the root first. */
  private readonly path: Node[];

  private constructor(root: Node) {
    this.path = [root];
  }

  /** Runs `f` with an ancestry of `root`'s tree active for parentOf, then frees it. */
  static during<T>(root: Node, f: (ancestry: Ancestry) => T): T {
    const ancestry = new Ancestry(root);
    ACTIVE.set(root.tree, ancestry);
    try {
      return f(ancestry);
    } finally {
      ACTIVE.delete(root.tree);
    }
  }

  known(node: Node): Node | undefined {
    return this.parents.get(node.id);
  }

  /**
   * The smallest node holding the character at `index` and every node above it, the root first (as
   * `root.descendantForIndex(index, index + 1)` and its parents); undefined when that node lies more than `maxDepth`
   * levels below the root. The array is this ancestry's own: read it before the next call.
   */
  pathAt(index: number, maxDepth: number): readonly Node[] | undefined {
    const path = this.path;
    const target = path[0]!.descendantForIndex(index, index + 1);
    if (!target) return undefined;
    const reached = (): boolean => path[path.length - 1]!.id === target.id;
    for (let retried = false; ; retried = true) {
      while (path.length > 1 && !holds(path[path.length - 1]!, target)) path.pop();
      while (!reached()) {
        if (path.length > maxDepth) return undefined;
        // (The cursor's gotoFirstChildForIndex would be cheaper, but the runtime's binding reads its index from the
        // wrong place.)
        const top = path[path.length - 1]!;
        const child = top.childWithDescendant(target);
        if (!child || child.id === top.id) break;
        this.parents.set(child.id, top);
        path.push(child);
      }
      if (reached()) return path;
      if (retried) return undefined;
      // A zero-width node can make a range test say "holds" of a node that is not above the target: start again.
      path.length = 1;
    }
  }
}

function holds(outer: Node, inner: Node): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}
