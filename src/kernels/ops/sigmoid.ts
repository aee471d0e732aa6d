// Sigmoid on the GPU: monotone interval forward; for CROWN its lines from shaders/relax.wgsl
// (SIGMOID: [ls, li, us, ui] per (box, neuron)), applied by rowops sigmoid backward.
import type { SigmoidOp } from '../../network.js';
import { groups, params } from '../runtime.js';
import type { GpuOpRule } from './rule.js';
import { unaryInterval } from './unary.js';
import { RELAX } from './relax.js';

export const sigmoidRule: GpuOpRule<SigmoidOp> = {
  form: 'nonlinear',
  interval(_op, c) {
    unaryInterval('sigmoid', c);
    if (!c.crown) return undefined;
    const total = c.count * c.L.outSize;
    const r = { f: c.alloc(4 * total) };
    c.rt.dispatch('relax', { MODE: RELAX.sigmoid }, params(total, ...new Array(11).fill(0)), [c.x.lo, c.x.hi, r.f, c.dummy], groups(total));
    return r;
  },
  backward(_op, c) {
    c.rowop('sigmoid', c.L.outSize, c.relax!.f, c.dummy, c.x);
  },
  foldsSpec: false,
};
