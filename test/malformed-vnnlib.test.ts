// Malformed and degenerate VNN-LIB properties through `veribound verify`: each is refused with
// exit 2 and one line naming the file and the problem, and neither --out nor --summary is
// written. The degenerate ones (empty input box, no output constraint) used to be answered
// unsat and sat; the deeply nested one used to overflow the stack.
import { test } from 'uvu';
import { model, node } from './fixtures-onnx.js';
import { refuses, succeeds, tempDir } from './helpers/cli-contract.js';

const tmp = tempDir('vb-malformed-vnnlib-');
// a 2-input, 2-output dense network
const net = tmp.write('net.onnx', model({
  input: { name: 'x', dims: [1, 2] },
  nodes: [node('Gemm', ['x', 'W', 'B'], ['y'], { transB: 1 }, 'fc')],
  inits: [{ name: 'W', dims: [2, 2], data: [1, 0.5, -0.5, 1] }, { name: 'B', dims: [2], data: [0.1, -0.1] }],
  output: 'y',
}));
const decl = '(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n';
const box = '(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n';
const outAssert = '(assert (<= Y_0 Y_1))\n';
const out = tmp.file('result.txt');
const summary = tmp.file('summary.json');

function verify(name: string, text: string): string[] {
  return ['verify', '--net', net, '--spec', tmp.write(name, text), '--backend', 'cpu', '--timeout', '60', '--out', out, '--summary', summary];
}
const refusesSpec = (name: string, text: string, ...says: RegExp[]) =>
  refuses(verify(name, text), { says: [new RegExp(name.replace('.', '\\.')), ...says], outputs: [out, summary] });

test('control: the well-formed property is answered (exit 0)', () => {
  succeeds(verify('good.vnnlib', decl + box + outAssert));
});

test('an empty input box (lower above upper) is an error, not unsat', () => {
  refusesSpec('empty-box.vnnlib', decl + box.replace('(>= X_1 0)', '(>= X_1 2)') + outAssert,
    /the input box is empty \(X_1 >= 2 but X_1 <= 1\)/);
});

test('no output constraint is an error, not sat', () => {
  refusesSpec('no-output.vnnlib', decl + box, /constrains no output Y_i/);
});

test('a file truncated before its output constraint is an error, not sat', () => {
  const full = decl + box + outAssert;
  refusesSpec('truncated.vnnlib', full.slice(0, full.indexOf('(assert (<= Y_0')), /constrains no output Y_i.*truncated/);
  // truncated inside the output assert: an unclosed parenthesis, with its line
  refusesSpec('cut.vnnlib', full.slice(0, full.length - 4), /cut\.vnnlib:9: '\(' opened here is never closed/);
});

test('nesting thousands deep is refused, not a stack overflow', () => {
  const deep = decl + box + '(assert ' + '(and '.repeat(50_000) + '(<= Y_0 Y_1)' + ')'.repeat(50_000) + ')\n';
  refusesSpec('deep.vnnlib', deep, /deep\.vnnlib:9: parentheses nested more than 1000 deep/);
});

test('other malformed properties name the line and the token', () => {
  refusesSpec('unbalanced.vnnlib', decl + box + outAssert + ')', /unbalanced\.vnnlib:10: unbalanced '\)'/);
  refusesSpec('huge-number.vnnlib', decl + box.replace('(<= X_0 1)', '(<= X_0 1e999)') + outAssert, /huge-number\.vnnlib:6: the number 1e999 is out of range/);
  refusesSpec('undeclared.vnnlib', decl + box + '(assert (<= Y_0 Y_7))\n', /variable Y_7 is used before it is declared/);
  refusesSpec('unbounded.vnnlib', decl + box.replace('(assert (<= X_1 1))\n', '') + outAssert, /input X_1 has no upper bound/);
  refusesSpec('operator.vnnlib', decl + box + '(assert (= Y_0 Y_1))\n', /operator\.vnnlib:9: unsupported operator '='/);
  refusesSpec('binary.vnnlib', '\u0000\u0001\u0002(declare-const X_0 Real)', /binary\.vnnlib:1: unexpected token/);
});

test('a property that does not fit the network names both sizes', () => {
  const three = decl + '(declare-const X_2 Real)\n' + box + '(assert (>= X_2 0))\n(assert (<= X_2 1))\n' + outAssert;
  refusesSpec('three-inputs.vnnlib', three, /declares 3 inputs X_i, .*net\.onnx takes 2/);
});

test.after(() => tmp.remove());
test.run();
