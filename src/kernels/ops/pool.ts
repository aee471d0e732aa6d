// What MaxPool and AvgPool share on the GPU: the window kernels, shaders/pool.wgsl forward (with
// v = max|x| over the window for the backward slack) and shaders/pool_back.wgsl backward (each
// input sums its terms from the ≤ ⌈KH/SH⌉·⌈KW/SW⌉ windows holding it).
import type { AvgPool2dOp, MaxPool2dOp } from '../../network.js';
import { groups, params } from '../runtime.js';
import type { IntervalCtx, StepCtx } from './rule.js';
import { windowParams } from './window.js';

const includesPad = (op: AvgPool2dOp | MaxPool2dOp) => (op.kind === 'avgpool2d' && op.countIncludePad ? 1 : 0);

/** The pool's interval image (pool.wgsl). */
export function poolInterval(op: AvgPool2dOp | MaxPool2dOp, c: IntervalCtx): void {
  const { rt, count, x, y } = c;
  const total = count * c.L.outSize;
  y.v = c.alloc(total);
  rt.dispatch('pool', { AVG: op.kind === 'avgpool2d' ? 1 : 0 }, params(total, ...windowParams(c.L), includesPad(op)),
    [x.lo, x.hi, y.lo, y.hi, y.v], groups(total));
}

/** Λ over the pool's output (after the rule's rowops step) to Λ over its input (pool_back.wgsl). */
export function poolBack(op: AvgPool2dOp | MaxPool2dOp, c: StepCtx): void {
  const total = c.R * c.L.inSize;
  const avg = op.kind === 'avgpool2d';
  c.rt.dispatch('pool_back', { AVG: avg ? 1 : 0 }, params(total, ...windowParams(c.L), includesPad(op)),
    [c.lam, avg ? c.dummy : c.relax!.idx!, c.rowBox, c.spare], groups(total));
  c.swap();
}
