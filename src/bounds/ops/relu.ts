// ReLU. Interval: [max(l,0), max(u,0)]. Relaxation (CROWN, as auto_LiRPA): stable neurons are
// exact (slope 1 when l ≥ 0, 0 when u ≤ 0); an unstable one (l < 0 < u) has the upper line
// through (l,0) and (u,u) and the adaptive lower line y = x when u ≥ −l, else y = 0.
import type { ReluOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { backwardThroughLines, monotoneInterval } from './activation.js';
import type { NeuronLines } from './activation.js';

export const reluRule: OpRule<ReluOp> = {
  nonlinear: true,
  onlyUnstable: true,
  interval(_op, [x]) {
    return monotoneInterval(x, (v) => (v > 0 ? v : 0));
  },
  relax(_op, [x]): NeuronLines {
    const n = x.lower.length;
    const lowSlope = new Float64Array(n);
    const upSlope = new Float64Array(n);
    const upIcpt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const l = x.lower[i], u = x.upper[i];
      if (l >= 0) {
        lowSlope[i] = 1;
        upSlope[i] = 1;
      } else if (u > 0) {
        const s = u / (u - l);
        upSlope[i] = s;
        upIcpt[i] = -s * l;
        lowSlope[i] = u >= -l ? 1 : 0;
      }
    }
    return { lowSlope, upSlope, upIcpt };
  },
  backward(_op, A, rows, ctx, relax) {
    return backwardThroughLines(A, rows, ctx.outSize, relax as NeuronLines);
  },
};
