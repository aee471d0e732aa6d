// Activations, pooling, zero padding, and the output Softmax (dropped with a warning).
import { attrFloat, attrInt, attrInts, attrString } from './proto.js';
import { constOf, internalShape, windowPads } from './values.js';
import type { Dyn } from './values.js';
import { cst, dyn, fail, fmt } from './context.js';
import type { Ctx, Handler } from './context.js';
import { windowDims } from './ops-linear.js';

function activation(kind: 'relu' | 'sigmoid'): Handler {
  const f = kind === 'relu' ? (v: number) => Math.max(v, 0) : (v: number) => 1 / (1 + Math.exp(-v));
  return (ctx, [x]) => {
    if (x?.t === 'const') return [constOf(x.dims, x.data.map(f))];
    const v = dyn(ctx, x);
    return [ctx.b.add({ kind }, [v.src], ctx.name, ctx.out(), v.dims, ctx.where)];
  };
}

function fourD(ctx: Ctx, x: Dyn): void {
  if (x.dims.length !== 4) fail(ctx, `only 2-D pooling on an NCHW input is supported, got input ${fmt(x.dims)}`);
}

function pool(kind: 'maxpool2d' | 'avgpool2d'): Handler {
  return (ctx, [xIn]) => {
    const x = dyn(ctx, xIn);
    fourD(ctx, x);
    const second = ctx.node.output?.[1];
    if (second && ctx.uses(second) > 0) fail(ctx, 'its Indices output is not supported');
    const ks = attrInts(ctx.node, 'kernel_shape');
    if (!ks || ks.length !== 2) fail(ctx, `kernel_shape ${ks ? fmt(ks) : '(missing)'} must have 2 values`);
    const dil = attrInts(ctx.node, 'dilations') ?? [1, 1];
    if (dil.some((d) => d !== 1)) fail(ctx, `dilations ${fmt(dil)} are not supported (only 1)`);
    const kernel: [number, number] = [ks[0], ks[1]];
    const stride = (attrInts(ctx.node, 'strides') ?? [1, 1]) as [number, number];
    const pads = windowPads(x.dims.slice(2), kernel, stride, attrString(ctx.node, 'auto_pad', 'NOTSET'), attrInts(ctx.node, 'pads'));
    if (typeof pads === 'string') fail(ctx, pads);
    if (attrInt(ctx.node, 'ceil_mode', 0) === 1) {
      for (let a = 0; a < 2; a++) {
        const span = x.dims[2 + a] + pads[a] + pads[a + 2] - kernel[a];
        if (span % stride[a] !== 0) fail(ctx, 'ceil_mode=1 with a partial last window is not supported');
      }
    }
    const op = kind === 'maxpool2d'
      ? { kind, kernel, stride, pads }
      : { kind, kernel, stride, pads, countIncludePad: attrInt(ctx.node, 'count_include_pad', 0) === 1 };
    return [ctx.b.add(op, [x.src], ctx.name, ctx.out(), windowDims(ctx, x, op), ctx.where)];
  };
}

function globalPool(kind: 'maxpool2d' | 'avgpool2d'): Handler {
  return (ctx, [xIn]) => {
    const x = dyn(ctx, xIn);
    fourD(ctx, x);
    const kernel: [number, number] = [x.dims[2], x.dims[3]];
    const base = { kernel, stride: [1, 1] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number] };
    const op = kind === 'maxpool2d' ? { kind, ...base } : { kind, ...base, countIncludePad: false };
    return [ctx.b.add(op, [x.src], ctx.name, ctx.out(), [x.dims[0], x.dims[1], 1, 1], ctx.where)];
  };
}

function dropSoftmax(ctx: Ctx, ins: Parameters<Handler>[1]): ReturnType<Handler> {
  const x = dyn(ctx, ins[0]);
  if (!ctx.onlyGraphOutput(ctx.out())) fail(ctx, `${ctx.op} is only supported as the network's last op (where it is dropped)`);
  if (internalShape(x.dims).length !== 1) fail(ctx, `${ctx.op} over ${fmt(x.dims)} is not supported (only a vector of scores)`);
  ctx.warn(`dropped the output ${ctx.op} (node '${ctx.name}'): it does not change the predicted class, so robustness is judged on the scores before it`);
  return [ctx.b.alias(x, ctx.out())];
}

export const miscOps: Record<string, Handler> = {
  Relu: activation('relu'),
  Sigmoid: activation('sigmoid'),
  MaxPool: pool('maxpool2d'),
  AveragePool: pool('avgpool2d'),
  GlobalMaxPool: globalPool('maxpool2d'),
  GlobalAveragePool: globalPool('avgpool2d'),
  Softmax: dropSoftmax,
  LogSoftmax: dropSoftmax,

  Pad(ctx, ins) {
    const x = dyn(ctx, ins[0]);
    const mode = attrString(ctx.node, 'mode', 'constant');
    if (mode !== 'constant') fail(ctx, `mode '${mode}' is not supported (only constant zero padding)`);
    const r = x.dims.length;
    let pads: number[];
    let value: number;
    const attrPads = attrInts(ctx.node, 'pads');
    if (attrPads) {
      pads = attrPads;
      value = attrFloat(ctx.node, 'value', 0);
    } else {
      const given = Array.from(cst(ctx, ins[1], 1, 'pads').data);
      value = ins[2] ? (cst(ctx, ins[2], 2, 'constant_value').data[0] ?? 0) : 0;
      if (ins[3]) {
        const axes = Array.from(cst(ctx, ins[3], 3, 'axes').data, (a) => (a < 0 ? a + r : a));
        pads = new Array<number>(2 * r).fill(0);
        axes.forEach((a, j) => { pads[a] = given[j]; pads[a + r] = given[j + axes.length]; });
      } else pads = given;
    }
    if (pads.length !== 2 * r) fail(ctx, `pads ${fmt(pads)} do not fit the input ${fmt(x.dims)}`);
    if (value !== 0) fail(ctx, `padding value ${value} is not supported (only 0)`);
    if (pads.every((p) => p === 0)) return [ctx.b.alias(x, ctx.out())];
    if (r !== 4 || pads[0] || pads[1] || pads[4] || pads[5]) fail(ctx, `pads ${fmt(pads)} on input ${fmt(x.dims)}: only H/W padding of an NCHW tensor is supported`);
    if (pads.some((p) => p < 0)) fail(ctx, `negative pads ${fmt(pads)} (cropping) are not supported`);
    const p: [number, number, number, number] = [pads[2], pads[3], pads[6], pads[7]];
    const dims = [x.dims[0], x.dims[1], x.dims[2] + p[0] + p[2], x.dims[3] + p[1] + p[3]];
    return [ctx.b.add({ kind: 'pad', pads: p }, [x.src], ctx.name, ctx.out(), dims, ctx.where)];
  },
};
