// MaxPool on the GPU: the interval image, and for CROWN the relaxation of shaders/relax.wgsl
// (MAXPOOL: per output, the lower line's input and the upper line's input, slope and intercept).
// Backward: rowops maxpool (a ≥ 0 to the lower line's input, a < 0 as a·s to the upper one's,
// cst += a·icpt; its a·s roundings are in the mode's factor 2), then pool_back.
import type { MaxPool2dOp } from '../../network.js';
import { groups, params } from '../runtime.js';
import { dotError, U32R } from '../fp.js';
import type { GpuOpRule } from './rule.js';
import { poolBack, poolInterval } from './pool.js';
import { windowParams, windowTerms } from './window.js';
import { RELAX } from './relax.js';

export const maxpoolRule: GpuOpRule<MaxPool2dOp> = {
  form: 'nonlinear',
  interval(op, c) {
    poolInterval(op, c);
    if (!c.crown) return undefined;
    const total = c.count * c.L.outSize;
    const r = { f: c.alloc(2 * total), idx: c.alloc(2 * total) };
    c.rt.dispatch('relax', { MODE: RELAX.maxpool }, params(total, ...windowParams(c.L)), [c.x.lo, c.x.hi, r.f, r.idx], groups(total));
    return r;
  },
  backward(op, c) {
    c.rowop('maxpool', c.L.outSize, c.relax!.f, c.y.v!, c.x, dotError(1, windowTerms(op)) + 2 * U32R);
    poolBack(op, c);
  },
  foldsSpec: false,
};
