// A MILP under construction as sparse arrays (columns with bounds, rows in CSR), plus for
// every column a rule computing its value from earlier columns, so that any input point
// becomes a complete assignment (an incumbent for HiGHS, and a self-check of the encoding).

/** c + Σ val[k]·x[idx[k]] over model columns; idx has no duplicates. */
export interface Expr {
  idx: number[];
  val: number[];
  c: number;
}

/** Structured-cloneable model data (what is sent to a worker and turned into a HiGHS model). */
export interface MilpData {
  numCols: number;
  numRows: number;
  colLower: Float64Array;
  colUpper: Float64Array;
  colCost: Float64Array;
  offset: number;
  /** 1 for binary/integer columns. */
  integrality: Int32Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** CSR: row r has entries starts[r] .. starts[r+1). */
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export const constExpr = (c: number): Expr => ({ idx: [], val: [], c });
export const varExpr = (v: number): Expr => ({ idx: [v], val: [1], c: 0 });

export class MilpBuilder {
  readonly lo: number[] = [];
  readonly hi: number[] = [];
  readonly integer: boolean[] = [];
  private readonly evals: ((v: Float64Array) => number)[] = [];
  private readonly rowStarts: number[] = [0];
  private readonly rowIdx: number[] = [];
  private readonly rowVal: number[] = [];
  private readonly rowLo: number[] = [];
  private readonly rowHi: number[] = [];
  private scratch = new Float64Array(0);
  private mark = new Uint8Array(0);
  binaries = 0;

  get numCols(): number { return this.lo.length; }
  get numRows(): number { return this.rowLo.length; }

  /** A new column; `evalFn` gives its value from the values of earlier columns. */
  addVar(lo: number, hi: number, evalFn: (v: Float64Array) => number, integer = false): number {
    this.lo.push(lo);
    this.hi.push(hi);
    this.integer.push(integer);
    this.evals.push(evalFn);
    if (integer) this.binaries++;
    return this.lo.length - 1;
  }

  /** lo ≤ Σ val·x ≤ hi (the expression's constant is moved to the bounds). */
  addRow(e: Expr, lo: number, hi: number): void {
    for (let k = 0; k < e.idx.length; k++) {
      if (e.val[k] === 0) continue;
      this.rowIdx.push(e.idx[k]);
      this.rowVal.push(e.val[k]);
    }
    this.rowStarts.push(this.rowIdx.length);
    this.rowLo.push(lo - e.c);
    this.rowHi.push(hi - e.c);
  }

  /** Σ w[k]·e[k] + c with terms merged. */
  combine(w: ArrayLike<number>, es: readonly Expr[], c: number): Expr {
    const n = this.numCols;
    if (this.scratch.length < n) { this.scratch = new Float64Array(2 * n + 64); this.mark = new Uint8Array(2 * n + 64); }
    const acc = this.scratch, mark = this.mark;
    const touched: number[] = [];
    for (let k = 0; k < es.length; k++) {
      const wk = w[k];
      if (wk === 0) continue;
      const e = es[k];
      c += wk * e.c;
      for (let t = 0; t < e.idx.length; t++) {
        const v = e.idx[t];
        if (!mark[v]) { mark[v] = 1; touched.push(v); acc[v] = 0; }
        acc[v] += wk * e.val[t];
      }
    }
    touched.sort((a, b) => a - b);
    const idx: number[] = [], val: number[] = [];
    for (const v of touched) {
      mark[v] = 0;
      if (acc[v] !== 0) { idx.push(v); val.push(acc[v]); }
    }
    return { idx, val, c };
  }

  /** Interval of an expression over the column bounds. */
  bounds(e: Expr): [number, number] {
    let l = e.c, u = e.c;
    for (let k = 0; k < e.idx.length; k++) {
      const a = e.val[k], v = e.idx[k];
      if (a >= 0) { l += a * this.lo[v]; u += a * this.hi[v]; } else { l += a * this.hi[v]; u += a * this.lo[v]; }
    }
    return [l, u];
  }

  value(e: Expr, v: ArrayLike<number>): number {
    let s = e.c;
    for (let k = 0; k < e.idx.length; k++) s += e.val[k] * v[e.idx[k]];
    return s;
  }

  /** A column equal to e (bounded by [lo, hi]), or e itself when it already is one column. */
  materialise(e: Expr, lo: number, hi: number): Expr {
    if (e.idx.length === 1 && e.val[0] === 1 && e.c === 0) return e;
    if (e.idx.length === 0) return e;
    const v = this.addVar(lo, hi, (vals) => this.value(e, vals));
    this.addRow({ idx: [v, ...e.idx], val: [1, ...e.val.map((a) => -a)], c: -e.c }, 0, 0);
    return varExpr(v);
  }

  /** Values of every column, given the input columns' values (columns 0 .. inputs.length). */
  assignment(inputs: ArrayLike<number>): Float64Array {
    const v = new Float64Array(this.numCols);
    for (let i = 0; i < inputs.length; i++) v[i] = inputs[i];
    for (let j = inputs.length; j < this.numCols; j++) v[j] = this.evals[j](v);
    return v;
  }

  /** The model with objective Σ cost·x + offset (minimised). */
  data(cost: Float64Array = new Float64Array(this.numCols), offset = 0): MilpData {
    return {
      numCols: this.numCols,
      numRows: this.numRows,
      colLower: Float64Array.from(this.lo),
      colUpper: Float64Array.from(this.hi),
      colCost: cost,
      offset,
      integrality: Int32Array.from(this.integer, (b) => (b ? 1 : 0)),
      rowLower: Float64Array.from(this.rowLo),
      rowUpper: Float64Array.from(this.rowHi),
      starts: Int32Array.from(this.rowStarts),
      indices: Int32Array.from(this.rowIdx),
      values: Float64Array.from(this.rowVal),
    };
  }

  /** Objective coefficients (and offset) of Σ w[k]·e[k]. */
  objective(w: ArrayLike<number>, es: readonly Expr[]): { cost: Float64Array; offset: number } {
    const e = this.combine(w, es, 0);
    const cost = new Float64Array(this.numCols);
    for (let k = 0; k < e.idx.length; k++) cost[e.idx[k]] = e.val[k];
    return { cost, offset: e.c };
  }

  /** Largest violation of any row or column bound by an assignment (a self-check). */
  violation(v: ArrayLike<number>): number {
    let worst = 0;
    for (let j = 0; j < this.numCols; j++) {
      worst = Math.max(worst, this.lo[j] - v[j], v[j] - this.hi[j]);
      if (this.integer[j]) worst = Math.max(worst, Math.abs(v[j] - Math.round(v[j])));
    }
    for (let r = 0; r < this.numRows; r++) {
      let s = 0;
      for (let k = this.rowStarts[r]; k < this.rowStarts[r + 1]; k++) s += this.rowVal[k] * v[this.rowIdx[k]];
      worst = Math.max(worst, this.rowLo[r] - s, s - this.rowHi[r]);
    }
    return worst;
  }
}
