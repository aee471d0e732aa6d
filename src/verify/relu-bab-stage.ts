// The relu-bab stage of the cascade (cascade.ts): relu-bab.ts on every open disjunct.
import type { Highs } from 'highs';
import type { Network } from '../network.js';
import type { DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { chainPreBounds } from './alpha-crown.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { rowKey, type RowAlphas } from './bounds-stage.js';
import { replay } from '../attack/pgd.js';
import { reluBab } from './relu-bab.js';
import type { BabRow } from './relu-bab-bounds.js';

export interface ReluBabStageOptions {
  deadline: number;
  /** Pre-activation bounds per region from the α stage (chainPreBounds where absent). */
  pre: (PreBounds | undefined)[];
  /** The α stage's lower slopes per region and row. */
  alpha?: RowAlphas[];
  /** The attack's best violation per region and disjunct: the closest ones go last. */
  incumbents?: ({ value: number } | undefined)[][];
  batch?: number;
  maxDomains?: number;
  highs?: Highs;
  log: (line: string) => void;
}

export interface ReluBabStageResult {
  closed: number;
  counterexample: Counterexample | null;
  domains: number;
  timeS: number;
}

/**
 * The relu-bab stage: every open disjunct of every region, one at a time, each with an equal
 * share of the time left (what one does not use rolls over). A proof closes the disjunct in
 * `open`; a counterexample is returned only after replaying on the network (in the box, in
 * the unsafe set).
 */
export function reluBabStage(net: Network, chain: DenseChain, open: OpenSet, opts: ReluBabStageOptions): ReluBabStageResult {
  const t0 = performance.now();
  let closed = 0, domains = 0;
  const regions = open.prop.regions;
  const jobs: { r: number; k: number }[] = [];
  regions.forEach((reg, r) => {
    // disjuncts the attack came closest to are the least likely to be proved: last
    const closeness = (k: number) => opts.incumbents?.[r]?.[k]?.value ?? Infinity;
    reg.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(q) - closeness(p)).forEach((k) => jobs.push({ r, k }));
  });
  const preOf = new Map<number, PreBounds>();
  for (let q = 0; q < jobs.length; q++) {
    const left = opts.deadline - Date.now();
    if (left <= 20) break;
    const { r, k } = jobs[q];
    if (!open.open[r][k]) continue;
    const region = regions[r];
    let pre = opts.pre[r] ?? preOf.get(r);
    if (!pre) { pre = chainPreBounds(net, chain, region.lower, region.upper); preOf.set(r, pre); }
    const conj = region.unsafe[k];
    const m = open.prop.numOutputs;
    const rows: BabRow[] = [];
    for (let i = 0; i < conj.rows; i++) rows.push({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i], alpha: opts.alpha?.[r]?.get(rowKey(k, i)) });
    let cex: Float64Array | undefined;
    const res = reluBab(chain, region.lower, region.upper, pre, rows, {
      deadline: Date.now() + left / (jobs.length - q), batch: opts.batch, maxDomains: opts.maxDomains, highs: opts.highs,
      candidate: (x) => {
        // the whole region's unsafe set: any disjunct reached is a counterexample
        if (replay(net, region, x).disjunct < 0) return false;
        cex = x;
        return true;
      },
    });
    domains += res.domains;
    const rate = res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0;
    opts.log(`relu-bab: region ${r} disjunct ${k}: ${res.status} (${res.domains} domains, ${rate}/s, depth ${res.maxDepth}, margin ${res.rootMargin.toPrecision(3)} at the root, ${res.margin.toPrecision(3)} at the end${res.lps ? `, ${res.lps} leaf LPs` : ''}, ${res.timeS.toFixed(1)}s)`);
    if (res.status === 'counterexample' && cex) {
      const again = replay(net, region, cex);
      if (again.disjunct >= 0) return { closed, counterexample: { x: cex, y: again.y }, domains, timeS: (performance.now() - t0) / 1000 };
    }
    if (res.status === 'proved') {
      open.open[r][k] = false;
      closed++;
    }
  }
  return { closed, counterexample: null, domains, timeS: (performance.now() - t0) / 1000 };
}
