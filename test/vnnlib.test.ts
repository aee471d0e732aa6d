import { test } from 'uvu';
import { guard, sharedMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parseVnnlib, readVnnlib } from '../src/spec/vnnlib.js';
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

test.run();
