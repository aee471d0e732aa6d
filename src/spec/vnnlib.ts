// VNN-LIB reader: the competition's subset of SMT-LIB (declare-const X_i/Y_i Real; assert of
// <=, >= between a variable and a constant or two outputs; and/or; ; comments). The asserts
// are a conjunction; each is brought to disjunctive normal form, every resulting term splits
// into an input box (X bounds) and a conjunction of output constraints a·y ≤ b, and terms
// with the same box are gathered into one region whose unsafe set is their disjunction.
//
// Degenerate properties are refused here, so that no consumer turns them into a verdict:
// a property whose every input box is empty (some X_i with lower > upper) has no input at
// all and would read as `unsat`; a disjunct with no output constraint makes every input of
// its box a counterexample and would read as `sat` (the usual cause is a file truncated
// before its output assert). Both are the file's fault, so both are a UserError naming it.
// Nesting is limited to MAX_DEPTH so that the recursive DNF expansion cannot overflow the
// stack on a hostile file.
import fs from 'node:fs';
import { UserError } from '../errors.js';
import type { Conjunction, InputRegion, Property } from './property.js';

interface Token { text: string; line: number }
type SExpr = { atom: string; line: number } | { list: SExpr[]; line: number };

/** x_var ≤ value (upper) or ≥ value (lower). */
interface InAtom { kind: 'x'; index: number; upper: boolean; value: number }
/** Σ coef·y_idx ≤ b. */
interface OutAtom { kind: 'y'; idx: number[]; coef: number[]; b: number }
type Atom = InAtom | OutAtom;
type Dnf = Atom[][];

/** More DNF terms than this is not a property anyone means; refuse rather than hang. */
const MAX_TERMS = 100_000;
/** Parentheses nested deeper than this are refused (competition files nest < 10 deep). */
export const MAX_DEPTH = 1000;
const IGNORED = new Set(['set-logic', 'set-info', 'check-sat', 'get-model', 'exit', 'set-option']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 10) { line++; i++; continue; }
    if (ch === 32 || ch === 9 || ch === 13) { i++; continue; }
    if (ch === 59 /* ; */) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (ch === 40 || ch === 41) { tokens.push({ text: text[i], line }); i++; continue; }
    const start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40 || c === 41 || c === 59) break;
      i++;
    }
    tokens.push({ text: text.slice(start, i), line });
  }
  return tokens;
}

function parseSExprs(tokens: Token[], file: string): SExpr[] {
  const out: SExpr[] = [];
  const stack: { list: SExpr[]; line: number }[] = [];
  for (const t of tokens) {
    if (t.text === '(') {
      if (stack.length >= MAX_DEPTH) throw new UserError(`${file}:${t.line}: parentheses nested more than ${MAX_DEPTH} deep`);
      const node = { list: [] as SExpr[], line: t.line };
      (stack.length ? stack[stack.length - 1].list : out).push(node);
      stack.push(node);
    } else if (t.text === ')') {
      if (!stack.length) throw new UserError(`${file}:${t.line}: unbalanced ')'`);
      stack.pop();
    } else {
      if (!stack.length) throw new UserError(`${file}:${t.line}: unexpected token '${t.text}' outside parentheses`);
      stack[stack.length - 1].list.push({ atom: t.text, line: t.line });
    }
  }
  if (stack.length) throw new UserError(`${file}:${stack[stack.length - 1].line}: '(' opened here is never closed`);
  return out;
}

function show(e: SExpr): string {
  return 'atom' in e ? e.atom : `(${e.list.map(show).join(' ')})`.slice(0, 60);
}

/** Reads the property in `path`; every error names the file, the line and the token. */
export function readVnnlib(path: string): Property {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read VNN-LIB file ${path}: ${(err as Error).message}`);
  }
  return parseVnnlib(text, path);
}

export function parseVnnlib(text: string, file = '<vnnlib>'): Property {
  const forms = parseSExprs(tokenize(text), file);
  const declared = { X: new Set<number>(), Y: new Set<number>() };
  const fail = (e: SExpr, msg: string): never => {
    throw new UserError(`${file}:${e.line}: ${msg} at '${show(e)}'`);
  };

  const variable = (e: SExpr): { kind: 'X' | 'Y'; index: number } | null => {
    if (!('atom' in e)) return null;
    const m = /^([XY])_(\d+)$/.exec(e.atom);
    if (!m) return null;
    const kind = m[1] as 'X' | 'Y';
    const index = Number(m[2]);
    if (!declared[kind].has(index)) fail(e, `variable ${e.atom} is used before it is declared`);
    return { kind, index };
  };
  const constant = (e: SExpr): number | null => {
    if ('atom' in e) {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(e.atom)) return null;
      const v = Number(e.atom);
      if (!Number.isFinite(v)) fail(e, `the number ${e.atom} is out of range`);
      return v;
    }
    // SMT-LIB writes negative numbers as (- c)
    if (e.list.length === 2 && 'atom' in e.list[0] && e.list[0].atom === '-') {
      const v = constant(e.list[1]);
      return v === null ? null : -v;
    }
    return null;
  };

  const comparison = (e: { list: SExpr[]; line: number }, op: string): Atom => {
    if (e.list.length !== 3) fail(e, `'${op}' takes two operands, got ${e.list.length - 1}`);
    // normalise to lhs ≤ rhs
    const [lhs, rhs] = op === '<=' || op === '<' ? [e.list[1], e.list[2]] : [e.list[2], e.list[1]];
    const lv = variable(lhs), rv = variable(rhs);
    const lc = lv ? null : constant(lhs), rc = rv ? null : constant(rhs);
    if (!lv && lc === null) fail(lhs, 'expected a variable X_i/Y_i or a number');
    if (!rv && rc === null) fail(rhs, 'expected a variable X_i/Y_i or a number');
    if (lv && rv) {
      if (lv.kind === 'Y' && rv.kind === 'Y') return { kind: 'y', idx: [lv.index, rv.index], coef: [1, -1], b: 0 };
      fail(e, 'only outputs (Y_i) can be compared with each other; input constraints must be bounds X_i <= c or X_i >= c');
    }
    if (lv) return lv.kind === 'X' ? { kind: 'x', index: lv.index, upper: true, value: rc! } : { kind: 'y', idx: [lv.index], coef: [1], b: rc! };
    if (rv) return rv.kind === 'X' ? { kind: 'x', index: rv.index, upper: false, value: lc! } : { kind: 'y', idx: [rv.index], coef: [-1], b: -lc! };
    return fail(e, 'compares two constants');
  };

  const dnf = (e: SExpr): Dnf => {
    if ('atom' in e) return fail(e, 'expected a constraint such as (<= X_0 1), (and ...) or (or ...)');
    const head = e.list[0];
    if (!head || !('atom' in head)) return fail(e, 'expected an operator');
    switch (head.atom) {
      case '<=': case '>=': case '<': case '>':
        return [[comparison(e, head.atom)]];
      case 'and': {
        // single-term children (plain constraints) are gathered once; only disjunctions multiply.
        // Concatenating term by term would copy the growing term for every child: quadratic in an
        // (and ...) of 300k bounds, the shape of an ImageNet property.
        const flat: Atom[] = [];
        let acc: Dnf = [[]];
        for (const child of e.list.slice(1)) {
          const d = dnf(child);
          if (d.length === 1) for (const a of d[0]) flat.push(a);
          else acc = product(acc, d, e);
        }
        return acc.map((t) => (t.length ? t.concat(flat) : flat));
      }
      case 'or': {
        if (e.list.length === 1) fail(e, "'or' needs at least one operand");
        const terms: Dnf = [];
        // loops, not push(...xs): spreading 10^5 elements overflows the stack
        for (const child of e.list.slice(1)) for (const t of dnf(child)) terms.push(t);
        if (terms.length > MAX_TERMS) fail(e, `more than ${MAX_TERMS} disjuncts`);
        return terms;
      }
      default:
        return fail(head, `unsupported operator '${head.atom}' (supported: <=, >=, and, or)`);
    }
  };
  const product = (a: Dnf, b: Dnf, where: SExpr): Dnf => {
    if (a.length * b.length > MAX_TERMS) fail(where, `expands to more than ${MAX_TERMS} disjuncts`);
    if (a.length === 1) return b.map((t) => a[0].concat(t));
    const out: Dnf = [];
    for (const s of a) for (const t of b) out.push(s.concat(t));
    return out;
  };

  // the asserts form one conjunction: single-term ones go to `common`, the others multiply
  const common: Atom[] = [];
  const groups: Dnf[] = [];
  for (const form of forms) {
    if ('atom' in form) fail(form, 'expected a command in parentheses');
    const list = (form as { list: SExpr[] }).list;
    const head = list[0];
    if (!head || !('atom' in head)) { fail(form, 'expected a command'); continue; }
    if (head.atom === 'declare-const') {
      const name = list[1], sort = list[2];
      if (!name || !('atom' in name) || !/^[XY]_\d+$/.test(name.atom)) fail(name ?? form, 'expected a variable named X_<i> or Y_<i>');
      if (!sort || !('atom' in sort) || sort.atom !== 'Real') fail(sort ?? form, "expected sort 'Real'");
      const n = (name as { atom: string }).atom;
      declared[n[0] as 'X' | 'Y'].add(Number(n.slice(2)));
    } else if (head.atom === 'assert') {
      if (list.length !== 2) fail(form, 'assert takes one expression');
      const d = dnf(list[1]);
      if (d.length === 1) for (const a of d[0]) common.push(a);
      else groups.push(d);
    } else if (!IGNORED.has(head.atom)) {
      fail(head, `unsupported command '${head.atom}' (supported: declare-const, assert)`);
    }
  }

  const numInputs = contiguous(declared.X, 'X', file);
  const numOutputs = contiguous(declared.Y, 'Y', file);
  let terms: Dnf = [common];
  for (const g of groups) {
    if (terms.length * g.length > MAX_TERMS) throw new UserError(`${file}: the asserts expand to more than ${MAX_TERMS} disjuncts`);
    terms = product(terms, g, { atom: 'assert', line: 0 });
  }

  const regions: InputRegion[] = [];
  const byBox = new Map<string, InputRegion>();
  let emptyBox = '';
  for (const term of terms) {
    const lower = new Float64Array(numInputs).fill(-Infinity);
    const upper = new Float64Array(numInputs).fill(Infinity);
    const outs: OutAtom[] = [];
    for (const atom of term) {
      if (atom.kind === 'x') {
        if (atom.upper) upper[atom.index] = Math.min(upper[atom.index], atom.value);
        else lower[atom.index] = Math.max(lower[atom.index], atom.value);
      } else outs.push(atom);
    }
    let empty = false;
    for (let i = 0; i < numInputs; i++) {
      if (!Number.isFinite(lower[i]) || !Number.isFinite(upper[i])) {
        throw new UserError(`${file}: input X_${i} has no ${Number.isFinite(lower[i]) ? 'upper' : 'lower'} bound (every input needs X_${i} >= l and X_${i} <= u)`);
      }
      if (lower[i] > upper[i] && !empty) {
        empty = true;
        emptyBox ||= `X_${i} >= ${lower[i]} but X_${i} <= ${upper[i]}`;
      }
    }
    // A disjunct whose box is empty admits no input: dropping it is exact. If every disjunct
    // is empty, the whole property is (checked after the loop).
    if (empty) continue;
    if (outs.length === 0) {
      throw new UserError(`${file}: ${terms.length > 1 ? 'a disjunct of the property' : 'the property'} constrains no output Y_i, so every input would be a counterexample (is the file truncated before its output assert?)`);
    }
    const conj: Conjunction = { a: new Float64Array(outs.length * numOutputs), b: new Float64Array(outs.length), rows: outs.length };
    outs.forEach((o, r) => {
      o.idx.forEach((j, k) => { conj.a[r * numOutputs + j] += o.coef[k]; });
      conj.b[r] = o.b;
    });
    const key = boxKey(lower, upper);
    let region = byBox.get(key);
    if (!region) {
      region = { lower, upper, unsafe: [] };
      byBox.set(key, region);
      regions.push(region);
    }
    region.unsafe.push(conj);
  }
  if (regions.length === 0) {
    throw new UserError(`${file}: the input box is empty (${emptyBox}), so the property has no input to check`);
  }
  return { source: file, numInputs, numOutputs, regions };
}

function contiguous(set: Set<number>, kind: string, file: string): number {
  if (set.size === 0) throw new UserError(`${file}: no ${kind}_i variables are declared`);
  let n = 0;
  for (const i of set) if (i + 1 > n) n = i + 1; // not Math.max(...set): an ImageNet property declares 150528 inputs
  if (n !== set.size) {
    for (let i = 0; i < n; i++) if (!set.has(i)) throw new UserError(`${file}: ${kind}_${i} is never declared but ${kind}_${n - 1} is`);
  }
  return n;
}

function boxKey(lower: Float64Array, upper: Float64Array): string {
  let s = '';
  for (let i = 0; i < lower.length; i++) s += `${lower[i]},${upper[i]};`;
  return s;
}
