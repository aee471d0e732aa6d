// --shard K/N and `veribound merge`: the partition (auto K from Slurm / Kubernetes), and sharded
// runs merged equal to one run of the whole set: a sweep (tiny random network, every file it
// writes, times aside) and a VNN-COMP instance set (../shared's sanity set).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseShard, shardItems } from '../src/shard/shard.js';
import { UserError } from '../src/errors.js';
import { saveOnnx } from '../src/onnx/export.js';
import { forward } from '../src/forward.js';
import { inputSize } from '../src/network.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';
import { guard, sharedMissing, benchDir } from './helpers/requires.js';

const cli = path.resolve('dist', 'src', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-shard-test-'));
const veribound = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('parseShard: K/N, auto from SLURM_ARRAY_TASK_ID (1- or 0-based arrays) and JOB_COMPLETION_INDEX, and bad values', () => {
  assert.equal(parseShard('2/4', {}), { k: 2, n: 4 });
  assert.equal(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '3' }), { k: 3, n: 4 });
  assert.equal(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0' }), { k: 1, n: 4 });
  assert.equal(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' }), { k: 4, n: 4 });
  for (const [text, env, msg] of [
    ['0/4', {}, /outside 1\.\.4/], ['5/4', {}, /outside 1\.\.4/], ['2', {}, /expected K\/N/], ['a/b', {}, /expected K\/N/],
    ['auto/4', {}, /neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX/], ['auto/4', { JOB_COMPLETION_INDEX: '4' }, /outside 1\.\.4/],
    ['auto/2', { SLURM_ARRAY_TASK_ID: 'x' }, /not a non-negative integer/],
  ] as const) {
    assert.throws(() => parseShard(text, env as NodeJS.ProcessEnv), (e: unknown) => e instanceof UserError && msg.test((e as Error).message), text);
  }
});

test('shardItems: every position in exactly one of N shards, round-robin', () => {
  for (const [count, n] of [[0, 3], [1, 4], [10, 3], [30, 4], [7, 7], [5, 9]]) {
    const seen = new Array<number>(count).fill(0);
    for (let k = 1; k <= n; k++) {
      const mine = shardItems(count, { k, n });
      for (const i of mine) { assert.is(i % n, k - 1); seen[i]++; }
    }
    assert.ok(seen.every((s) => s === 1), `${count} items in ${n} shards`);
  }
});

// a random dense network and inputs labelled mostly by its own predictions (some misclassified)
const rng = seededRng(11);
const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 10, outputs: 3 });
const netFile = path.join(tmp, 'tiny.onnx');
saveOnnx(net, netFile);
const n = inputSize(net);
const count = 23;
const xs = Array.from({ length: count }, () => Array.from({ length: n }, () => rng()));
const outs = forward(net, Float64Array.from(xs.flat()), count);
const labels = xs.map((_, i) => {
  const row = Array.from(outs.subarray(i * 3, i * 3 + 3));
  const best = row.indexOf(Math.max(...row));
  return i % 7 === 3 ? (best + 1) % 3 : best;
});
const inputsFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputsFile, JSON.stringify({ inputs: xs, labels }));

/** The sweep JSON without what depends on time, the machine or the split (engine calls). */
function comparableSweep(file: string): unknown {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete doc.seconds;
  if (doc.milp) delete doc.milp.workers;
  for (const r of doc.results) { delete r.seconds; if (r.milp) delete r.milp.seconds; }
  for (const r of doc.runs) {
    delete r.seconds; delete r.engine_calls;
    if (r.completion) { delete r.completion.seconds; delete r.completion.attack_seconds; }
  }
  return doc;
}
/** The sweep CSV without its time columns. */
function comparableCsv(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const keep = head.map((h, c) => (/seconds/.test(h) ? -1 : c)).filter((c) => c >= 0);
  return lines.map((l) => keep.map((c) => l.split(',')[c]).join(',')).join('\n');
}

for (const milp of [false, true]) {
  test(`sweep${milp ? ' --milp' : ''} in 3 shards, merged: the same JSON, CSV and plot as one sweep (times aside)`, () => {
    const args = ['--net', netFile, '--inputs', inputsFile, '--eps', '0.002,0.005,0.01,0.02,0.05,0.1', '--method', 'ibp,crown', '--backend', 'cpu',
      '--schedule', 'bisect', ...(milp ? ['--milp', '--milp-timeout', '20'] : [])];
    const dir = path.join(tmp, milp ? 'milp' : 'plain');
    fs.mkdirSync(dir);
    const f = (name: string) => path.join(dir, name);
    let r = veribound('sweep', ...args, '--out', f('one.json'), '--csv', f('one.csv'), '--plot', f('one.svg'));
    assert.is(r.status, 0, r.stderr);
    for (const k of [1, 2, 3]) {
      r = veribound('sweep', ...args, '--shard', `${k}/3`, '--out', f(`s${k}.json`));
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`shard ${k}/3: \\d+ of the \\d+ correctly classified inputs`));
    }
    r = veribound('merge', '--out', f('m.json'), '--csv', f('m.csv'), '--plot', f('m.svg'), f('s2.json'), f('s3.json'), f('s1.json'));
    assert.is(r.status, 0, r.stderr);
    assert.equal(comparableSweep(f('m.json')), comparableSweep(f('one.json')));
    assert.is(comparableCsv(f('m.csv')), comparableCsv(f('one.csv')));
    assert.is(fs.readFileSync(f('m.svg'), 'utf8'), fs.readFileSync(f('one.svg'), 'utf8'));
    const doc = JSON.parse(fs.readFileSync(f('one.json'), 'utf8'));
    assert.ok(doc.results.some((x: { verified: number }) => x.verified > 0) && doc.results.some((x: { verified: number }) => x.verified < doc.clean_correct),
      'the sweep verifies some correctly classified inputs and not others (else the comparison proves little)');
    if (milp) assert.ok(doc.results.some((x: { falsified: number }) => x.falsified > count - doc.clean_correct), 'the MILP or attack falsifies some pairs');
  });
}

test('merge refuses a missing shard, a shard given twice, shards of different sweeps and a shard with --csv', () => {
  const base = ['--net', netFile, '--inputs', inputsFile, '--eps', '0.01,0.05', '--backend', 'cpu'];
  const f = (name: string) => path.join(tmp, name);
  for (const k of [1, 2]) assert.is(veribound('sweep', ...base, '--shard', `${k}/2`, '--out', f(`e${k}.json`)).status, 0);
  assert.is(veribound('sweep', ...base, '--eps', '0.01,0.06', '--shard', '2/2', '--out', f('other2.json')).status, 0);
  const cases: [string[], RegExp][] = [
    [[f('e1.json')], /shard\(s\) 2 of 2 are missing/],
    [[f('e1.json'), f('e1.json')], /are both shard 1\/2/],
    [[f('e1.json'), f('other2.json')], /shards of different sweeps/],
    [[f('e1.json'), inputsFile], /is not a sweep shard file/],
  ];
  for (const [files, msg] of cases) {
    const r = veribound('merge', '--out', f('bad.json'), ...files);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
    assert.is(r.stderr.trim().split('\n').length, 1);
    assert.not.ok(fs.existsSync(f('bad.json')));
  }
  const r = veribound('sweep', ...base, '--shard', '1/2', '--out', f('x.json'), '--csv', f('x.csv'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /--csv, --plot and --html go to veribound merge/);
});

const sharedTest = guard(test, sharedMissing());

sharedTest('run in 2 shards sharing --results-dir, merged: results.csv rows and result files equal one run (times aside)', () => {
  const csv = path.join(benchDir, 'sanity', 'test_instances.csv');
  const f = (name: string) => path.join(tmp, name);
  let r = veribound('run', '--instances', csv, '--backend', 'cpu', '--out', f('one.csv'), '--results-dir', f('one'));
  assert.is(r.status, 0, r.stderr);
  for (const k of [1, 2]) {
    r = veribound('run', '--instances', csv, '--backend', 'cpu', '--shard', `${k}/2`, '--out', f(`r${k}.csv`), '--results-dir', f('sharded'));
    assert.is(r.status, 0, r.stderr);
  }
  r = veribound('merge', '--out', f('merged.csv'), f('r2.csv'), f('r1.csv'));
  assert.is(r.status, 0, r.stderr);
  const noTime = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','));
  const one = noTime(f('one.csv'));
  assert.equal(noTime(f('merged.csv')), one);
  assert.is(one.length, 6);
  for (let i = 0; i < 5; i++) assert.is(fs.readFileSync(f(`sharded/${i}.result`), 'utf8'), fs.readFileSync(f(`one/${i}.result`), 'utf8'), `row ${i}`);
  // an interrupted shard (a row missing) is refused
  fs.writeFileSync(f('r1cut.csv'), fs.readFileSync(f('r1.csv'), 'utf8').trim().split('\n').slice(0, -1).join('\n') + '\n');
  r = veribound('merge', '--out', f('bad.csv'), f('r1cut.csv'), f('r2.csv'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /lacks 1 of its rows/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
