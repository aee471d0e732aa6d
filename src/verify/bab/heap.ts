// The open domains of branch and bound (search.ts), lowest margin first: a binary min-heap, so
// that each step pops the domains farthest from proved, which decide the search.

/** A binary min-heap of items by margin. */
export class Heap<T extends { margin: number }> {
  private a: T[] = [];
  get size(): number { return this.a.length; }
  peek(): T | undefined { return this.a[0]; }
  push(d: T): void {
    const a = this.a;
    a.push(d);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].margin <= d.margin) break;
      a[i] = a[p]; i = p;
    }
    a[i] = d;
  }
  pop(): T | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0], last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        let mv = last.margin;
        if (l < a.length && a[l].margin < mv) { m = l; mv = a[l].margin; }
        if (r < a.length && a[r].margin < mv) m = r;
        if (m === i) break;
        a[i] = a[m]; i = m;
      }
      a[i] = last;
    }
    return top;
  }
}
