// backwardThroughLines (lines.ts) on rows in patch form (../patches.ts): the same choice of line
// per coefficient (lower line for a > 0, upper for a < 0; where the relaxation marks the neuron
// free and α is given, a ReLU's lower slope α or a sigmoid family's line at α, curve.ts), applied
// to the window's entries only — the dense row is zero elsewhere,
// and a zero coefficient takes no line and adds nothing. Keep the two in step: the patch
// property tests (test/bounds-patches.test.ts) compare them on random networks.
import type { Rows } from '../ops/rule.js';
import type { LayerParams, LineRelax } from './types.js';
import { inside, type Patches } from '../patches.js';
import { curveLine } from './curve.js';

/** In place on P: coefficients on the input (same window), intercepts into rows.bias. */
export function backwardThroughLinesPatches(P: Patches, rows: Rows, n: number, lines: LineRelax, param?: LayerParams): Patches[] {
  const { lowSlope, lowIcpt, upSlope, upIcpt, free, curve } = lines;
  const alpha = free ? param?.alpha : undefined;
  const { C, H, W, ph, pw, data } = P;
  const line = new Float64Array(4);
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    const ao = r * n, ro = rows.box[r] * n;
    let bias = 0;
    // channel by channel, positions in raster order: the dense rule's order, so the same sums
    for (let c = 0; c < C; c++) {
      for (let i = y0; i < y1; i++) {
        for (let jj = x0; jj < x1; jj++) {
          const k = ((r * ph + i) * pw + jj) * C + c, a = data[k];
          if (a === 0) continue;
          const j = (c * H + P.oy[r] + i) * W + P.ox[r] + jj;
          if (curve && alpha && free![ro + j]) {
            curveLine(a > 0 ? curve.lower : curve.upper, ro + j, alpha[ao + j], line);
            data[k] = a * line[0];
            bias += a * line[1];
          } else if (a > 0) {
            data[k] = a * (alpha && free![ro + j] ? alpha[ao + j] : lowSlope[ro + j]);
            if (lowIcpt) bias += a * lowIcpt[ro + j];
          } else {
            data[k] = a * upSlope[ro + j];
            bias += a * upIcpt[ro + j];
          }
        }
      }
    }
    rows.bias[r] += bias;
  }
  return [P];
}

/**
 * reverseThroughLines (lines.ts) on patch rows: P holds the coefficients the backward step was
 * given on the output, Gd the derivative on the input in P's layout; returns the derivative on
 * the output coefficients in P's layout, the same line per entry as the dense sweep, and writes
 * d bound / d α into grad.alpha (dense layout) at the window's entries (0 elsewhere, as a = 0 gives).
 */
export function reverseThroughLinesPatches(Gd: Float64Array, P: Patches, rows: Rows, n: number, lines: LineRelax, param?: LayerParams, grad?: LayerParams): Float64Array {
  const { lowSlope, lowIcpt, upSlope, upIcpt, free, curve } = lines;
  const alpha = free ? param?.alpha : undefined;
  const ga = free ? grad?.alpha : undefined;
  const { C, H, W, ph, pw, data } = P;
  const out = new Float64Array(data.length);
  const line = new Float64Array(4);
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    const ao = r * n, ro = rows.box[r] * n;
    for (let i = y0; i < y1; i++) {
      for (let jj = x0; jj < x1; jj++) {
        const k0 = ((r * ph + i) * pw + jj) * C, j0 = (P.oy[r] + i) * W + P.ox[r] + jj;
        for (let c = 0; c < C; c++) {
          const k = k0 + c, j = c * H * W + j0, a = data[k], g = Gd[k];
          const isFree = free !== undefined && free[ro + j] === 1;
          if (curve && alpha && isFree) {
            curveLine(a < 0 ? curve.upper : curve.lower, ro + j, alpha[ao + j], line);
            out[k] = line[0] * g + line[1];
            if (ga) ga[ao + j] = a * (line[2] * g + line[3]);
          } else if (a < 0) {
            out[k] = upSlope[ro + j] * g + upIcpt[ro + j];
            if (ga) ga[ao + j] = 0;
          } else {
            out[k] = (alpha && isFree ? alpha[ao + j] : lowSlope[ro + j]) * g + (lowIcpt ? lowIcpt[ro + j] : 0);
            if (ga) ga[ao + j] = isFree && !curve ? a * g : 0;
          }
        }
      }
    }
  }
  return out;
}
