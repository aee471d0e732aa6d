// One image's minimal adversarial example, as `attack --index` reports it: the one code path that
// `attack --index`, every row of `attack --indices`, a `--shard` and a queue worker's `attack-image`
// job go through, so a table, a merged set of shards and a queued table hold exactly the rows that
// single-image runs print (times aside). The solving itself is milp/adversarial.ts (CROWN bounds
// for its big-M constants), which replays every example it reports on the network.
import type { Network } from '../network.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { crownLayerBounds } from '../bounds/index.js';
import { minimalAdversarial } from '../milp/adversarial.js';
import type { AdversarialResult } from '../milp/adversarial.js';

/** The options of `attack` that shape the search (everything a worker needs besides the net and image). */
export interface AttackSettings {
  norm: 'linf' | 'l1';
  maxChange?: number;
  radius?: number;
  target?: number;
  delta: number;
  tolerance: number;
  /** The solver's limit for the whole attack, in seconds. */
  timeoutS: number;
}

export interface ImageInfo {
  net: string;
  data: string;
  index: number;
  label: number;
  classNames: readonly string[] | null;
}

/** The status of an example found when time ran out before it was proven (near) minimal. */
export const FOUND = 'found, not proven minimal';

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** The single-image report (its keys in `attack --json`'s order, without transfer and png) and the raw result. */
export async function attackImage(net: Network, x: Float64Array, info: ImageInfo, s: AttackSettings, onLine?: (line: string) => void) {
  const original = predictedClass(forward(net, x, 1));
  const t0 = performance.now();
  let shown = '';
  const result: AdversarialResult = await minimalAdversarial(net, x, original, {
    norm: s.norm, maxChange: s.maxChange, radius: s.radius, delta: s.delta, target: s.target, timeLimitS: s.timeoutS, tolerance: s.tolerance,
    boundsFor: (box) => crownLayerBounds(net, { lower: box.lower, upper: box.upper, count: 1 }),
    onProgress: ({ lowerBound, best, phase }) => {
      if (!onLine) return;
      const line = `best ${s.norm} distance so far ${best !== undefined ? best.toPrecision(6) : 'none'}, proven >= ${lowerBound.toPrecision(6)}`;
      if (line === shown) return;
      shown = line;
      onLine(`${line} (${phase}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    },
  });
  const status = result.adversarial && (result.status === 'timeout' || result.status === 'unknown') ? FOUND : result.status;
  const report = {
    net: info.net, data: info.data, index: info.index, label: info.label, originalClass: original, newClass: result.newClass ?? null,
    classNames: info.classNames ?? null, norm: s.norm,
    maxChange: s.maxChange ?? null, radius: s.radius ?? null, delta: s.delta, target: s.target ?? null,
    status, distance: result.distance ?? null, lowerBound: result.lowerBound,
    margins: result.margins ?? null, adversarial: result.adversarial ? Array.from(result.adversarial) : null,
    solver: { status: result.status, timeS: round(result.timeS), binaries: result.binaries, solves: result.solves.map((v) => ({ ...v, timeS: round(v.timeS) })) },
  };
  return { original, result, report, messages: result.messages };
}

type Report = Awaited<ReturnType<typeof attackImage>>['report'];

/**
 * A row of an attack table: the single-image JSON object (transfer and png null, no meta); a queued
 * image whose job failed has the status `error: …` (and solver status `error`).
 */
export type AttackRow = Omit<Report, 'status' | 'solver'> & {
  status: string;
  solver: Omit<Report['solver'], 'status'> & { status: string };
  transfer: null; png: null; messages: string[];
};

export function tableRow(r: Awaited<ReturnType<typeof attackImage>>): AttackRow {
  return { ...r.report, transfer: null, png: null, messages: r.messages };
}
