// A network uploaded for the GPU: weights rounded to nearest f32 (the kernels' error terms
// account for |W − fl32(W)| ≤ u|W|), Dense weights also split in two f32 parts for the error-free
// products of back_gemm (splitWeights), index maps for Permute/Pad, which layers CROWN tightens
// and with which rows, and what each method supports.
import type { Network, Layer, Shape } from '../network.js';
import { INPUT, size, isSequential, layerInputShape } from '../network.js';
import { planOf, type Tighten } from '../bounds/plan.js';
import type { GpuRuntime } from './runtime.js';

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

const IBP_OPS = new Set(['dense', 'conv2d', 'relu', 'sigmoid', 'maxpool2d', 'avgpool2d', 'pad', 'affine', 'permute', 'reshape']);
// Residual adds (non-chains) are the one case left to the CPU engine.
const CROWN_OPS = new Set(['dense', 'conv2d', 'relu', 'sigmoid', 'maxpool2d', 'avgpool2d', 'affine', 'permute', 'reshape', 'pad']);

function padMaps(inShape: Shape, pads: readonly number[]): { fwd: Int32Array; back: Int32Array } {
  const [c, h, w] = inShape;
  const [pt, pl, pb, pr] = pads;
  const oh = h + pt + pb, ow = w + pl + pr;
  const fwd = new Int32Array(c * oh * ow).fill(-1);
  const back = new Int32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (ch * oh + y + pt) * ow + x + pl;
        const i = (ch * h + y) * w + x;
        fwd[o] = i;
        back[i] = o;
      }
    }
  }
  return { fwd, back };
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
    coordwise[i] = fromCoords && ['reshape', 'permute', 'pad', 'affine'].includes(layer.op.kind);
    const exact = fromCoords && ['dense', 'conv2d', 'avgpool2d'].includes(layer.op.kind);
    const tighten = exact || coordwise[i] ? 'none' : plan.layers[i].tighten;
    const g: GpuLayer = { layer, inShape, inSize: size(inShape), outSize: size(layer.shape), tighten };
    const op = layer.op;
    if (!IBP_OPS.has(op.kind)) ibpUnsupported ??= `layer ${i} '${layer.name}' (${op.kind})`;
    if (!CROWN_OPS.has(op.kind)) crownUnsupported ??= `layer ${i} '${layer.name}' (${op.kind})`;
    if (layer.inputs[0] !== (i === 0 ? INPUT : i - 1)) return g;
    switch (op.kind) {
      case 'dense': {
        g.weight = f32(op.weight);
        const { hi, lo } = splitWeights(op.weight);
        g.weightHi = keep(rt.upload(hi));
        g.weightLo = keep(rt.upload(lo));
        g.bias = f32(op.bias);
        break;
      }
      case 'conv2d': {
        g.weight = f32(op.weight);
        const { hi, lo } = splitWeights(op.weight);
        g.weightHi = keep(rt.upload(hi));
        g.weightLo = keep(rt.upload(lo));
        g.bias = f32(op.bias);
        // per output element, for the backward pass's constant (rowops reads a bias per column)
        const plane = g.outSize / op.outChannels;
        g.biasFull = f32(Float64Array.from({ length: g.outSize }, (_, e) => op.bias[Math.floor(e / plane)]));
        break;
      }
      case 'avgpool2d':
        g.biasFull = keep(rt.upload(new Float32Array(g.outSize)));
        break;
      case 'affine':
        g.weight = f32(op.scale);
        g.bias = f32(op.shift);
        break;
      case 'permute': {
        const back = new Int32Array(op.perm.length);
        op.perm.forEach((src, j) => { back[src] = j; });
        g.fwdIdx = keep(rt.upload(op.perm));
        g.backIdx = keep(rt.upload(back));
        break;
      }
      case 'pad': {
        const { fwd, back } = padMaps(inShape, op.pads);
        g.fwdIdx = keep(rt.upload(fwd));
        g.backIdx = keep(rt.upload(back));
        break;
      }
      default:
    }
    return g;
  });
  return { net, layers, ibpUnsupported, crownUnsupported, buffers };
}
