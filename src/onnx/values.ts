// What an ONNX tensor name stands for while importing: a constant (folded at load) or
// the output of a network layer, with its full ONNX dims (batch included when present).
import type { Shape } from '../network.js';
import { UserError } from '../errors.js';
import type { ConstTensor } from './proto.js';

/**
 * The most values one tensor computed at load time may have (a network tensor, or a constant
 * the importer builds, such as a ConstantOfShape or a broadcast). 2^26 is 20x the largest
 * activation of the VNN-COMP networks (VGG16: 64x224x224); a bigger one is a malformed or
 * hostile file, and would otherwise end in an internal RangeError or an out-of-memory crash.
 * Initializers are not capped here: the file itself holds their values.
 */
export const MAX_TENSOR = 2 ** 26;

/** Throws a UserError unless every dim is a whole number ≥ 0 and there are at most MAX_TENSOR values. */
export function checkDims(where: string, dims: readonly number[], what = 'tensor'): void {
  const bad = dims.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) throw new UserError(`${where}: ${what} dims [${dims}] contain ${bad}, which is not a size`);
  const n = prod(dims);
  if (n > MAX_TENSOR) throw new UserError(`${where}: ${what} dims [${dims}] hold ${n} values; at most ${MAX_TENSOR} are supported`);
}

export type Const = ConstTensor & { t: 'const' };
/** `src` is a layer index or INPUT; the layer's shape is internalShape(dims). */
export interface Dyn { t: 'dyn'; src: number; dims: number[] }
export type Value = Const | Dyn;

export function constOf(dims: number[], data: Float64Array, int = false): Const {
  return { t: 'const', dims, data, int };
}

export function prod(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The internal (batch-free) shape of ONNX dims: a leading 1 of a rank ≥ 2 tensor is the batch. */
export function internalShape(dims: readonly number[]): Shape {
  return dims.length >= 2 && dims[0] === 1 ? dims.slice(1) : dims.slice();
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides of dims. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let k = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = k; k *= dims[i]; }
  return s;
}

/** Numpy broadcast of two shapes, or undefined when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Expands `c` (broadcastable) to the full row-major tensor of `dims`. */
export function expandTo(c: Const, dims: readonly number[]): Float64Array {
  const n = prod(dims);
  const out = new Float64Array(n);
  const r = dims.length;
  const cs = strides(c.dims);
  // stride of each output axis inside c (0 where c broadcasts)
  const map = dims.map((_, i) => {
    const j = i - (r - c.dims.length);
    return j >= 0 && c.dims[j] !== 1 ? cs[j] : 0;
  });
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let i = 0; i < r; i++) off += idx[i] * map[i];
    out[k] = c.data[off];
    for (let i = r - 1; i >= 0; i--) { if (++idx[i] < dims[i]) break; idx[i] = 0; }
  }
  return out;
}

/** Element-wise binary op on constants with broadcasting. */
export function constBinary(a: Const, b: Const, f: (x: number, y: number) => number, where = 'constant'): Const | undefined {
  const dims = broadcastDims(a.dims, b.dims);
  if (!dims) return undefined;
  checkDims(where, dims, 'the broadcast result');
  const x = expandTo(a, dims), y = expandTo(b, dims);
  const out = new Float64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x[i], y[i]);
  const int = a.int && b.int;
  if (int) for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]);
  return constOf(dims, out, int);
}

/** Flat source index of every output element of a transpose: y[i] = x[src[i]]. */
export function transposeIndex(dims: readonly number[], perm: readonly number[]): { dims: number[]; src: Int32Array } {
  const outDims = perm.map((p) => dims[p]);
  const inStr = strides(dims);
  const n = prod(dims);
  const src = new Int32Array(n);
  const idx = new Array<number>(perm.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let i = 0; i < perm.length; i++) off += idx[i] * inStr[perm[i]];
    src[k] = off;
    for (let i = perm.length - 1; i >= 0; i--) { if (++idx[i] < outDims[i]) break; idx[i] = 0; }
  }
  return { dims: outDims, src };
}

/** Flat source index of a Gather along `axis` with the given (non-negative) indices. */
export function gatherIndex(dims: readonly number[], axis: number, indices: readonly number[], idxDims: readonly number[]): { dims: number[]; src: Int32Array } {
  const outer = prod(dims.slice(0, axis));
  const inner = prod(dims.slice(axis + 1));
  const outDims = [...dims.slice(0, axis), ...idxDims, ...dims.slice(axis + 1)];
  const src = new Int32Array(outer * indices.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const j of indices) {
      const base = (o * dims[axis] + j) * inner;
      for (let i = 0; i < inner; i++) src[k++] = base + i;
    }
  }
  return { dims: outDims, src };
}

export function isIdentity(perm: Int32Array): boolean {
  for (let i = 0; i < perm.length; i++) if (perm[i] !== i) return false;
  return true;
}

/** Normalises a possibly negative axis for a tensor of rank r. */
export function axisOf(axis: number, r: number): number {
  return axis < 0 ? axis + r : axis;
}

/**
 * [top, left, bottom, right] pads of a 2-D window op from its auto_pad / pads attributes,
 * or a message saying why they are not supported.
 */
export function windowPads(spatial: readonly number[], kernel: [number, number], stride: [number, number], autoPad: string, pads?: number[]): [number, number, number, number] | string {
  switch (autoPad) {
    case 'NOTSET':
    case '':
      if (!pads) return [0, 0, 0, 0];
      if (pads.length !== 4) return `pads [${pads}] must have 4 values (2-D windows only)`;
      if (pads.some((p) => p < 0)) return `negative pads [${pads}] are not supported`;
      return [pads[0], pads[1], pads[2], pads[3]];
    case 'VALID':
      return [0, 0, 0, 0];
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const before: number[] = [], after: number[] = [];
      for (let a = 0; a < 2; a++) {
        const out = Math.ceil(spatial[a] / stride[a]);
        const total = Math.max((out - 1) * stride[a] + kernel[a] - spatial[a], 0);
        const small = Math.floor(total / 2);
        before.push(autoPad === 'SAME_UPPER' ? small : total - small);
        after.push(total - before[a]);
      }
      return [before[0], before[1], after[0], after[1]];
    }
    default:
      return `auto_pad '${autoPad}' is not supported`;
  }
}
