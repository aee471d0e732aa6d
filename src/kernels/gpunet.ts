// A network uploaded for the GPU: each op's rule (ops/) uploads what its kernels read — weights
// rounded to nearest f32 (the kernels' error terms account for |W − fl32(W)| ≤ u|W|), Dense and
// Conv2d weights also split in two f32 parts for the error-free backward products
// (splitWeights), index maps for Permute/Pad — and this file decides which layers CROWN
// tightens, with which rows, and what each method supports (ops the registry leaves to the CPU
// engine, networks that are not chains).
import type { Network, Layer, Shape } from '../network.js';
import { INPUT, size, isSequential, layerInputShape } from '../network.js';
import { planOf, type Tighten } from '../bounds/plan.js';
import type { GpuRuntime } from './runtime.js';
import { gpuRuleFor, isCpuOnly } from './ops/index.js';

export interface GpuLayer {
  layer: Layer;
  inShape: Shape;
  inSize: number;
  outSize: number;
  weight?: GPUBuffer;
  /** Dense, Conv2d: W split for back_gemm's / conv_back's error-free products, W ≈ weightHi + weightLo (splitWeights). */
  weightHi?: GPUBuffer;
  weightLo?: GPUBuffer;
  bias?: GPUBuffer;
  /** Conv2d: the bias of every output element; AvgPool: zeros (the backward constant step reads one per column). */
  biasFull?: GPUBuffer;
  /** Permute/Pad: forward gather map (output → input, -1 = zero) and backward map (input → output). */
  fwdIdx?: GPUBuffer;
  backIdx?: GPUBuffer;
  /**
   * Which neurons CROWN back-substitutes (the CPU engine's choice, src/bounds/plan.ts: unstable
   * ones for ReLU inputs, all for MaxPool/Sigmoid inputs), except that a Dense/Conv/AvgPool
   * layer fed by coordinate-wise functions of the input box is left out: its interval image is
   * already exact, so a backward pass could only repeat it.
   */
  tighten: Tighten;
}

export interface GpuNet {
  net: Network;
  layers: GpuLayer[];
  /** Why IBP / CROWN cannot run on the GPU for this network (null when they can). */
  ibpUnsupported: string | null;
  crownUnsupported: string | null;
  buffers: GPUBuffer[];
}

/**
 * W as two f32 parts for back_gemm: hi = fl32(W) cut to its top 12 significant bits (so that its
 * products with 12-bit parts of Λ are exact in f32), lo = fl32(W − hi) (|lo| ≤ 2^-10.9|W|), so
 * |W − hi − lo| ≤ u·|W − hi| + 2^-53|W| ≤ 2^-33|W|.
 */
export function splitWeights(w: Float64Array): { hi: Float32Array; lo: Float32Array } {
  const hi = Float32Array.from(w);
  const bits = new Uint32Array(hi.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] &= 0xfffff000;
  const lo = Float32Array.from(w, (x, i) => x - hi[i]);
  return { hi, lo };
}

export function uploadNetwork(rt: GpuRuntime, net: Network): GpuNet {
  const buffers: GPUBuffer[] = [];
  const keep = (b: GPUBuffer) => (buffers.push(b), b);
  const f32 = (a: Float64Array) => keep(rt.upload(Float32Array.from(a)));
  let ibpUnsupported: string | null = isSequential(net) ? null : 'the network is not a chain (residual adds)';
  let crownUnsupported = ibpUnsupported;
  const plan = planOf(net);
  const coordwise: boolean[] = [];
  const layers = net.layers.map((layer, i): GpuLayer => {
    const inShape = layerInputShape(net, i);
    const src = layer.inputs[0];
    const fromCoords = layer.inputs.length === 1 && (src === INPUT || coordwise[src]);
    const rule = gpuRuleFor(layer.op);
    const form = isCpuOnly(rule) ? undefined : rule.form;
    coordwise[i] = fromCoords && form === 'coordinatewise';
    const exact = fromCoords && form === 'linear';
    const tighten = exact || coordwise[i] ? 'none' : plan.layers[i].tighten;
    const g: GpuLayer = { layer, inShape, inSize: size(inShape), outSize: size(layer.shape), tighten };
    if (isCpuOnly(rule)) {
      ibpUnsupported ??= `layer ${i} '${layer.name}' (${layer.op.kind}: ${rule.cpuOnly})`;
      crownUnsupported ??= ibpUnsupported;
      return g;
    }
    if (layer.inputs[0] !== (i === 0 ? INPUT : i - 1)) return g;
    rule.upload?.(layer.op, { rt, g, f32, keep });
    return g;
  });
  return { net, layers, ibpUnsupported, crownUnsupported, buffers };
}
