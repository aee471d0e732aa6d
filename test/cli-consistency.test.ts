// One consistent CLI, checked on every command through the real CLI: --version; `help CMD` and
// `CMD --help` print the same usage, and every help line fits 100 columns; an unknown option
// names the nearest known one; a negative number given as a separate argument reaches the value
// check (one line, exit 2); --json prints exactly one JSON document whose keys are all camelCase
// and whose meta records the version, the command line, the seed and the engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveOnnx } from '../src/onnx/export.js';
import { inputSize, outputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { predictedClass } from '../src/spec/margins.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-consistency-'));
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const COMMANDS = ['info', 'train', 'bounds', 'sweep', 'verify', 'run', 'attack', 'bench', 'check'];

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--version and the main help', () => {
  const v = veribound('--version');
  assert.is(v.code, 0);
  assert.is(v.out, `veribound ${version}\n`);
  const h = veribound('--help');
  assert.is(h.code, 0);
  for (const c of COMMANDS) assert.match(h.out, new RegExp(`^  ${c} `, 'm'));
  h.out.split('\n').forEach((l) => assert.ok(l.length <= 100, `main help: ${l.length} columns: ${l}`));
  const u = veribound('bonds');
  assert.is(u.code, 2);
  assert.match(u.err, /unknown command 'bonds' \(did you mean bounds\?\)/);
});

for (const c of COMMANDS) {
  test(`${c}: help, unknown option, --json documented`, () => {
    const a = veribound('help', c), b = veribound(c, '--help');
    assert.is(a.code, 0);
    assert.is(a.out, b.out);
    assert.ok(a.out.startsWith(`usage: veribound ${c}`), a.out.slice(0, 80));
    a.out.split('\n').forEach((l) => assert.ok(l.length <= 100, `${c} --help: ${l.length} columns: ${l}`));
    assert.match(a.out, /--json/);
    assert.match(a.out, /--out FILE\.json/, 'every command writes its JSON document with --out');
    const bad = veribound(c, '--jsno');
    assert.is(bad.code, 2, bad.err);
    assert.match(bad.err, /unknown option '--jsno' \(did you mean --json\?\)/);
    assert.is(bad.err.trim().split('\n').length, 1, bad.err);
  });
}

// a negative number as a separate argument: the flag's own check answers, in one line
const negatives: [string[], RegExp][] = [
  [['info', '--net', 'mnist-mlp', '--samples', '-3'], /--samples: expected an integer >= 0, got '-3'/],
  [['bounds', '--samples', '2', '--eps', '-0.1'], /epsilon -0\.1 is negative/],
  [['sweep', '--samples', '2', '--eps', '-0.1'], /epsilon -0\.1 is negative/],
  [['verify', '--net', 'a.onnx', '--spec', 'p.vnnlib', '--timeout', '-5'], /--timeout '-5': expected a positive number of seconds/],
  [['attack', '--index', '0', '--timeout', '-1'], /--timeout '-1': expected a number in/],
  [['run', '--instances', 'x.csv', '--limit', '-2'], /cannot read instances file|--limit '-2'/],
  [['train', '--lr', '-0.5', '--onnx', 'x.onnx'], /--lr: expected a positive number, got '-0\.5'/],
  [['bench', '--boxes', '-5'], /--boxes: '-5' is not a whole number/],
];
for (const [args, re] of negatives) {
  test(`negative value as a separate argument: ${args.slice(0, 1)} ${args.slice(-2).join(' ')}`, () => {
    const r = veribound(...args);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
    assert.not.match(r.err, /ambiguous/);
  });
}

// small fixtures: a random network, labelled inputs, a sat property, an instances file
const net = randomNetwork(seededRng(5), { kind: 'dense', depth: 2, width: 6, outputs: 3 });
saveOnnx(net, path.join(tmp, 'net.onnx'));
const n = inputSize(net), m = outputSize(net);
const rng = seededRng(9);
const xs = Array.from({ length: 4 }, () => Array.from({ length: n }, () => rng()));
fs.writeFileSync(path.join(tmp, 'inputs.json'), JSON.stringify({ inputs: xs, labels: xs.map((x) => predictedClass(forward(net, Float64Array.from(x), 1))) }));
const decl = [...Array(n).keys()].map((i) => `(declare-const X_${i} Real)`).concat([...Array(m).keys()].map((j) => `(declare-const Y_${j} Real)`));
const box = [...Array(n).keys()].flatMap((i) => [`(assert (>= X_${i} 0.2))`, `(assert (<= X_${i} 0.6))`]);
fs.writeFileSync(path.join(tmp, 'sat.vnnlib'), [...decl, ...box, '(assert (<= Y_0 1000000))'].join('\n') + '\n');
fs.writeFileSync(path.join(tmp, 'instances.csv'), 'net.onnx,sat.vnnlib,20\n');

function camelCaseKeys(v: unknown, where: string): void {
  if (Array.isArray(v)) v.forEach((x, i) => camelCaseKeys(x, `${where}[${i}]`));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      assert.not.match(k, /_/, `${where}.${k} is not camelCase`);
      camelCaseKeys(x, `${where}.${k}`);
    }
  }
}

const jsonRuns: [string, string[], number | null][] = [
  ['info', ['--net', 'mnist-mlp', '--samples', '10'], null],
  ['bounds', ['--net', 'net.onnx', '--inputs', 'inputs.json', '--eps', '0.01,0.05', '--backend', 'cpu'], null],
  ['sweep', ['--net', 'net.onnx', '--inputs', 'inputs.json', '--eps', '0.01,0.05', '--backend', 'cpu'], null],
  ['verify', ['--net', 'net.onnx', '--spec', 'sat.vnnlib', '--backend', 'cpu', '--timeout', '20', '--seed', '3'], 3],
  ['run', ['--instances', 'instances.csv', '--csv', 'r.csv', '--results-dir', 'res', '--backend', 'cpu'], null],
  ['check', ['--csv', 'r.csv', '--results-dir', 'res', '--instances', 'instances.csv'], null],
  ['attack', ['--net', 'mnist-mlp', '--index', '0', '--timeout', '3'], null],
  ['bench', ['--net', 'net.onnx', '--backend', 'cpu', '--boxes', '10', '--method', 'ibp', '--seed', '4'], 4],
  ['train', ['--arch', '784-4-10', '--epochs', '1', '--limit', '100', '--seed', '6', '--onnx', 't.onnx'], 6],
];
for (const [c, args, seed] of jsonRuns) {
  test(`${c} --json: one JSON document on stdout, camelCase keys, meta`, () => {
    const r = veribound(c, ...args, '--json');
    assert.is(r.code, 0, r.err);
    assert.is(r.out.trim().split('\n').length, 1, 'one line on stdout');
    const doc = JSON.parse(r.out);
    camelCaseKeys(doc, c);
    assert.equal(Object.keys(doc.meta).sort(), ['commandLine', 'engine', 'seed', 'version']);
    assert.is(doc.meta.version, version);
    assert.is(doc.meta.commandLine, ['veribound', c, ...args, '--json'].join(' '));
    assert.is(doc.meta.seed, seed);
    if (['bounds', 'sweep', 'verify', 'bench'].includes(c)) assert.match(doc.meta.engine, /^cpu float64/);
    // --out writes the same document
    const file = path.join(tmp, `${c}-out.json`);
    const w = veribound(c, ...args.map((a) => (a === 'r.csv' ? 'r2.csv' : a === 't.onnx' ? 't2.onnx' : a)), '--out', file);
    assert.is(w.code, 0, w.err);
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(Object.keys(written).sort(), Object.keys(doc).sort());
  });
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
