// The relu-bab stage of the cascade (cascade.ts) on every open disjunct: bab/search.ts (β-CROWN
// with joint α,β on the engine's one backward pass, any network), or, given a dense chain,
// relu-bab.ts (the chain search with fixed α and leaf LPs; the attack's bisection uses it).
import type { Highs } from 'highs';
import type { Network } from '../network.js';
import type { DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { chainPreBounds } from './alpha-crown.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { rowKey, type RowAlphas } from './bounds-stage.js';
import { replay } from '../attack/pgd.js';
import { reluBab, type ReluBabResult } from './relu-bab.js';
import { generalBab, rootOf, type BabRoot } from './bab/search.js';
import type { LayerBounds } from '../bounds/types.js';
import type { BabRow } from './relu-bab-bounds.js';

export interface ReluBabStageOptions {
  deadline: number;
  /** Pre-activation bounds per region from the α stage (chainPreBounds where absent). */
  pre: (PreBounds | undefined)[];
  /** The α stage's lower slopes per region and row. */
  alpha?: RowAlphas[];
  /** The α stage's layer bounds per region (the general search starts from them). */
  bounds?: (LayerBounds[] | undefined)[];
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
export function reluBabStage(net: Network, chain: DenseChain | null, open: OpenSet, opts: ReluBabStageOptions): ReluBabStageResult {
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
  const rootAt = new Map<number, BabRoot>();
  for (let q = 0; q < jobs.length; q++) {
    const left = opts.deadline - Date.now();
    if (left <= 20) break;
    const { r, k } = jobs[q];
    if (!open.open[r][k]) continue;
    const region = regions[r];
    const conj = region.unsafe[k];
    const m = open.prop.numOutputs;
    let cex: Float64Array | undefined;
    const candidate = (x: Float64Array) => {
      // the whole region's unsafe set: any disjunct reached is a counterexample
      if (replay(net, region, x).disjunct < 0) return false;
      cex = x;
      return true;
    };
    const deadline = Date.now() + left / (jobs.length - q);
    let res: ReluBabResult;
    if (chain) {
      let pre = opts.pre[r] ?? preOf.get(r);
      if (!pre) { pre = chainPreBounds(net, chain, region.lower, region.upper); preOf.set(r, pre); }
      const rows: BabRow[] = [];
      for (let i = 0; i < conj.rows; i++) rows.push({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i], alpha: opts.alpha?.[r]?.get(rowKey(k, i)) });
      res = reluBab(chain, region.lower, region.upper, pre, rows, { deadline, batch: opts.batch, maxDomains: opts.maxDomains, highs: opts.highs, candidate });
    } else {
      const rows = Array.from({ length: conj.rows }, (_, i) => ({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i] }));
      let root = rootAt.get(r);
      if (!root) { root = rootOf(net, region.lower, region.upper, opts.bounds?.[r]); rootAt.set(r, root); }
      res = generalBab(net, region.lower, region.upper, rows, { deadline, maxDomains: opts.maxDomains, root, candidate });
    }
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
