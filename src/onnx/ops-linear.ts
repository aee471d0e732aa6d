// Linear operators: Gemm / MatMul → dense, Conv → conv2d, and element-wise arithmetic with
// constants → affine (folded into the dense / conv / affine layer before it when that
// layer has no other reader), BatchNormalization likewise; Add of two tensors → add.
import type { Layer } from '../network.js';
import { attrFloat, attrInt, attrInts, attrString } from './proto.js';
import { broadcastDims, constBinary, expandTo, internalShape, prod, sameShape, windowPads } from './values.js';
import type { Const, Dyn } from './values.js';
import { cst, dyn, fail, fmt } from './context.js';
import type { Ctx, Handler } from './context.js';

/** y = x * scale + shift on a network tensor (null = 1 / 0), output viewed as `dims`. */
export function affine(ctx: Ctx, x: Dyn, scale: Float64Array | null, shift: Float64Array | null, dims = x.dims): Dyn {
  const own = ctx.b.exclusive(x);
  if (own && sameShape(internalShape(dims), own.shape) && foldInto(own, scale, shift)) return ctx.b.alias(x, ctx.out(), dims);
  const n = prod(x.dims);
  const op = { kind: 'affine' as const, scale: scale ?? new Float64Array(n).fill(1), shift: shift ?? new Float64Array(n) };
  return ctx.b.add(op, [x.src], ctx.name, ctx.out(), dims, ctx.where);
}

/** Folds y = x*s + t into the layer that computes x; false when the layer cannot absorb it. */
function foldInto(layer: Layer, s: Float64Array | null, t: Float64Array | null): boolean {
  const op = layer.op;
  if (op.kind === 'affine') {
    for (let i = 0; i < op.scale.length; i++) {
      const si = s ? s[i] : 1;
      op.scale[i] *= si;
      op.shift[i] = op.shift[i] * si + (t ? t[i] : 0);
    }
    return true;
  }
  if (op.kind !== 'dense' && op.kind !== 'conv2d') return false;
  const outs = op.kind === 'dense' ? op.outFeatures : op.outChannels;
  const inner = (s?.length ?? t?.length ?? 0) / outs; // spatial positions per channel
  for (const arr of [s, t]) {
    if (!arr) continue;
    for (let o = 0; o < outs; o++) {
      for (let j = 1; j < inner; j++) if (arr[o * inner + j] !== arr[o * inner]) return false; // not per-channel
    }
  }
  const per = op.weight.length / outs;
  for (let o = 0; o < outs; o++) {
    const so = s ? s[o * inner] : 1;
    if (so !== 1) for (let j = 0; j < per; j++) op.weight[o * per + j] *= so;
    op.bias[o] = op.bias[o] * so + (t ? t[o * inner] : 0);
  }
  return true;
}

function arith(kind: 'Add' | 'Sub' | 'Mul' | 'Div'): Handler {
  const f = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => x / y }[kind];
  return (ctx, [a, b]) => {
    if (!a || !b) fail(ctx, 'needs two inputs');
    if (a.t === 'const' && b.t === 'const') {
      const r = constBinary(a, b, f, ctx.where);
      if (!r) fail(ctx, `shapes ${fmt(a.dims)} and ${fmt(b.dims)} do not broadcast`);
      return [r];
    }
    if (a.t === 'dyn' && b.t === 'dyn') return [twoTensors(ctx, kind, a, b)];
    const constFirst = a.t === 'const';
    const x = (constFirst ? b : a) as Dyn;
    let c = (constFirst ? a : b) as Const;
    const dims = broadcastDims(x.dims, c.dims);
    if (!dims || prod(dims) !== prod(x.dims)) fail(ctx, `constant ${fmt(c.dims)} does not broadcast onto the network tensor ${fmt(x.dims)}`);
    while (c.dims.length > x.dims.length) c = { ...c, dims: c.dims.slice(1) }; // extra leading 1s
    const k = expandTo(c, x.dims);
    switch (kind) {
      case 'Add': return [affine(ctx, x, null, k, dims)];
      case 'Sub': return [constFirst ? affine(ctx, x, new Float64Array(k.length).fill(-1), k, dims) : affine(ctx, x, null, k.map((v) => -v), dims)];
      case 'Mul': return [affine(ctx, x, k, null, dims)];
      case 'Div': {
        if (constFirst) fail(ctx, 'dividing a constant by the network tensor is not supported (not linear)');
        const zero = k.findIndex((v) => v === 0);
        if (zero >= 0) fail(ctx, `divides by zero (element ${zero} of '${ctx.node.input?.[1]}')`);
        return [affine(ctx, x, k.map((v) => 1 / v), null, dims)];
      }
    }
  };
}

/** Add / Sub of two network tensors (residual connections). */
function twoTensors(ctx: Ctx, kind: string, a: Dyn, b: Dyn): Dyn {
  if (kind !== 'Add' && kind !== 'Sub') fail(ctx, `${kind} of two network tensors is not supported (not linear)`);
  const dims = broadcastDims(a.dims, b.dims);
  if (!dims || prod(dims) !== prod(a.dims) || prod(dims) !== prod(b.dims)) fail(ctx, `cannot add tensors ${fmt(a.dims)} and ${fmt(b.dims)}`);
  let other = b.src;
  if (kind === 'Sub') {
    const n = prod(b.dims);
    const neg = { kind: 'affine' as const, scale: new Float64Array(n).fill(-1), shift: new Float64Array(n) };
    other = ctx.b.add(neg, [b.src], `${ctx.name}/neg`, '', b.dims, ctx.where).src;
  }
  return ctx.b.add({ kind: 'add' }, [a.src, other], ctx.name, ctx.out(), dims, ctx.where);
}

export const linearOps: Record<string, Handler> = {
  Add: arith('Add'),
  Sub: arith('Sub'),
  Mul: arith('Mul'),
  Div: arith('Div'),
  Neg(ctx, [x]) {
    const v = dyn(ctx, x);
    return [affine(ctx, v, new Float64Array(prod(v.dims)).fill(-1), null)];
  },

  Gemm(ctx, [a, bIn, cIn]) {
    const A = dyn(ctx, a, 0);
    const B = cst(ctx, bIn, 1, 'B (weight)');
    const alpha = attrFloat(ctx.node, 'alpha', 1), beta = attrFloat(ctx.node, 'beta', 1);
    const transA = attrInt(ctx.node, 'transA', 0), transB = attrInt(ctx.node, 'transB', 0);
    if (A.dims.length !== 2) fail(ctx, `expects a 2-D input, got ${fmt(A.dims)}`);
    const [m, k] = transA ? [A.dims[1], A.dims[0]] : A.dims;
    if (m !== 1) fail(ctx, `input ${fmt(A.dims)} has ${m} rows; only a batch of 1 is supported`);
    if (B.dims.length !== 2) fail(ctx, `weight B must be 2-D, got ${fmt(B.dims)}`);
    const [kb, n] = transB ? [B.dims[1], B.dims[0]] : B.dims;
    if (kb !== k) fail(ctx, `weight B ${fmt(B.dims)}${transB ? ' (transB)' : ''} does not fit the input ${fmt(A.dims)}: ${kb} != ${k} features`);
    const weight = new Float64Array(n * k);
    for (let o = 0; o < n; o++) {
      for (let i = 0; i < k; i++) weight[o * k + i] = alpha * (transB ? B.data[o * k + i] : B.data[i * n + o]);
    }
    let bias = new Float64Array(n);
    if (cIn) {
      const C = cst(ctx, cIn, 2, 'C (bias)');
      const d = broadcastDims([1, n], C.dims);
      if (!d || prod(d) !== n) fail(ctx, `bias C ${fmt(C.dims)} does not broadcast to [1,${n}]`);
      bias = expandTo({ ...C, dims: C.dims.filter((_, i) => i >= C.dims.length - 2) }, [1, n]).map((v) => beta * v);
    }
    return [ctx.b.add({ kind: 'dense', inFeatures: k, outFeatures: n, weight, bias }, [A.src], ctx.name, ctx.out(), [1, n], ctx.where)];
  },

  MatMul(ctx, [a, b]) {
    if (a?.t === 'dyn' && b?.t === 'const') {
      if (b.dims.length !== 2) fail(ctx, `only a 2-D constant weight is supported, got ${fmt(b.dims)}`);
      const [k, n] = b.dims;
      if (a.dims[a.dims.length - 1] !== k) fail(ctx, `weight ${fmt(b.dims)} does not fit the input ${fmt(a.dims)}`);
      if (prod(a.dims) !== k) fail(ctx, `input ${fmt(a.dims)} has more than one row; only a batch of 1 is supported`);
      const weight = new Float64Array(n * k);
      for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) weight[o * k + i] = b.data[i * n + o];
      const dense = { kind: 'dense' as const, inFeatures: k, outFeatures: n, weight, bias: new Float64Array(n) };
      return [ctx.b.add(dense, [a.src], ctx.name, ctx.out(), [...a.dims.slice(0, -1), n], ctx.where)];
    }
    if (a?.t === 'const' && b?.t === 'dyn') {
      // W · x with x a column (rank 1 or [k,1]): the weight is already [out][in]
      if (a.dims.length !== 2) fail(ctx, `only a 2-D constant weight is supported, got ${fmt(a.dims)}`);
      const [n, k] = a.dims;
      const column = b.dims.length === 1 || (b.dims.length === 2 && b.dims[1] === 1);
      if (!column || b.dims[0] !== k) fail(ctx, `weight ${fmt(a.dims)} does not fit the input ${fmt(b.dims)}`);
      const dense = { kind: 'dense' as const, inFeatures: k, outFeatures: n, weight: a.data.slice(), bias: new Float64Array(n) };
      return [ctx.b.add(dense, [b.src], ctx.name, ctx.out(), b.dims.length === 1 ? [n] : [n, 1], ctx.where)];
    }
    fail(ctx, 'needs one constant and one network input (a product of two network tensors is not linear)');
  },

  Conv(ctx, [xIn, wIn, bIn]) {
    const x = dyn(ctx, xIn, 0);
    const W = cst(ctx, wIn, 1, 'weight');
    if (x.dims.length !== 4) fail(ctx, `only 2-D convolution on an NCHW input is supported, got input ${fmt(x.dims)}`);
    if (W.dims.length !== 4) fail(ctx, `weight must be 4-D, got ${fmt(W.dims)}`);
    const group = attrInt(ctx.node, 'group', 1);
    if (group !== 1) fail(ctx, `group=${group} is not supported (only 1)`);
    const dil = attrInts(ctx.node, 'dilations') ?? [1, 1];
    if (dil.some((d) => d !== 1)) fail(ctx, `dilations ${fmt(dil)} are not supported (only 1)`);
    const [m, c, kh, kw] = W.dims;
    if (x.dims[1] !== c) fail(ctx, `weight ${fmt(W.dims)} expects ${c} input channels, input is ${fmt(x.dims)}`);
    const ks = attrInts(ctx.node, 'kernel_shape');
    if (ks && (ks[0] !== kh || ks[1] !== kw)) fail(ctx, `kernel_shape ${fmt(ks)} does not match the weight ${fmt(W.dims)}`);
    const stride = (attrInts(ctx.node, 'strides') ?? [1, 1]) as [number, number];
    const pads = windowPads(x.dims.slice(2), [kh, kw], stride, attrString(ctx.node, 'auto_pad', 'NOTSET'), attrInts(ctx.node, 'pads'));
    if (typeof pads === 'string') fail(ctx, pads);
    let bias = new Float64Array(m);
    if (bIn) {
      const B = cst(ctx, bIn, 2, 'bias');
      if (B.data.length !== m) fail(ctx, `bias has ${B.data.length} values, expected ${m}`);
      bias = B.data.slice();
    }
    const op = { kind: 'conv2d' as const, inChannels: c, outChannels: m, kernel: [kh, kw] as [number, number], stride, pads, weight: W.data.slice(), bias };
    return [ctx.b.add(op, [x.src], ctx.name, ctx.out(), windowDims(ctx, x, op), ctx.where)];
  },

  BatchNormalization(ctx, ins) {
    const x = dyn(ctx, ins[0], 0);
    const [s, bias, mean, v] = [1, 2, 3, 4].map((k) => cst(ctx, ins[k], k, ['', 'scale', 'B', 'mean', 'var'][k]));
    const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
    const c = x.dims.length >= 2 ? x.dims[1] : x.dims[0];
    for (const t of [s, bias, mean, v]) if (t.data.length !== c) fail(ctx, `parameters have ${t.data.length} values for ${c} channels of ${fmt(x.dims)}`);
    const inner = prod(x.dims.slice(2));
    const n = prod(x.dims);
    const scale = new Float64Array(n), shift = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const ch = Math.floor(i / inner) % c;
      scale[i] = s.data[ch] / Math.sqrt(v.data[ch] + eps);
      shift[i] = bias.data[ch] - mean.data[ch] * scale[i];
    }
    return [affine(ctx, x, scale, shift)];
  },
};

/** ONNX dims of a window op's output ([1, C, OH, OW]). */
export function windowDims(ctx: Ctx, x: Dyn, op: { kernel: [number, number]; stride: [number, number]; pads: [number, number, number, number] }): number[] {
  const [h, w] = x.dims.slice(2);
  const oh = Math.floor((h + op.pads[0] + op.pads[2] - op.kernel[0]) / op.stride[0]) + 1;
  const ow = Math.floor((w + op.pads[1] + op.pads[3] - op.kernel[1]) / op.stride[1]) + 1;
  if (oh < 1 || ow < 1) fail(ctx, `kernel ${op.kernel.join('x')} does not fit input ${fmt(x.dims)} with pads ${fmt(op.pads)}`);
  const c = 'outChannels' in op ? (op as { outChannels: number }).outChannels : x.dims[1];
  return [x.dims[0], c, oh, ow];
}
