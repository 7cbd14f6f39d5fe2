/**
 * Union-find over record sequence numbers, in a typed array (4 bytes a record, no objects), so
 * clustering a million leads costs 4 MB. The root of a set is always its smallest member, so the
 * result does not depend on the order unions happen in.
 */
export class UnionFind {
  private parent = new Int32Array(1024);
  size = 0;

  /** Adds the next element (its own set) and returns its number. */
  add(): number {
    if (this.size === this.parent.length) {
      const grown = new Int32Array(this.parent.length * 2);
      grown.set(this.parent);
      this.parent = grown;
    }
    this.parent[this.size] = this.size;
    return this.size++;
  }

  find(x: number): number {
    let root = x;
    while (this.parent[root] !== root) root = this.parent[root]!;
    while (this.parent[x] !== root) {
      const next = this.parent[x]!;
      this.parent[x] = root;
      x = next;
    }
    return root;
  }

  /** Joins the sets of a and b; returns the new root, or -1 when they were one set already. */
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return -1;
    const [low, high] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[high] = low;
    return low;
  }
}
