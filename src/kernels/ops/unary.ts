// The element-wise interval kernel shaders/unary.wgsl, by name (its OP constant; the shader's
// header gives each one's rounding): one thread per element of every box.
import { groups, params } from '../runtime.js';
import type { IntervalCtx } from './rule.js';

const OP = { relu: 0, affine: 1, sigmoid: 2 } as const;

/** y = f(x) element-wise; va, vb: per-neuron operands (Affine's scale and shift), else unread. */
export function unaryInterval(f: keyof typeof OP, c: IntervalCtx, va = c.x.lo, vb = c.x.lo): void {
  const total = c.count * c.L.outSize;
  c.rt.dispatch('unary', { OP: OP[f] }, params(total, c.L.outSize), [c.x.lo, c.x.hi, va, vb, c.y.lo, c.y.hi], groups(total));
}
