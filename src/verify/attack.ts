// Stage (a): the box centres, then PGD towards each region's open disjuncts. A counterexample
// is returned only after replaying on the float64 forward pass (inside the box, output in
// the unsafe set); otherwise each region's best point is kept as a MILP incumbent.
import type { Network } from '../network.js';
import { pgdAttack, type PgdOptions } from '../attack/pgd.js';
import type { InputRegion } from '../spec/property.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';

export interface AttackStageResult {
  counterexample: Counterexample | null;
  /** Best point per region (smallest violation) and its violation. */
  best: ({ x: Float64Array; value: number } | undefined)[];
  /** Best point per region and disjunct (the full region's disjunct indices). */
  perDisjunct: ({ x: Float64Array; value: number } | undefined)[][];
  evaluations: number;
}

export function attackStage(net: Network, open: OpenSet, opts: PgdOptions, previous?: AttackStageResult): AttackStageResult {
  const best: AttackStageResult['best'] = previous ? previous.best.slice() : [];
  const perDisjunct = open.prop.regions.map((reg, r) => reg.unsafe.map((_, k) => previous?.perDisjunct[r]?.[k]));
  let evaluations = 0;
  for (let r = 0; r < open.prop.regions.length; r++) {
    if (!open.regionOpen(r)) continue;
    const full = open.prop.regions[r];
    // attack only the disjuncts no bound has closed
    const ids = full.unsafe.map((_, k) => k).filter((k) => open.open[r][k]);
    const region: InputRegion = { ...full, unsafe: ids.map((k) => full.unsafe[k]) };
    const res = pgdAttack(net, region, opts);
    evaluations += res.evaluations;
    if (res.counterexample) return { counterexample: { x: res.counterexample.x, y: res.counterexample.y }, best, perDisjunct, evaluations };
    res.perDisjunct.forEach((d, q) => {
      const k = ids[q], old = perDisjunct[r][k];
      if (d.x && (!old || d.value < old.value)) perDisjunct[r][k] = { x: d.x, value: d.value };
    });
    if (!best[r] || res.best.value < best[r]!.value) best[r] = { x: res.best.x, value: res.best.value };
  }
  return { counterexample: null, best, perDisjunct, evaluations };
}
