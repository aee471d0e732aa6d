// Adam (Kingma & Ba) with bias correction, updating parameter arrays in place.

export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(private readonly params: Float64Array[], private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly eps = 1e-8) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  step(grads: Float64Array[], lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    const stepSize = lr / c1, sqrtC2 = Math.sqrt(c2);
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i], g = grads[i], m = this.m[i], v = this.v[i];
      for (let k = 0; k < p.length; k++) {
        const gk = g[k];
        m[k] = b1 * m[k] + (1 - b1) * gk;
        v[k] = b2 * v[k] + (1 - b2) * gk * gk;
        p[k] -= stepSize * m[k] / (Math.sqrt(v[k]) / sqrtC2 + eps);
      }
    }
  }
}
