// A lower bound of min c·x + offset over {rowLower ≤ A·x ≤ rowUpper, colLo ≤ x ≤ colHi} from
// any row multipliers y (weak duality): c·x = (c − Aᵀy)·x + y·(A·x), each part bounded over its
// box. It holds for every y, so an LP solver's approximate duals give a bound that solver
// tolerances cannot push above the true minimum (only float64 rounding, covered by a margin).
import type { MilpData } from './builder.js';

export function lagrangianBound(data: MilpData, y: ArrayLike<number>, colLo: ArrayLike<number>, colHi: ArrayLike<number>): number {
  // HiGHS's sign convention for duals is not relied on: both signs are valid, take the better
  return Math.max(boundWith(data, y, 1, colLo, colHi), boundWith(data, y, -1, colLo, colHi));
}

function boundWith(data: MilpData, y: ArrayLike<number>, sign: number, colLo: ArrayLike<number>, colHi: ArrayLike<number>): number {
  const d = Float64Array.from(data.colCost);
  const dMag = Float64Array.from(data.colCost, Math.abs);
  let total = data.offset, mag = Math.abs(data.offset);
  for (let r = 0; r < data.numRows; r++) {
    let yr = sign * y[r];
    // a multiplier on an infinite side would make the bound −∞: zero is as valid a choice
    if (yr > 0 && !Number.isFinite(data.rowLower[r])) yr = 0;
    if (yr < 0 && !Number.isFinite(data.rowUpper[r])) yr = 0;
    if (yr === 0) continue;
    const term = yr > 0 ? yr * data.rowLower[r] : yr * data.rowUpper[r];
    total += term;
    mag += Math.abs(term);
    for (let t = data.starts[r]; t < data.starts[r + 1]; t++) {
      const q = yr * data.values[t];
      d[data.indices[t]] -= q;
      dMag[data.indices[t]] += Math.abs(q);
    }
  }
  for (let j = 0; j < data.numCols; j++) {
    const dj = d[j];
    if (dj === 0) continue;
    const b = dj > 0 ? colLo[j] : colHi[j];
    if (!Number.isFinite(b)) return -Infinity;
    total += dj * b;
    // dj itself carries the rounding of its sum
    mag += dMag[j] * Math.max(Math.abs(colLo[j]), Math.abs(colHi[j]));
  }
  // float64 rounding of the sums above: recursive summation of k terms errs by at most
  // about k·u·Σ|terms| (u = 2⁻⁵³); k covers the longest chain (a row, then the totals)
  let longest = 0;
  for (let r = 0; r < data.numRows; r++) longest = Math.max(longest, data.starts[r + 1] - data.starts[r]);
  const k = longest + data.numRows + data.numCols + 2;
  return total - 2 * k * 1.12e-16 * (mag + Math.abs(total));
}
