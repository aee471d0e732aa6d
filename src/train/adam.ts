// Adam (Kingma & Ba) with bias correction, updating parameter arrays in place: the one
// optimiser of the project. Training descends a loss; α-CROWN and β-CROWN ascend a bound and
// project every parameter back onto its sound set (α ∈ [0, 1], β ≥ 0) after each step, and
// drop the rows they have decided (keepRows) without losing the moments of the others.

export interface AdamStep {
  /** Move up the gradient instead of down (bounds are maximised). */
  ascend?: boolean;
  /** Clamp every parameter into [lo, hi] after the step (projected Adam). */
  lo?: number;
  hi?: number;
  /**
   * Per parameter array, the only entries whose gradient can be non-zero (ascending), or
   * undefined for all: the others keep m = v = 0 and are skipped as below, so the step is the
   * same without visiting them (α-CROWN's α of the neurons a domain leaves unstable).
   */
  only?: readonly (Int32Array | undefined)[];
}

export class Adam {
  private m: Float64Array[];
  private v: Float64Array[];
  private t = 0;

  constructor(private params: Float64Array[], private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly eps = 1e-8) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /** The parameter arrays (replaced by keepRows). */
  get parameters(): Float64Array[] {
    return this.params;
  }

  step(grads: Float64Array[], lr: number, how: AdamStep = {}): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    const stepSize = (how.ascend ? -lr : lr) / c1, sqrtC2 = Math.sqrt(c2);
    const lo = how.lo ?? -Infinity, hi = how.hi ?? Infinity;
    const clamp = how.lo !== undefined || how.hi !== undefined;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i], g = grads[i], m = this.m[i], v = this.v[i], at = how.only?.[i];
      const count = at ? at.length : p.length;
      for (let t = 0; t < count; t++) {
        const k = at ? at[t] : t;
        const gk = g[k];
        // a parameter that has only ever had gradient 0 (α of a neuron stable on every domain so
        // far: most of a convolutional layer's) keeps m = v = 0, so the step would leave it where
        // it is: skipped (same values; 11% of branch and bound's time on mnist-cnn went here)
        if (gk === 0 && m[k] === 0 && v[k] === 0 && p[k] >= lo && p[k] <= hi) continue;
        m[k] = b1 * m[k] + (1 - b1) * gk;
        v[k] = b2 * v[k] + (1 - b2) * gk * gk;
        p[k] -= stepSize * m[k] / (Math.sqrt(v[k]) / sqrtC2 + eps);
        if (clamp) p[k] = Math.min(hi, Math.max(lo, p[k]));
      }
    }
  }

  /**
   * Every parameter array holds R equal rows: keep rows `keep` (in that order) of the
   * parameters and of their moments; returns the new parameter arrays.
   */
  keepRows(keep: readonly number[], R: number): Float64Array[] {
    const pick = (a: Float64Array) => {
      const w = a.length / R;
      const out = new Float64Array(keep.length * w);
      keep.forEach((r, q) => out.set(a.subarray(r * w, (r + 1) * w), q * w));
      return out;
    };
    this.params = this.params.map(pick);
    this.m = this.m.map(pick);
    this.v = this.v.map(pick);
    return this.params;
  }
}
