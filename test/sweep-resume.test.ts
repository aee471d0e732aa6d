// Checkpoints, --resume and Ctrl-C through the real CLI: a sweep resumed from the checkpoint of
// a smaller one (fewer samples, fewer eps) gives the same verdicts as one uninterrupted sweep and
// redoes nothing that was decided; a resumed complete sweep does no work at all; SIGINT leaves
// valid JSON/CSV marked partial, a checkpoint that --resume finishes, and exit code 130; a
// checkpoint of another network is refused in one line; SIGINT while a --complete cascade call
// runs stops that call (it runs in a worker thread) instead of waiting for its budget.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveOnnx } from '../src/onnx/export.js';
import { count, eps, labels, n, net, xs } from './sweep-milp-fixture.js';
import { loadTarget } from '../src/sweep/setup.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-sweep-resume-'));
const netFile = path.join(tmp, 'tiny.onnx');
saveOnnx(net, netFile);
const inputsOf = (k: number) => {
  const f = path.join(tmp, `inputs-${k}.json`);
  fs.writeFileSync(f, JSON.stringify({ inputs: Array.from({ length: k }, (_, i) => Array.from(xs.subarray(i * n, (i + 1) * n))), labels: Array.from(labels).slice(0, k) }));
  return f;
};
const allInputs = inputsOf(count);
const { data: mnist } = await loadTarget({ net: 'mnist-mlp', samples: 30 });

function veribound(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Pair { index: number; eps: number; verdict: string; decidedBy: string | null; timeS: number; counterexample?: number[]; counterexampleEps?: number }
const strip = (pairs: Pair[]) => pairs.map(({ timeS: _t, ...p }) => p);
const json = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

test('--complete resumed from a sweep over fewer eps equals an uninterrupted one; resuming a finished one does nothing', () => {
  const common = ['--net', netFile, '--backend', 'cpu', '--complete', '--timeout', '20', '--method', 'ibp,crown', '--inputs', allInputs];
  const whole = path.join(tmp, 'whole.json');
  let r = veribound('sweep', ...common, '--eps', eps.join(','), '--out', whole);
  assert.is(r.code, 0, r.err);
  // every other eps first; then all of them from its checkpoint
  const ck = path.join(tmp, 'part.ckpt');
  r = veribound('sweep', ...common, '--eps', eps.filter((_, k) => k % 2 === 0).join(','), '--checkpoint', ck);
  assert.is(r.code, 0, r.err);
  assert.ok(fs.readFileSync(ck, 'utf8').trim().split('\n').length > 1, 'the checkpoint has facts');
  const resumed = path.join(tmp, 'resumed.json');
  r = veribound('sweep', ...common, '--eps', eps.join(','), '--resume', ck, '--out', resumed);
  assert.is(r.code, 0, r.err);
  const a = json(whole), b = json(resumed);
  for (const key of ['verified', 'falsified', 'misclassified', 'undecided']) {
    assert.equal(b.results.map((x: Record<string, number>) => x[key]), a.results.map((x: Record<string, number>) => x[key]), key);
  }
  assert.equal(b.pairs.map((p: Pair) => p.verdict), a.pairs.map((p: Pair) => p.verdict));
  assert.ok(b.complete.calls < a.complete.calls || a.complete.calls === 0, `the resumed sweep asked the cascade less (${b.complete.calls} vs ${a.complete.calls})`);
  // the checkpoint now covers everything: resuming again does no work and gives the same pairs
  const again = path.join(tmp, 'again.json');
  r = veribound('sweep', ...common, '--eps', eps.join(','), '--resume', ck, '--out', again);
  assert.is(r.code, 0, r.err);
  const c = json(again);
  assert.is(c.attack.attacks, 0);
  assert.is(c.complete.calls, 0);
  for (const run of c.runs) assert.is(run.pairsBounded, 0);
  assert.equal(strip(c.pairs).map((p) => [p.index, p.eps, p.verdict]), strip(b.pairs).map((p) => [p.index, p.eps, p.verdict]));
});

test('MNIST: a sweep resumed with more samples and more eps equals an uninterrupted one', () => {
  const common = ['--net', 'mnist-mlp', '--backend', 'cpu', '--schedule', 'bisect'];
  const whole = path.join(tmp, 'mnist-whole.json'), resumed = path.join(tmp, 'mnist-resumed.json'), ck = path.join(tmp, 'mnist.ckpt');
  let r = veribound('sweep', ...common, '--samples', '30', '--eps', '0.01:0.05:5', '--out', whole);
  assert.is(r.code, 0, r.err);
  r = veribound('sweep', ...common, '--samples', '15', '--eps', '0.01,0.03,0.05', '--checkpoint', ck);
  assert.is(r.code, 0, r.err);
  r = veribound('sweep', ...common, '--samples', '30', '--eps', '0.01:0.05:5', '--resume', ck, '--out', resumed);
  assert.is(r.code, 0, r.err);
  const a = json(whole), b = json(resumed);
  // the same verdicts and deciders; the counterexample points may differ where the checkpoint's
  // attack bisected over other eps (falsify.ts starts each probe from the counterexample above
  // it, shrunk), and each lies in its ball
  const facts = (pairs: Pair[]) => pairs.map((p) => [p.index, p.eps, p.verdict, p.decidedBy]);
  assert.equal(facts(b.pairs), facts(a.pairs));
  for (const p of b.pairs as Pair[]) {
    if (!p.counterexample) continue;
    const x0 = mnist.inputs.subarray(p.index * 784, (p.index + 1) * 784);
    assert.ok(p.counterexample.every((v, d) => Math.abs(v - x0[d]) <= p.eps), `input ${p.index} eps ${p.eps}: its counterexample lies in the ball`);
  }
  assert.ok(b.runs[0].pairsBounded < a.runs[0].pairsBounded, `the resumed sweep bounded less (${b.runs[0].pairsBounded} vs ${a.runs[0].pairsBounded})`);
});

test('a checkpoint of another network is refused in one line, exit 2', () => {
  const ck = path.join(tmp, 'other.ckpt');
  const other = path.join(tmp, 'other.onnx');
  // the same architecture, one weight changed
  const changed = structuredClone(net);
  const dense = changed.layers.find((l) => l.op.kind === 'dense')!.op as { weight: Float64Array };
  dense.weight[0] += 0.25;
  saveOnnx(changed, other);
  let r = veribound('sweep', '--net', other, '--backend', 'cpu', '--inputs', allInputs, '--eps', '0.1', '--checkpoint', ck);
  assert.is(r.code, 0, r.err);
  r = veribound('sweep', '--net', netFile, '--backend', 'cpu', '--inputs', allInputs, '--eps', '0.1', '--resume', ck);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /--resume .*other\.ckpt: it is a checkpoint of network/);
  assert.is(r.err.trim().split('\n').length, 1);
});

test('SIGINT: valid partial JSON/CSV, exit 130, one line saying where; --resume finishes the job', async () => {
  const out = path.join(tmp, 'int.json'), csv = path.join(tmp, 'int.csv'), pairs = path.join(tmp, 'int-pairs.csv'), ck = path.join(tmp, 'int.ckpt');
  // the bundled MNIST network with --complete: far more work than the test waits for
  const args = ['sweep', '--net', 'mnist-mlp', '--samples', '40', '--eps', '0.02:0.1:5', '--backend', 'cpu', '--complete', '--timeout', '3',
    '--out', out, '--csv', csv, '--pairs', pairs, '--checkpoint', ck];
  const child = spawn(process.execPath, [cli, ...args], { cwd: root });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // once the attack phase has written its facts (the handler is installed long before), interrupt
  const t0 = Date.now();
  while (Date.now() - t0 < 120_000) {
    if (fs.existsSync(ck) && fs.readFileSync(ck, 'utf8').split('\n').length > 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 130, err);
  const lines = err.trim().split('\n').filter((l) => !/SIGINT: stopping/.test(l) && !/backend/.test(l));
  assert.is(lines.length, 1, err);
  assert.match(lines[0], /^veribound: interrupted: \d+ of 200 pairs decided; partial results in .*int\.json, .*int\.csv, .*int-pairs\.csv; continue with --resume .*int\.ckpt$/);
  const doc = json(out);
  assert.is(doc.partial, true);
  assert.is(doc.pairs.length, 200);
  for (const r of doc.results) assert.is(r.verified + r.falsified + r.misclassified + r.undecided, 40);
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.is(rows.length, 6);
  const head = rows[0].split(',');
  for (const row of rows.slice(1)) assert.is(row.split(',')[head.indexOf('partial')], 'true');
  assert.is(fs.readFileSync(pairs, 'utf8').trim().split('\n').length, 201);
  // resuming with the bounds and attacks only (no --complete) finishes at once from the checkpoint
  const done = path.join(tmp, 'int-done.json');
  const r = veribound('sweep', '--net', 'mnist-mlp', '--samples', '40', '--eps', '0.02:0.1:5', '--backend', 'cpu', '--resume', ck, '--out', done);
  assert.is(r.code, 0, r.err);
  const fin = json(done);
  assert.is(fin.partial, false);
  // nothing decided before the interrupt is lost
  for (const [k, row] of fin.results.entries()) assert.ok(row.falsified >= doc.results[k].falsified && row.verified >= doc.results[k].verified - 0);
});


test('SIGINT during --complete\'s cascade stops the running call (not after its budget): partial files, exit 130', async () => {
  const out = path.join(tmp, 'cint.json'), pairs = path.join(tmp, 'cint-pairs.csv'), ck = path.join(tmp, 'cint.ckpt');
  // hard pairs of the bundled network with a budget of minutes each: a cascade call that could
  // only be stopped between calls would keep the sweep running for minutes after the signal
  const args = ['sweep', '--net', 'mnist-mlp', '--samples', '20', '--eps', '0.03:0.06:4', '--backend', 'cpu', '--complete', '--timeout', '300',
    '--out', out, '--pairs', pairs, '--checkpoint', ck];
  const child = spawn(process.execPath, [cli, ...args], { cwd: root });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // the bounds' facts are in the checkpoint once the bound phase is over; the stronger attack
  // takes a moment, then the cascade runs
  const t0 = Date.now();
  while (Date.now() - t0 < 120_000) {
    if (fs.existsSync(ck) && fs.readFileSync(ck, 'utf8').includes('"t":"bounds"')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 4000));
  const signalled = Date.now();
  child.kill('SIGINT');
  const code = await exited;
  const afterS = (Date.now() - signalled) / 1000;
  assert.is(code, 130, err);
  assert.ok(afterS < 60, `stopped ${afterS.toFixed(1)} s after SIGINT, with a cascade budget of 300 s per pair`);
  assert.match(err, /veribound: interrupted: \d+ of 80 pairs decided; partial results in .*cint\.json, .*cint-pairs\.csv; continue with --resume .*cint\.ckpt/);
  const doc = json(out);
  assert.is(doc.partial, true);
  assert.ok(doc.complete, 'the sweep was in its --complete phase');
  assert.is(doc.pairs.length, 80);
  for (const r of doc.results) assert.is(r.verified + r.falsified + r.misclassified + r.undecided, 20);
  // every falsified pair carries (or names) a counterexample
  for (const p of doc.pairs as Pair[]) {
    if (p.verdict === 'falsified') assert.ok(p.counterexample || p.counterexampleEps !== undefined, `pair (${p.index}, ${p.eps})`);
  }
  assert.is(fs.readFileSync(pairs, 'utf8').trim().split('\n').length, 81);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
