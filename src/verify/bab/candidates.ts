// Counterexample candidates of branch and bound (search.ts). Bounds never decide `sat`: the
// input point that minimises a domain's linear bound is only a candidate, screened here on a
// float64 forward pass of the batch and then confirmed by the caller's replay on the real
// network (in the box, in the unsafe set). `cornerKey` remembers which corners were tried.

/** Two 32-bit FNV hashes of the sign pattern of a coefficient row (which corner it picks). */
export function cornerKey(A: Float64Array, off: number, n: number): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < n; i++) {
    const bit = A[off + i] > 0 ? 1 : 2;
    h1 = Math.imul(h1 ^ bit, 0x01000193);
    h2 = Math.imul(h2 ^ (bit + i), 0x5bd1e995);
  }
  return `${h1 >>> 0}:${h2 >>> 0}`;
}

/**
 * The first of `picked` (inputs; `run` is a float64 forward pass of a batch) that satisfies
 * every row a_j·y ≤ b_j up to a generous tolerance and that `candidate` (the replay on the
 * real network) confirms.
 */
export function screenCandidates(picked: Float64Array[], run: (X: Float64Array, batch: number) => Float64Array, rows: { a: Float64Array; b: number }[], candidate: (x: Float64Array) => boolean): Float64Array | undefined {
  if (!picked.length) return undefined;
  const n0 = picked[0].length;
  const X = new Float64Array(picked.length * n0);
  picked.forEach((x, q) => X.set(x, q * n0));
  const Y = run(X, picked.length);
  const m = Y.length / picked.length;
  for (let q = 0; q < picked.length; q++) {
    let ok = true;
    for (let j = 0; j < rows.length && ok; j++) {
      let v = 0;
      for (let o = 0; o < m; o++) v += rows[j].a[o] * Y[q * m + o];
      // generous screen: the real replay decides
      if (v > rows[j].b + 1e-6 * (1 + Math.abs(rows[j].b))) ok = false;
    }
    if (ok && candidate(picked[q])) return picked[q];
  }
  return undefined;
}
