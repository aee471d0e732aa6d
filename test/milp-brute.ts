// Independent references for the MILP tests: tiny networks built by hand, and the exact minimum
// of c·y over a box by enumerating every activation pattern (ReLU on/off, max-pool winner) and
// solving one LP per pattern (the network is affine inside each pattern's polytope).
import highsLoader from 'highs';
import type { Highs } from 'highs';
import type { Network, Op, Shape } from '../src/network.js';
import { appendLayer, INPUT } from '../src/network.js';

// the project's one seeded generator (mulberry32), under the name these tests use
import { seededRng as rng } from './helpers/random-network.js';
export { rng };

export function dense(inF: number, outF: number, w: number[], b: number[]): Op {
  return { kind: 'dense', inFeatures: inF, outFeatures: outF, weight: Float64Array.from(w), bias: Float64Array.from(b) };
}

export function makeNet(name: string, inputShape: Shape, layers: [Op, Shape?][]): Network {
  const net: Network = { name, inputShape, layers: [], warnings: [] };
  for (const [op, shape] of layers) appendLayer(net, op, undefined, shape);
  return net;
}

/** The reference homework network: min x9 − x10 over [0,1]² is 0.5. */
export function homeworkNet(): Network {
  return makeNet('homework', [2], [
    [dense(2, 4, [1, 1, 1, 0, 1, -1, 0, 1], [0, -2, 0, 0])],
    [{ kind: 'reshape' }, [2, 1, 2]],
    [{ kind: 'maxpool2d', kernel: [1, 2], stride: [1, 1], pads: [0, 0, 0, 0] }],
    [{ kind: 'reshape' }, [2]],
    [dense(2, 2, [1, 0, -1, 1], [0, -0.5])],
  ]);
}

const randn = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** n inputs → Dense 4 → ReLU → MaxPool over pairs → Dense 3 → ReLU → Dense `out`. */
export function randomPoolNet(seed: number, n: number, out = 2): Network {
  const r = rng(seed);
  const w = (k: number): number[] => Array.from({ length: k }, () => randn(r));
  return makeNet(`pool-${seed}`, [n], [
    [dense(n, 4, w(4 * n), w(4))],
    [{ kind: 'relu' }],
    [{ kind: 'reshape' }, [2, 1, 2]],
    [{ kind: 'maxpool2d', kernel: [1, 2], stride: [1, 1], pads: [0, 0, 0, 0] }],
    [{ kind: 'reshape' }, [2]],
    [dense(2, 3, w(6), w(3))],
    [{ kind: 'relu' }],
    [dense(3, out, w(3 * out), w(out))],
  ]);
}

type Aff = Float64Array; // n coefficients and a constant

let highs: Promise<Highs> | undefined;
const loader = highsLoader as unknown as () => Promise<Highs>;

/** min c·y over the box by activation-pattern enumeration (Dense, ReLU, Reshape, MaxPool only). */
export async function patternMinimum(net: Network, lower: Float64Array, upper: Float64Array, c: ArrayLike<number>): Promise<number> {
  const h = await (highs ??= loader());
  const n = lower.length;
  let best = Infinity;
  const start: Aff[] = Array.from({ length: n }, (_, i) => { const a = new Float64Array(n + 1); a[i] = 1; return a; });
  const walk = (li: number, x: Aff[], rows: Aff[]): void => {
    if (li === net.layers.length) {
      const obj = new Float64Array(n + 1);
      x.forEach((a, k) => { for (let t = 0; t <= n; t++) obj[t] += c[k] * a[t]; });
      best = Math.min(best, lp(h, obj, rows, lower, upper));
      return;
    }
    const { op, inputs, shape } = net.layers[li];
    if (inputs[0] !== li - 1 && !(li === 0 && inputs[0] === INPUT)) throw new Error('chain networks only');
    if (op.kind === 'dense') {
      const y = Array.from({ length: op.outFeatures }, (_, o) => {
        const a = new Float64Array(n + 1);
        a[n] = op.bias[o];
        for (let i = 0; i < op.inFeatures; i++) for (let t = 0; t <= n; t++) a[t] += op.weight[o * op.inFeatures + i] * x[i][t];
        return a;
      });
      walk(li + 1, y, rows);
    } else if (op.kind === 'reshape') walk(li + 1, x, rows);
    else if (op.kind === 'relu') {
      for (let mask = 0; mask < 1 << x.length; mask++) {
        const extra: Aff[] = [];
        const y = x.map((a, k) => {
          if (mask & (1 << k)) { extra.push(a.map((v) => -v)); return a; } // active: −pre ≤ 0
          extra.push(a); // inactive: pre ≤ 0
          return new Float64Array(n + 1);
        });
        walk(li + 1, y, rows.concat(extra));
      }
    } else if (op.kind === 'maxpool2d') {
      const [ch, hh, ww] = net.layers[li - 1].shape;
      const [, oh, ow] = shape;
      const windows: number[][] = [];
      for (let cc = 0; cc < ch; cc++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        const win: number[] = [];
        for (let ky = 0; ky < op.kernel[0]; ky++) for (let kx = 0; kx < op.kernel[1]; kx++) {
          const iy = oy * op.stride[0] + ky, ix = ox * op.stride[1] + kx;
          if (iy < hh && ix < ww) win.push((cc * hh + iy) * ww + ix);
        }
        windows.push(win);
      }
      const choose = (w: number, y: Aff[], extra: Aff[]): void => {
        if (w === windows.length) { walk(li + 1, y, rows.concat(extra)); return; }
        for (const win of windows[w]) {
          const more = windows[w].filter((o) => o !== win).map((o) => x[o].map((v, t) => v - x[win][t])); // x_o − x_win ≤ 0
          choose(w + 1, [...y, x[win]], extra.concat(more));
        }
      };
      choose(0, [], []);
    } else throw new Error(`patternMinimum: ${op.kind} not handled`);
  };
  walk(0, start, []);
  return best;
}

/** min obj·[x,1] s.t. rows·[x,1] ≤ 0, x in the box; +Infinity when infeasible. */
function lp(h: Highs, obj: Aff, rows: Aff[], lower: Float64Array, upper: Float64Array): number {
  const n = lower.length;
  const starts = [0], indices: number[] = [], values: number[] = [];
  for (const r of rows) { for (let t = 0; t < n; t++) { if (r[t] !== 0) { indices.push(t); values.push(r[t]); } } starts.push(indices.length); }
  const model = h.createModel({
    numCols: n, numRows: rows.length, colCost: obj.subarray(0, n), offset: obj[n], colLower: lower, colUpper: upper,
    rowLower: rows.map(() => -Infinity), rowUpper: rows.map((r) => -r[n]),
    matrix: { format: 'csr', numRows: rows.length, numCols: n, starts, indices, values },
  });
  try {
    model.options.set({ output_flag: false });
    model.run();
    const st = model.getModelStatus();
    if (st === h.constants.modelStatus.infeasible) return Infinity;
    if (st !== h.constants.modelStatus.optimal) throw new Error(`pattern LP status ${st}`);
    return model.getObjectiveValue();
  } finally {
    model.dispose();
  }
}
