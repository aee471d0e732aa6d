// The CPU bound engine: float64 IBP and CROWN, batched over boxes, the reference every other
// engine (WebGPU, MILP big-M) is checked against. Others code against these names:
//   ibpLayerBounds(net, boxes)            interval bounds of every layer's output
//   crownLayerBounds(net, boxes)          same, layers read by ReLU/Sigmoid/MaxPool and the output
//                                         tightened by CROWN ∩ interval (ReLU inputs: unstable neurons)
//   boundNetworkCpu(net, boxes, opts)     bounds of C·y (opts.spec; none: y), method ibp | crown
//   new CpuEngine()                       the BoundEngine for --backend cpu
// Layout: plan.ts (per-layer facts), ibp.ts / crown.ts (drivers), backward.ts (one backward pass),
// bound.ts (chunking, spec), ops/<op>.ts (one file per operator: interval + backward rule).
export { ibpLayerBounds, crownLayerBounds, boundNetworkCpu, type CpuBoundOptions } from './bound.js';
export { CpuEngine } from './engine.js';
export type { BoundEngine, BoundMethod, BoundOptions, BoundResult, Boxes, LayerBounds, Spec } from './types.js';
