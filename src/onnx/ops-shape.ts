// Operators that only move data or compute shapes: folded at load when their inputs are
// constant, turned into reshape / permute layers when they act on the network's tensors.
import { FLOAT_TYPES, attrInt, attrInts, findAttr, tensorValues } from './proto.js';
import { axisOf, checkDims, constOf, gatherIndex, isIdentity, prod, transposeIndex } from './values.js';
import type { Const, Dyn, Value } from './values.js';
import { cst, fail, fmt } from './context.js';
import type { Ctx, Handler } from './context.js';

/** Applies a data-free reshape to a constant or a network tensor. */
function reshapeValue(ctx: Ctx, v: Value, dims: number[]): Value {
  checkDims(ctx.where, dims, 'the new shape');
  if (prod(dims) !== prod(v.dims)) fail(ctx, `cannot reshape ${fmt(v.dims)} (${prod(v.dims)} values) to ${fmt(dims)}`);
  if (v.t === 'const') return constOf(dims, v.data, v.int);
  return ctx.b.reshape(v, ctx.out(), dims, ctx.name, ctx.where);
}

/** Applies a data movement y[i] = x[src[i]] to a constant or a network tensor. */
function moveValue(ctx: Ctx, v: Value, dims: number[], src: Int32Array): Value {
  if (v.t === 'const') return constOf(dims, Float64Array.from(src, (j) => v.data[j]), v.int);
  if (src.length !== prod(v.dims)) fail(ctx, `selects ${src.length} of ${prod(v.dims)} values of the network's tensor; only reorderings are supported`);
  if (isIdentity(src)) return ctx.b.reshape(v, ctx.out(), dims, ctx.name, ctx.where);
  return ctx.b.add({ kind: 'permute', perm: src }, [v.src], ctx.name, ctx.out(), dims, ctx.where);
}

/** Axes from the attribute (opset < 13) or from input 1 (opset ≥ 13). */
function axesOf(ctx: Ctx, ins: (Value | undefined)[]): number[] | undefined {
  const fromAttr = attrInts(ctx.node, 'axes');
  if (fromAttr) return fromAttr;
  return ins[1] ? Array.from(cst(ctx, ins[1], 1, 'axes').data) : undefined;
}

function need(ctx: Ctx, v: Value | undefined): Value {
  if (!v) fail(ctx, 'input 0 is missing');
  return v;
}

export const shapeOps: Record<string, Handler> = {
  Constant(ctx) {
    const t = findAttr(ctx.node, 'value');
    if (t?.t) return [{ t: 'const', ...tensorValues(t.t, ctx.where) }];
    const f = findAttr(ctx.node, 'value_float');
    if (f) return [constOf([], Float64Array.of(f.f ?? 0))];
    const fs = findAttr(ctx.node, 'value_floats');
    if (fs) return [constOf([fs.floats?.length ?? 0], Float64Array.from(fs.floats ?? []))];
    const i = findAttr(ctx.node, 'value_int');
    if (i) return [constOf([], Float64Array.of(attrInt(ctx.node, 'value_int', 0)), true)];
    const is = attrInts(ctx.node, 'value_ints');
    if (is) return [constOf([is.length], Float64Array.from(is), true)];
    fail(ctx, 'only dense tensor, float(s) and int(s) constants are supported');
  },

  ConstantOfShape(ctx, ins) {
    const dims = Array.from(cst(ctx, ins[0], 0, 'shape').data);
    checkDims(ctx.where, dims, 'the shape');
    const t = findAttr(ctx.node, 'value')?.t;
    const v = t ? tensorValues(t, ctx.where) : { data: Float64Array.of(0), int: false };
    return [constOf(dims, new Float64Array(prod(dims)).fill(v.data[0] ?? 0), v.int)];
  },

  Identity: (ctx, ins) => [passThrough(ctx, need(ctx, ins[0]))],

  Dropout(ctx, ins) {
    // the mask output is meaningless at inference
    if (ctx.node.output?.[1] && ctx.uses(ctx.node.output[1]) > 0) fail(ctx, 'its mask output is used, which is not supported');
    return [passThrough(ctx, need(ctx, ins[0]))];
  },

  Cast(ctx, ins) {
    const v = need(ctx, ins[0]);
    const toFloat = FLOAT_TYPES.has(attrInt(ctx.node, 'to', 1));
    if (v.t === 'const') return [constOf(v.dims, toFloat ? v.data : v.data.map(Math.trunc), !toFloat)];
    if (!toFloat) fail(ctx, 'casting the network tensor to an integer type is not supported');
    return [passThrough(ctx, v)];
  },

  Shape(ctx, ins) {
    const v = need(ctx, ins[0]);
    if (v.t === 'dyn') ctx.b.release(v);
    const r = v.dims.length;
    const start = Math.min(Math.max(axisOf(attrInt(ctx.node, 'start', 0), r), 0), r);
    const end = Math.min(Math.max(axisOf(attrInt(ctx.node, 'end', r), r), 0), r);
    const d = v.dims.slice(start, end);
    return [constOf([d.length], Float64Array.from(d), true)];
  },

  Gather(ctx, ins) {
    const v = need(ctx, ins[0]);
    const idx = cst(ctx, ins[1], 1, 'indices');
    const axis = axisOf(attrInt(ctx.node, 'axis', 0), v.dims.length);
    if (axis < 0 || axis >= v.dims.length) fail(ctx, `axis ${attrInt(ctx.node, 'axis', 0)} is out of range for ${fmt(v.dims)}`);
    const n = v.dims[axis];
    const indices = Array.from(idx.data, (j) => (j < 0 ? j + n : j));
    const bad = indices.find((j) => j < 0 || j >= n);
    if (bad !== undefined) fail(ctx, `index ${bad} is out of range for axis ${axis} of ${fmt(v.dims)}`);
    const g = gatherIndex(v.dims, axis, indices, idx.dims);
    return [moveValue(ctx, v, g.dims, g.src)];
  },

  Unsqueeze(ctx, ins) {
    const v = need(ctx, ins[0]);
    const axes = axesOf(ctx, ins);
    if (!axes) fail(ctx, 'has no axes');
    const r = v.dims.length + axes.length;
    const set = new Set(axes.map((a) => axisOf(a, r)));
    const dims: number[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) dims.push(set.has(i) ? 1 : v.dims[k++]);
    return [reshapeValue(ctx, v, dims)];
  },

  Squeeze(ctx, ins) {
    const v = need(ctx, ins[0]);
    const axes = axesOf(ctx, ins)?.map((a) => axisOf(a, v.dims.length));
    for (const a of axes ?? []) if (v.dims[a] !== 1) fail(ctx, `cannot squeeze axis ${a} of ${fmt(v.dims)}`);
    const dims = v.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
    return [reshapeValue(ctx, v, dims)];
  },

  Concat(ctx, ins) {
    if (ins.some((v) => !v || v.t !== 'const')) fail(ctx, 'concatenating network tensors is not supported (only constants, e.g. shapes)');
    const cs = ins as Const[];
    const r = cs[0].dims.length;
    const axis = axisOf(attrInt(ctx.node, 'axis', 0), r);
    const outer = prod(cs[0].dims.slice(0, axis));
    const dims = cs[0].dims.slice();
    dims[axis] = cs.reduce((s, c) => s + c.dims[axis], 0);
    const data = new Float64Array(prod(dims));
    let k = 0;
    for (let o = 0; o < outer; o++) {
      for (const c of cs) {
        const chunk = prod(c.dims.slice(axis));
        data.set(c.data.subarray(o * chunk, (o + 1) * chunk), k);
        k += chunk;
      }
    }
    return [constOf(dims, data, cs.every((c) => c.int))];
  },

  Reshape(ctx, ins) {
    const v = need(ctx, ins[0]);
    const spec = Array.from(cst(ctx, ins[1], 1, 'shape').data);
    const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
    const dims = spec.map((d, i) => (d === 0 && !allowZero ? v.dims[i] : d));
    const free = dims.indexOf(-1);
    if (free >= 0) {
      const known = prod(dims.filter((_, i) => i !== free));
      dims[free] = known === 0 ? 0 : prod(v.dims) / known;
      if (!Number.isInteger(dims[free])) fail(ctx, `cannot reshape ${fmt(v.dims)} (${prod(v.dims)} values) to ${fmt(spec)}`);
    }
    return [reshapeValue(ctx, v, dims)];
  },

  Flatten(ctx, ins) {
    const v = need(ctx, ins[0]);
    const a = axisOf(attrInt(ctx.node, 'axis', 1), v.dims.length);
    return [reshapeValue(ctx, v, [prod(v.dims.slice(0, a)), prod(v.dims.slice(a))])];
  },

  Transpose(ctx, ins) {
    const v = need(ctx, ins[0]);
    const perm = attrInts(ctx.node, 'perm') ?? v.dims.map((_, i) => v.dims.length - 1 - i);
    if (perm.length !== v.dims.length || new Set(perm).size !== perm.length || perm.some((p) => p < 0 || p >= perm.length)) {
      fail(ctx, `perm ${fmt(perm)} does not fit ${fmt(v.dims)}`);
    }
    const t = transposeIndex(v.dims, perm);
    return [moveValue(ctx, v, t.dims, t.src)];
  },
};

/** Identity-like ops: the output is the input under a new name. */
export function passThrough(ctx: Ctx, v: Value): Value {
  return v.t === 'const' ? v : ctx.b.alias(v as Dyn, ctx.out());
}
