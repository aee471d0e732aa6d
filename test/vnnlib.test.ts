import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { MAX_DEPTH, parseVnnlib, readVnnlib } from '../src/spec/vnnlib.js';
import { conjunctionViolation, insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { UserError } from '../src/errors.js';

/** For the tests that read VNN-COMP files from ../shared (skipped with one line without it). */
const sharedTest = guard(test, sharedMissing());

const shared = path.resolve('..', 'shared', 'benchmarks');

function vnnlibFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.vnnlib'))
    .map((f) => path.join(dir, f));
}

const decl = (nx: number, ny: number) =>
  [...Array(nx).keys()].map((i) => `(declare-const X_${i} Real)`).join('\n') + '\n' +
  [...Array(ny).keys()].map((i) => `(declare-const Y_${i} Real)`).join('\n') + '\n';

sharedTest('every shared VNN-LIB file parses into bounded boxes with an unsafe set', () => {
  const files = vnnlibFiles(shared);
  let regions = 0;
  for (const f of files) {
    const p = readVnnlib(f);
    assert.ok(p.regions.length >= 1, f);
    for (const r of p.regions) {
      assert.is(r.lower.length, p.numInputs);
      for (let i = 0; i < p.numInputs; i++) assert.ok(r.lower[i] <= r.upper[i], `${f} X_${i}`);
      assert.ok(r.unsafe.length >= 1);
    }
    regions += p.regions.length;
  }
  console.log(`  parsed ${files.length} files, ${regions} regions`);
  assert.ok(files.length >= 200);
});

sharedTest('an MNIST robustness property: one box, nine disjuncts y_j >= y_label', () => {
  const f = path.join(shared, 'mnist_fc', 'vnnlib2022', 'prop_0_0.03.vnnlib');
  const text = fs.readFileSync(f, 'utf8');
  const label = Number(/label: (\d+)/.exec(text)![1]);
  const p = readVnnlib(f);
  assert.is(p.numInputs, 784);
  assert.is(p.numOutputs, 10);
  assert.is(p.regions.length, 1);
  const r = p.regions[0];
  assert.is(r.unsafe.length, 9);
  // an output where the label wins is safe; one where another class wins is unsafe
  const y = new Float64Array(10);
  y[label] = 1;
  assert.is(unsafeDisjunct(r, y), -1);
  y[(label + 3) % 10] = 2;
  assert.ok(unsafeDisjunct(r, y) >= 0);
  const m = /\(assert \(<= X_(\d+) ([-0-9.e]+)\)\)/.exec(text)!;
  assert.is(r.upper[Number(m[1])], Number(m[2]));
});

test('constraint directions, constants on either side, (- c), comments', () => {
  const p = parseVnnlib(decl(2, 3) + `
    ; a comment (with parens
    (assert (<= X_0 1)) (assert (>= X_0 (- 0.5)))
    (assert (<= -2 X_1)) (assert (>= 3e-1 X_1))
    (assert (<= Y_0 Y_2))   ; y0 - y2 <= 0
    (assert (>= Y_1 4.5))   ; -y1 <= -4.5
    (assert (<= 7 Y_2))     ; -y2 <= -7
  `);
  const r = p.regions[0];
  assert.equal([...r.lower], [-0.5, -2]);
  assert.equal([...r.upper], [1, 0.3]);
  const c = r.unsafe[0];
  assert.is(c.rows, 3);
  assert.equal([...c.a], [1, 0, -1, 0, -1, 0, 0, 0, -1]);
  assert.equal([...c.b], [0, -4.5, -7]);
  assert.ok(conjunctionViolation(c, [7, 5, 8]) <= 0);
  assert.ok(conjunctionViolation(c, [9, 5, 8]) > 0);
  assert.ok(insideBox(r, [0, 0]));
  assert.not.ok(insideBox(r, [0, 0.31]));
});

test('input boxes inside an or give several regions; empty boxes are dropped', () => {
  const p = parseVnnlib(decl(1, 1) + `
    (assert (or
      (and (>= X_0 -1) (<= X_0 0) (>= Y_0 100))
      (and (>= X_0 0) (<= X_0 1) (>= Y_0 50))
      (and (>= X_0 0) (<= X_0 1) (<= Y_0 -50))
      (and (>= X_0 2) (<= X_0 1) (<= Y_0 0))
    ))`);
  assert.is(p.regions.length, 2);
  assert.equal([...p.regions[0].lower, ...p.regions[0].upper], [-1, 0]);
  assert.is(p.regions[0].unsafe.length, 1);
  assert.is(p.regions[1].unsafe.length, 2); // same box: a disjunction
});

test('an and of ors multiplies out into disjunctive normal form', () => {
  const p = parseVnnlib(decl(1, 2) + `(assert (<= X_0 1)) (assert (>= X_0 0))
    (assert (and (or (<= Y_0 1) (<= Y_1 1)) (or (>= Y_0 5) (>= Y_1 5))))`);
  assert.is(p.regions.length, 1);
  assert.is(p.regions[0].unsafe.length, 4);
  for (const c of p.regions[0].unsafe) assert.is(c.rows, 2);
});

function throwsUser(text: string, pattern: RegExp): void {
  try {
    parseVnnlib(text, 'bad.vnnlib');
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('malformed properties give errors naming the file, line and token', () => {
  throwsUser(decl(1, 1) + '(assert (<= X_0 1)\n', /bad\.vnnlib:\d+: '\(' opened here is never closed/);
  throwsUser(decl(1, 1) + '(assert (<= X_0 1)))\n', /bad\.vnnlib:3: unbalanced '\)'/);
  throwsUser(decl(1, 1) + '(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (= Y_0 1))', /bad\.vnnlib:5: unsupported operator '='/);
  throwsUser(decl(1, 1) + '(assert (<= X_0 abc))', /bad\.vnnlib:3: expected a variable X_i\/Y_i or a number at 'abc'/);
  throwsUser(decl(1, 1) + '(assert (<= X_3 1))', /variable X_3 is used before it is declared/);
  throwsUser(decl(1, 1) + '(assert (<= X_0 1))', /X_0 has no lower bound/);
  throwsUser(decl(2, 1) + '(assert (<= X_0 X_1))', /only outputs \(Y_i\) can be compared/);
  throwsUser('(declare-const X_0 Int)', /expected sort 'Real' at 'Int'/);
  throwsUser('(declare-const X_0 Real)(declare-const Y_1 Real)', /Y_0 is never declared/);
  throwsUser(decl(1, 1) + '(check-sat) (push 1)', /unsupported command 'push'/);
});

test('degenerate properties are errors, not verdicts: an empty input box, no output constraint', () => {
  const box = '(assert (>= X_0 0)) (assert (<= X_0 1))';
  // lower above upper: no input at all, which a verifier would answer unsat
  throwsUser(decl(1, 1) + '(assert (>= X_0 0.5)) (assert (<= X_0 0.2)) (assert (>= Y_0 1))',
    /^bad\.vnnlib: the input box is empty \(X_0 >= 0\.5 but X_0 <= 0\.2\)/);
  // every disjunct of an input or is empty
  throwsUser(decl(1, 1) + '(assert (or (and (>= X_0 2) (<= X_0 1) (>= Y_0 1)) (and (>= X_0 5) (<= X_0 4) (>= Y_0 1))))',
    /the input box is empty \(X_0 >= 2 but X_0 <= 1\)/);
  // no output assert (a file truncated after its input bounds): every input would be a counterexample
  throwsUser(decl(1, 1) + box, /^bad\.vnnlib: the property constrains no output Y_i.*truncated/);
  // one disjunct without an output constraint is as degenerate
  throwsUser(decl(1, 1) + box + '(assert (or (>= Y_0 1) (and (>= X_0 0))))', /a disjunct of the property constrains no output/);
  throwsUser(decl(1, 1) + box + '(assert (or))', /'or' needs at least one operand/);
  throwsUser(decl(1, 1) + '(assert (<= X_0 1e400))', /the number 1e400 is out of range/);
});

test('an ImageNet-sized property (3x224x224 inputs, one and of all bounds) parses: no spread of 10^5 values', () => {
  const n = 3 * 224 * 224;
  const parts = [decl(n, 2), '(assert (and'];
  for (let i = 0; i < n; i++) parts.push(` (>= X_${i} 0) (<= X_${i} ${(i % 7) / 7 + 0.1})`);
  parts.push('))\n(assert (>= Y_1 Y_0))\n');
  const p = parseVnnlib(parts.join(''));
  assert.is(p.numInputs, n);
  assert.is(p.regions.length, 1);
  assert.is(p.regions[0].upper[n - 1], ((n - 1) % 7) / 7 + 0.1);
});

test('nesting is limited instead of overflowing the stack; ordinary depth still parses', () => {
  const nest = (depth: number) => decl(1, 2) + '(assert (>= X_0 0)) (assert (<= X_0 1))\n(assert ' +
    '(and '.repeat(depth) + '(>= Y_1 Y_0)' + ')'.repeat(depth) + ')';
  const ok = parseVnnlib(nest(MAX_DEPTH - 3));
  assert.is(ok.regions[0].unsafe[0].rows, 1);
  throwsUser(nest(20_000), new RegExp(`bad\\.vnnlib:5: parentheses nested more than ${MAX_DEPTH} deep`));
});

test.run();
