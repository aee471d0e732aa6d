// The CPU bound engine (float64 IBP and CROWN, batched over boxes). Others code against these names.
export { ibpLayerBounds, crownLayerBounds, boundNetworkCpu, type CpuBoundOptions } from './bound.js';
export { CpuEngine } from './engine.js';
export type { BoundEngine, BoundMethod, BoundOptions, BoundResult, Boxes, LayerBounds, Spec } from './types.js';
