// Infeasibility needs a certificate (HiGHS's dual ray, checked by a Farkas bound in lp-bound.ts)
// since a thin relaxation once made the interior-point method call a feasible LP infeasible: a
// genuinely infeasible LP or MILP is still answered 'infeasible' on both solver paths, and a
// feasible one is not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { solveMilp } from '../src/milp/highs.js';
import type { MilpData } from '../src/milp/builder.js';

/** min x0 + x1 over [0,1]² with x0 + x1 ≥ lo and x0 − x1 ≤ hi (x1 integer when asked). */
function model(lo: number, hi: number, integer: boolean): MilpData {
  return {
    numCols: 2, numRows: 2, colLower: Float64Array.from([0, 0]), colUpper: Float64Array.from([1, 1]), colCost: Float64Array.from([1, 1]), offset: 0,
    integrality: Int32Array.from([0, integer ? 1 : 0]), rowLower: Float64Array.from([lo, -Infinity]), rowUpper: Float64Array.from([Infinity, hi]),
    starts: Int32Array.from([0, 2, 4]), indices: Int32Array.from([0, 1, 0, 1]), values: Float64Array.from([1, 1, 1, -1]),
  };
}

for (const method of ['mip', 'bab'] as const) {
  test(`${method}: certified infeasibility of an LP and a MILP, and feasible ones solved`, async () => {
    for (const integer of [false, true]) {
      const feasible = await solveMilp(model(1.5, 0.2, integer), { timeLimitS: 5, method });
      assert.is(feasible.status, 'optimal');
      assert.ok(Math.abs(feasible.bound - 1.5) < 1e-6, `bound ${feasible.bound}`);
      // x0 + x1 ≥ 2.5 cannot hold in [0,1]²; with x1 integer, x0 + x1 ≥ 1.85 needs x1 = 1, x0 ≥ 0.85, but x0 − x1 ≤ −0.5
      const none = await solveMilp(integer ? model(1.85, -0.5, true) : model(2.5, 0.2, false), { timeLimitS: 5, method });
      assert.is(none.status, 'infeasible', none.message);
      assert.is(none.bound, Infinity);
    }
  });
}

test.run();
