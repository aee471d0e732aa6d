// The bab stage of the cascade (cascade.ts) on every open disjunct: bab/search.ts (β-CROWN
// with joint α,β on the engine's one backward pass, any network), its leaves decided by the MILP
// of the domain (bab/leaf.ts) where the MILP encodes the network. The attack's distance
// bisection (src/milp/bisect-distance.ts) asks it too.
import type { Network } from '../network.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { replay } from '../attack/pgd.js';
import { generalBab, rootOf, type BabRoot } from './bab/search.js';
import { milpLeaf } from './bab/leaf.js';
import type { LayerBounds } from '../bounds/types.js';

export interface BabStageOptions {
  /** Date.now() value to stop by. */
  deadline: number;
  /** The α stage's layer bounds per region (the search starts from them). */
  bounds?: (LayerBounds[] | undefined)[];
  /** The attack's best violation per region and disjunct: the closest ones go last. */
  incumbents?: ({ value: number } | undefined)[][];
  batch?: number;
  maxDomains?: number;
  log: (line: string) => void;
}

export interface BabStageResult {
  closed: number;
  counterexample: Counterexample | null;
  domains: number;
  timeS: number;
}

/**
 * The bab stage: every open disjunct of every region, one at a time, each with an equal
 * share of the time left (what one does not use rolls over). A proof closes the disjunct in
 * `open`; a counterexample is returned only after replaying on the network (in the box, in
 * the unsafe set).
 */
export async function babStage(net: Network, open: OpenSet, opts: BabStageOptions): Promise<BabStageResult> {
  const t0 = performance.now();
  let closed = 0, domains = 0;
  const regions = open.prop.regions;
  const jobs: { r: number; k: number }[] = [];
  regions.forEach((reg, r) => {
    // disjuncts the attack came closest to are the least likely to be proved: last
    const closeness = (k: number) => opts.incumbents?.[r]?.[k]?.value ?? Infinity;
    reg.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(q) - closeness(p)).forEach((k) => jobs.push({ r, k }));
  });
  const rootAt = new Map<number, BabRoot>();
  let noLeaf = '';
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
    const rows = Array.from({ length: conj.rows }, (_, i) => ({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i] }));
    let root = rootAt.get(r);
    if (!root) { root = rootOf(net, region.lower, region.upper, opts.bounds?.[r]); rootAt.set(r, root); }
    const leaf = milpLeaf(net, region.lower, region.upper, rows, root.bounds);
    if (!leaf.leaf && !noLeaf) { noLeaf = leaf.why; opts.log(`bab: no leaf MILP (${leaf.why}): domains with nothing left to split stay open`); }
    const res = await generalBab(net, region.lower, region.upper, rows, { deadline, batch: opts.batch, maxDomains: opts.maxDomains, root, candidate, leaf: leaf.leaf ?? undefined });
    domains += res.domains;
    const rate = res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0;
    opts.log(`bab: region ${r} disjunct ${k}: ${res.status}${res.why ? ` (${res.why})` : ''} (${res.domains} domains, ${rate}/s, depth ${res.maxDepth}, margin ${res.rootMargin.toPrecision(3)} at the root, ${res.margin.toPrecision(3)} at the end${res.lps ? `, ${res.lps} leaf MILPs` : ''}, ${res.timeS.toFixed(1)}s)`);
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
