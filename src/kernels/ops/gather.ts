// Permute and Pad on the GPU move elements: forward a gather by the output → input map (−1: a
// padded zero), backward a gather by the input → output map (shaders/gather.wgsl). Exact in f32.
import { groups, params } from '../runtime.js';
import type { IntervalCtx, StepCtx } from './rule.js';

export function gatherInterval(c: IntervalCtx): undefined {
  const total = c.count * c.L.outSize;
  for (const [s, d] of [[c.x.lo, c.y.lo], [c.x.hi, c.y.hi]]) {
    c.rt.dispatch('gather', {}, params(total, c.L.outSize, c.L.inSize), [s, c.L.fwdIdx!, d], groups(total));
  }
  return undefined;
}

export function gatherBack(c: StepCtx): void {
  const total = c.R * c.L.inSize;
  c.rt.dispatch('gather', {}, params(total, c.L.inSize, c.L.outSize), [c.lam, c.L.backIdx!, c.spare], groups(total));
  c.swap();
}
