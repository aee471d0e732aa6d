// Which input positions each output of a pooling window reads (CHW, padded positions left
// out), computed once per op and shared by maxpool and avgpool.
import type { Shape } from '../../network.js';

export interface Windows {
  /** Output o reads input indices idx[start[o] .. start[o+1]). */
  start: Int32Array;
  idx: Int32Array;
}

const cache = new WeakMap<object, Windows>();

export function windowsOf(
  op: { kernel: [number, number]; stride: [number, number]; pads: [number, number, number, number] },
  inShape: Shape,
  outShape: Shape,
): Windows {
  const hit = cache.get(op);
  if (hit) return hit;
  const [c, h, w] = inShape;
  const [, oh, ow] = outShape;
  const [kh, kw] = op.kernel;
  const [sh, sw] = op.stride;
  const [pt, pl] = op.pads;
  const start = new Int32Array(c * oh * ow + 1);
  const idx: number[] = [];
  let o = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        start[o++] = idx.length;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - pt + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = x * sw - pl + j;
            if (ix < 0 || ix >= w) continue;
            idx.push((ch * h + iy) * w + ix);
          }
        }
      }
    }
  }
  start[o] = idx.length;
  const win = { start, idx: Int32Array.from(idx) };
  cache.set(op, win);
  return win;
}
