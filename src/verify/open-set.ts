// Bookkeeping of the cascade: which disjuncts of which input regions are still open (not yet
// proved unreachable), and the spec rows that bound them.
import type { Property } from '../spec/property.js';

export class OpenSet {
  /** open[r][k]: disjunct k of region r might still be reached. */
  readonly open: boolean[][];
  constructor(readonly prop: Property) {
    this.open = prop.regions.map((reg) => reg.unsafe.map(() => true));
  }

  count(): number {
    let n = 0;
    for (const o of this.open) for (const v of o) if (v) n++;
    return n;
  }

  regionOpen(r: number): boolean {
    return this.open[r].some((v) => v);
  }

  /**
   * The rows a·y of region r's open disjuncts stacked into one C (rows × outputs), with
   * thresholds b and which disjunct each row belongs to. Null when none is open.
   */
  rows(r: number): { c: Float64Array; b: Float64Array; owner: number[]; rows: number } | null {
    const m = this.prop.numOutputs;
    const owner: number[] = [];
    const parts: { a: Float64Array; b: number }[] = [];
    this.prop.regions[r].unsafe.forEach((conj, k) => {
      if (!this.open[r][k]) return;
      for (let i = 0; i < conj.rows; i++) {
        owner.push(k);
        parts.push({ a: conj.a.subarray(i * m, (i + 1) * m), b: conj.b[i] });
      }
    });
    if (!parts.length) return null;
    const c = new Float64Array(parts.length * m);
    const b = new Float64Array(parts.length);
    parts.forEach((p, i) => { c.set(p.a, i * m); b[i] = p.b; });
    return { c, b, owner, rows: parts.length };
  }

  /**
   * Closes every open disjunct of region r with some row whose lower bound of a·y exceeds b
   * (no point of the box satisfies that row, so none satisfies the conjunction). Returns how
   * many were closed.
   */
  closeByLowerBounds(r: number, rows: { b: Float64Array; owner: number[] }, lower: ArrayLike<number>): number {
    let closed = 0;
    rows.owner.forEach((k, i) => {
      if (this.open[r][k] && lower[i] > rows.b[i]) {
        this.open[r][k] = false;
        closed++;
      }
    });
    return closed;
  }
}
