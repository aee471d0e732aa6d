// Interval bound propagation for one chunk of boxes: each layer's interval image of its
// inputs' bounds, in topological order.
import { INPUT } from '../network.js';
import type { LayerBounds } from './types.js';
import { ctxOf, type NetPlan } from './plan.js';

export function ibpChunk(plan: NetPlan, input: LayerBounds, count: number): LayerBounds[] {
  const out: LayerBounds[] = [];
  for (const p of plan.layers) {
    const ins = p.inputs.map((src) => (src === INPUT ? input : out[src]));
    out.push(p.rule.interval(p.op, ins, ctxOf(p, count)));
  }
  return out;
}
