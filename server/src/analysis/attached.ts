/**
 * Values kept on the objects they belong to (a statement's semantic model, a scope's output columns), where a
 * module-level WeakMap would keep them beside. V8's young-generation GC keeps a WeakMap entry whose key is young
 * alive: every statement put in such a cache moved, with all it holds, to the old generation, to be freed only by a
 * full GC. A language server scanning 20,000 files grew its heap to 3-4 times what it kept (VmRSS 470-560 MB).
 * A value held by a property dies young with its object.
 */
export class Attached<K extends object, V> {
  private readonly slot: symbol;
  /** For objects that take no new property (frozen, sealed). */
  private readonly fallback = new WeakMap<K, V>();

  constructor(name: string) {
    this.slot = Symbol(name);
  }

  get(key: K): V | undefined {
    return Object.prototype.hasOwnProperty.call(key, this.slot) ? (key as Record<symbol, V>)[this.slot] : this.fallback.get(key);
  }

  set(key: K, value: V): void {
    if (Object.prototype.hasOwnProperty.call(key, this.slot)) (key as Record<symbol, V>)[this.slot] = value;
    // Not enumerable: no spread, comparison or serialisation of the object sees it.
    else if (Object.isExtensible(key)) Object.defineProperty(key, this.slot, { value, writable: true, configurable: true, enumerable: false });
    else this.fallback.set(key, value);
  }
}
