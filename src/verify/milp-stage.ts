// Stage (d): the exact MILP for the disjuncts every bound left open, one disjunct at a time
// so that one hard disjunct cannot eat the others' time (each gets an equal share of what is
// left; time it does not use rolls over; a network without ReLUs or max-pools has no binaries
// and gets one warm-started LP for all its disjuncts, lp-find.ts). It is given the tightest layer bounds known and
// the attack's best point as a start. A witness is replayed again here before it counts. A
// network the encoder cannot take (milpSupport) is skipped with one log line; hidden sigmoids
// are relaxed (a bound only), which can close disjuncts but never yields an unreplayed witness.
import type { Network } from '../network.js';
import { logitNetwork } from '../network.js';
import type { LayerBounds } from '../bounds/types.js';
import { crownLayerBounds } from '../bounds/index.js';
import { milpFindInSet } from '../milp/findset.js';
import { milpSupport } from '../milp/encode/ops/index.js';
import { lpFindEach } from '../milp/lp-find.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { replay } from '../attack/pgd.js';
import { now } from '../clock.js';

export interface MilpStageOptions {
  deadline: number;
  /** Every layer's bounds per region from the α stage (α-optimised intermediate bounds), when it ran. */
  bounds: (LayerBounds[] | undefined)[];
  /** The attack's best point and violation per region and disjunct. */
  incumbents: ({ x: Float64Array; value: number } | undefined)[][];
  log: (line: string) => void;
}

export interface MilpStageResult {
  closed: number;
  counterexample: Counterexample | null;
  /** Some disjunct ran out of time (as opposed to the solver giving up). */
  timedOut: boolean;
}

/** Layer bounds for the MILP: the α stage's (CROWN ∩ IBP, α-refined), else CROWN ∩ IBP of the box. */
function layerBoundsFor(net: Network, lower: Float64Array, upper: Float64Array, given: LayerBounds[] | undefined): LayerBounds[] {
  return given ?? crownLayerBounds(net, { lower, upper, count: 1 });
}

export async function milpStage(net: Network, open: OpenSet, opts: MilpStageOptions): Promise<MilpStageResult> {
  let closed = 0;
  let timedOut = false;
  // the MILP encodes the network up to its logit; a property on a trailing sigmoid's output
  // would then be checked on the wrong quantity, so those are left undecided
  if (logitNetwork(net) !== net) {
    opts.log('milp: skipped (the network ends in a Sigmoid, the MILP encodes only up to the logit)');
    return { closed, counterexample: null, timedOut };
  }
  // what the encoder cannot do is a skip with one line, never an error: the instance is valid
  const support = milpSupport(net);
  if (support.support === 'none') {
    opts.log(`milp: skipped (${support.why})`);
    return { closed, counterexample: null, timedOut };
  }
  if (support.support === 'relaxed') opts.log(`milp: relaxes ${support.how.join('; ')}`);
  // no ReLU or max-pool: the model has no binaries, and one warm-started LP serves every disjunct
  const lpOnly = net.layers.every((l) => l.op.kind !== 'relu' && l.op.kind !== 'maxpool2d');
  for (let r = 0; r < open.prop.regions.length; r++) {
    if (!open.regionOpen(r)) continue;
    const region = open.prop.regions[r];
    const box = { lower: region.lower, upper: region.upper };
    const layerBounds = layerBoundsFor(net, region.lower, region.upper, opts.bounds[r]);
    if (lpOnly) {
      const left = opts.deadline - now();
      if (left <= 50) { timedOut = true; break; }
      const regionsLeft = open.prop.regions.filter((_, q) => q >= r && open.regionOpen(q)).length;
      const closeness = (k: number) => opts.incumbents[r]?.[k]?.value ?? Infinity;
      const pending = region.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(p) - closeness(q));
      const res = await lpFindEach(net, box, region.unsafe, { deadline: now() + left / regionsLeft, layerBounds, order: pending });
      let unreached = 0;
      for (const k of pending) {
        const d = res.perDisjunct[k];
        if (!d) continue;
        if (d.status === 'infeasible') { open.open[r][k] = false; closed++; }
        if (d.status === 'timeout') timedOut = true;
        if (d.status === 'timeout' && d.timeS === 0) unreached++;
        else opts.log(`milp: region ${r} disjunct ${k}: ${d.status} (LP, bound ${d.bound.toPrecision(4)}, ${d.timeS.toFixed(1)}s)`);
      }
      if (unreached) opts.log(`milp: region ${r}: ${unreached} disjuncts not reached in time`);
      if (res.messages.length) opts.log(`milp: region ${r}: ${res.messages.join('; ')}`);
      if (res.witness) {
        const again = replay(net, { ...region, unsafe: [region.unsafe[res.witness.disjunct]] }, res.witness.input);
        if (again.disjunct >= 0) return { closed, counterexample: { x: res.witness.input, y: again.y }, timedOut };
        opts.log(`milp: region ${r}: the LP's point does not replay on the network; ignored`);
      }
      continue;
    }
    // one root tightening per region serves all its disjuncts
    const tightening = {};
    // the disjuncts the attack came closest to first: a witness ends the whole search
    const closeness = (k: number) => opts.incumbents[r]?.[k]?.value ?? Infinity;
    const pending = region.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(p) - closeness(q));
    // disjuncts that ran out of their share get a second go with the time others left over
    const firstPass = pending.length;
    for (let q = 0; q < pending.length; q++) {
      const left = (opts.deadline - now()) / 1000;
      if (left <= 0.05) { timedOut = true; break; }
      const k = pending[q];
      // an equal share of the regions' remaining disjuncts (later regions get what is left)
      const share = left / ((q < firstPass ? firstPass : pending.length) - q);
      const res = await milpFindInSet(net, box, [region.unsafe[k]], { timeLimitS: share, layerBounds, incumbent: opts.incumbents[r]?.[k]?.x, tightening });
      opts.log(`milp: region ${r} disjunct ${k}: ${res.status} (${res.binaries} binaries, ${res.timeS.toFixed(1)}s)${res.messages.length ? ` — ${res.messages.join('; ')}` : ''}`);
      if (res.status === 'infeasible') {
        open.open[r][k] = false;
        closed++;
      } else if (res.status === 'found' && res.witness) {
        const again = replay(net, { ...region, unsafe: [region.unsafe[k]] }, res.witness.input);
        if (again.disjunct >= 0) return { closed, counterexample: { x: res.witness.input, y: again.y }, timedOut };
        opts.log(`milp: region ${r} disjunct ${k}: the solver's point does not replay on the network; ignored`);
      } else if (res.status === 'timeout') {
        timedOut = true;
        if (q < firstPass) pending.push(k);
      }
    }
  }
  return { closed, counterexample: null, timedOut };
}
