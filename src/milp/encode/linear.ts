// The linear operators as expressions over earlier columns: Dense, Conv2d, AvgPool, Affine
// (normalisation), Pad, Permute, Reshape/Flatten and Add. No rows are written here; the
// network encoder decides which results become columns of their own.
import type { AvgPool2dOp, Conv2dOp, DenseOp, Op, Shape } from '../../network.js';
import type { Expr } from '../builder.js';
import { MilpBuilder, constExpr } from '../builder.js';
import { windowsOf } from '../../bounds/ops/window.js';

export type LinearOp = Exclude<Op, { kind: 'relu' | 'sigmoid' | 'maxpool2d' }>;

export function isLinear(op: Op): op is LinearOp {
  return op.kind !== 'relu' && op.kind !== 'sigmoid' && op.kind !== 'maxpool2d';
}

export function encodeLinear(b: MilpBuilder, op: LinearOp, x: readonly Expr[], inShape: Shape, outShape: Shape, second?: readonly Expr[]): Expr[] {
  switch (op.kind) {
    case 'dense': return dense(b, op, x);
    case 'conv2d': return conv(b, op, x, inShape, outShape);
    case 'avgpool2d': return avgpool(b, op, x, inShape, outShape);
    case 'affine': return x.map((e, i) => b.combine([op.scale[i]], [e], op.shift[i]));
    case 'permute': return Array.from(op.perm, (p) => x[p]);
    case 'reshape': return x.slice();
    case 'pad': {
      const [c, h, w] = inShape;
      const [pt, pl, pb, pr] = op.pads;
      const H = h + pt + pb, W = w + pl + pr;
      const out: Expr[] = [];
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < H; y++) {
          for (let z = 0; z < W; z++) {
            const iy = y - pt, iz = z - pl;
            out.push(iy >= 0 && iy < h && iz >= 0 && iz < w ? x[(ch * h + iy) * w + iz] : constExpr(0));
          }
        }
      }
      return out;
    }
    case 'add': {
      if (!second) throw new Error('add needs two inputs');
      return x.map((e, i) => b.combine([1, 1], [e, second[i]], 0));
    }
  }
}

function dense(b: MilpBuilder, op: DenseOp, x: readonly Expr[]): Expr[] {
  const out: Expr[] = [];
  const n = op.inFeatures;
  for (let o = 0; o < op.outFeatures; o++) out.push(b.combine(op.weight.subarray(o * n, (o + 1) * n), x, op.bias[o]));
  return out;
}

function conv(b: MilpBuilder, op: Conv2dOp, x: readonly Expr[], inShape: Shape, outShape: Shape): Expr[] {
  const [ic, h, w] = inShape;
  const [oc, oh, ow] = outShape;
  const [kh, kw] = op.kernel, [sh, sw] = op.stride, [pt, pl] = op.pads;
  const out: Expr[] = [];
  for (let o = 0; o < oc; o++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const ws: number[] = [], es: Expr[] = [];
        for (let c = 0; c < ic; c++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= w) continue;
              ws.push(op.weight[((o * ic + c) * kh + ky) * kw + kx]);
              es.push(x[(c * h + iy) * w + ix]);
            }
          }
        }
        out.push(b.combine(ws, es, op.bias[o]));
      }
    }
  }
  return out;
}

function avgpool(b: MilpBuilder, op: AvgPool2dOp, x: readonly Expr[], inShape: Shape, outShape: Shape): Expr[] {
  const { start, idx } = windowsOf(op, inShape, outShape);
  const out: Expr[] = [];
  for (let o = 0; o + 1 < start.length; o++) {
    const es = Array.from(idx.subarray(start[o], start[o + 1]), (i) => x[i]);
    const count = op.countIncludePad ? op.kernel[0] * op.kernel[1] : es.length;
    out.push(b.combine(es.map(() => 1 / count), es, 0));
  }
  return out;
}
