// Reshape on the GPU: the same elements in the same order, so the bounds are copied and the
// backward step does nothing.
import type { ReshapeOp } from '../../network.js';
import type { GpuOpRule } from './rule.js';

export const reshapeRule: GpuOpRule<ReshapeOp> = {
  form: 'coordinatewise',
  interval(_op, c) {
    const bytes = c.count * c.L.outSize * 4;
    c.rt.copy(c.x.lo, c.y.lo, bytes);
    c.rt.copy(c.x.hi, c.y.hi, bytes);
    return undefined;
  },
  backward() {},
  foldsSpec: true,
};
