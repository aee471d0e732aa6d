// The window geometry the conv and pool kernels read (shaders/window.wgsl), from a layer's shapes and op.
import type { Conv2dOp, AvgPool2dOp, MaxPool2dOp } from '../../network.js';
import type { GpuLayer } from '../gpunet.js';

/** [c, h, w, oh, ow, kh, kw, sh, sw, pad top, pad left] of a Conv2d / pooling layer. */
export function windowParams(L: GpuLayer): number[] {
  const op = L.layer.op as { kernel: [number, number]; stride: [number, number]; pads: number[] };
  const [c, h, w] = L.inShape;
  const [, oh, ow] = L.layer.shape;
  return [c, h, w, oh, ow, op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]];
}

/** Windows that hold one input element (≤ ⌈KH/SH⌉·⌈KW/SW⌉): the terms a backward gather sums per input channel. */
export function windowTerms(op: Conv2dOp | AvgPool2dOp | MaxPool2dOp): number {
  const [kh, kw] = op.kernel, [sh, sw] = op.stride;
  return Math.ceil(kh / sh) * Math.ceil(kw / sw);
}
