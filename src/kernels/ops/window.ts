// The window geometry the conv and pool kernels read (shaders/window.wgsl), from a layer's shapes and op.
import type { GpuLayer } from '../gpunet.js';

/** [c, h, w, oh, ow, kh, kw, sh, sw, pad top, pad left] of a Conv2d / pooling layer. */
export function windowParams(L: GpuLayer): number[] {
  const op = L.layer.op as { kernel: [number, number]; stride: [number, number]; pads: number[] };
  const [c, h, w] = L.inShape;
  const [, oh, ow] = L.layer.shape;
  return [c, h, w, oh, ow, op.kernel[0], op.kernel[1], op.stride[0], op.stride[1], op.pads[0], op.pads[1]];
}

export const groups = (total: number) => Math.ceil(total / 256);
