// --shard K/N and `veribound merge`: the partition (auto K from Slurm / Kubernetes), a sharded
// run of a VNN-COMP instance set (../shared's sanity set) merged equal to one run of the whole set,
// and a sweep in 3 shards merged equal to one sweep (apart from the fields sweep/compare.ts lists).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseShard, shardItems } from '../src/shard/shard.js';
import { UserError } from '../src/errors.js';
import { stablePairsCsv, stableSweepCsv, stableSweepJson } from '../src/sweep/compare.js';
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

/** The sweep outputs under `a` and `b` are equal apart from the fields sweep/compare.ts lists. */
function assertSameSweep(a: string, b: string): void {
  const f = (name: string) => path.join(tmp, name);
  const ja = JSON.parse(fs.readFileSync(f(`${a}.json`), 'utf8')), jb = JSON.parse(fs.readFileSync(f(`${b}.json`), 'utf8'));
  assert.is(JSON.stringify(stableSweepJson(jb)), JSON.stringify(stableSweepJson(ja)), `${b}.json vs ${a}.json`);
  assert.is(stableSweepCsv(fs.readFileSync(f(`${b}.csv`), 'utf8'), ja.schedule), stableSweepCsv(fs.readFileSync(f(`${a}.csv`), 'utf8'), ja.schedule));
  assert.is(stablePairsCsv(fs.readFileSync(f(`${b}-p.csv`), 'utf8')), stablePairsCsv(fs.readFileSync(f(`${a}-p.csv`), 'utf8')));
  assert.is(fs.readFileSync(f(`${b}.svg`), 'utf8'), fs.readFileSync(f(`${a}.svg`), 'utf8'));
}

test('stableSweepJson drops exactly the listed fields; withoutColumns keeps quoted cells whole', () => {
  const doc = { schedule: 'adaptive', timeS: 1, engine: 'cpu', verified: 3, attack: { attacks: 2, timeS: 1 }, runs: [{ method: 'crown', pairsBounded: 5, rounds: 2, engineCalls: 1, timeS: 2 }],
    results: [{ eps: 0.1, verified: 3, pairsBounded: 4, timeS: 1 }], pairs: [{ index: 0, verdict: 'verified', timeS: 0.5 }], meta: { version: 'v', commandLine: 'x', seed: null, engine: 'e' } };
  assert.equal(stableSweepJson(doc), { schedule: 'adaptive', verified: 3, attack: { attacks: 2 }, runs: [{ method: 'crown' }], results: [{ eps: 0.1, verified: 3 }], pairs: [{ index: 0, verdict: 'verified' }], meta: { version: 'v', seed: null } });
  assert.equal((stableSweepJson({ ...doc, schedule: 'bisect' }) as { runs: unknown[] }).runs, [{ method: 'crown', pairsBounded: 5, rounds: 2 }]);
  assert.is(stablePairsCsv('index,timeS,reason,x\n1,0.5,"a, b",2\n'), 'index,reason,x\n1,"a, b",2\n');
});

// a small sweep (mnist-mlp, 8 images, 2 eps) with --complete, so the cascade runs in the shards too
const SWEEP = ['sweep', '--net', 'mnist-mlp', '--samples', '8', '--eps', '0.012,0.018', '--backend', 'cpu', '--complete', '--timeout', '120'];
const sweepOutputs = (name: string) => ['--out', path.join(tmp, `${name}.json`), '--csv', path.join(tmp, `${name}.csv`), '--pairs', path.join(tmp, `${name}-p.csv`), '--plot', path.join(tmp, `${name}.svg`)];

test('sweep in 3 shards (--complete), merged: the JSON, CSV, per-pair CSV and plot of one sweep', () => {
  const f = (name: string) => path.join(tmp, name);
  let r = veribound(...SWEEP, ...sweepOutputs('sweep-one'));
  assert.is(r.status, 0, r.stderr);
  const shardFiles = [1, 2, 3].map((k) => f(`sweep-${k}.json`));
  for (const [k, file] of shardFiles.entries()) {
    r = veribound(...SWEEP, '--shard', `${k + 1}/3`, '--out', file);
    assert.is(r.status, 0, r.stderr);
  }
  // each shard's inputs: round-robin over the correctly classified ones
  const parts = shardFiles.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')).positions as number[]);
  const all = parts.flat().sort((a, b) => a - b);
  assert.is(new Set(all).size, all.length);
  assert.is(all.length, JSON.parse(fs.readFileSync(f('sweep-one.json'), 'utf8')).cleanCorrect);
  r = veribound('merge', ...sweepOutputs('sweep-merged'), shardFiles[2], shardFiles[0], shardFiles[1]);
  assert.is(r.status, 0, r.stderr);
  assertSameSweep('sweep-one', 'sweep-merged');
  const one = JSON.parse(fs.readFileSync(f('sweep-one.json'), 'utf8'));
  assert.ok(one.complete.calls > 0, 'the cascade ran');
  // refused: a missing shard, a shard twice, a shard of another sweep, run and sweep shards mixed
  for (const [files, msg] of [
    [[shardFiles[0], shardFiles[1]], /shard\(s\) 3 of 3 are missing/],
    [[shardFiles[0], shardFiles[0], shardFiles[1]], /are both shard 1\/3/],
  ] as const) {
    r = veribound('merge', '--out', f('bad.json'), ...files);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
  }
  r = veribound('sweep', '--net', 'mnist-mlp', '--samples', '8', '--eps', '0.012,0.02', '--backend', 'cpu', '--no-attack', '--shard', '3/3', '--out', f('other-3.json'));
  assert.is(r.status, 0, r.stderr);
  r = veribound('merge', '--out', f('bad.json'), shardFiles[0], shardFiles[1], f('other-3.json'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /shards of different sweeps/);
  fs.writeFileSync(f('run-shard.csv'), '# veribound run shard 1/1 of 0 rows; list 00\n');
  r = veribound('merge', '--out', f('bad.json'), shardFiles[0], f('run-shard.csv'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /run-shard\.csv is not a sweep shard file/);
  assert.not.ok(fs.existsSync(f('bad.json')));
});

test('sweep in 2 shards with counterexamples, merged equal to one sweep; a shard file whose counterexample does not replay is refused', () => {
  const f = (name: string) => path.join(tmp, name);
  const args = ['sweep', '--net', 'mnist-mlp', '--samples', '10', '--eps', '0.02,0.05', '--backend', 'cpu', '--schedule', 'bisect'];
  let r = veribound(...args, ...sweepOutputs('cex-one'));
  assert.is(r.status, 0, r.stderr);
  for (const k of [1, 2]) {
    r = veribound(...args, '--shard', `${k}/2`, '--out', f(`cex-${k}.json`), ...(k === 1 ? ['--checkpoint', f('cex-1.jsonl')] : []));
    assert.is(r.status, 0, r.stderr);
  }
  r = veribound('merge', ...sweepOutputs('cex-merged'), f('cex-1.json'), f('cex-2.json'));
  assert.is(r.status, 0, r.stderr);
  assertSameSweep('cex-one', 'cex-merged');
  const one = JSON.parse(fs.readFileSync(f('cex-one.json'), 'utf8'));
  assert.ok(one.pairs.some((p: { counterexample?: number[] }) => p.counterexample), 'the sweep found counterexamples');
  // bisect: the work counts are equal too
  assert.equal(one.runs.map((x: { pairsBounded: number; rounds: number }) => [x.pairsBounded, x.rounds]), JSON.parse(fs.readFileSync(f('cex-merged.json'), 'utf8')).runs.map((x: { pairsBounded: number; rounds: number }) => [x.pairsBounded, x.rounds]));
  // a shard resumed from its checkpoint redoes nothing and merges into the same answers
  r = veribound(...args, '--shard', '1/2', '--resume', f('cex-1.jsonl'), '--out', f('cex-1r.json'));
  assert.is(r.status, 0, r.stderr);
  const resumed = JSON.parse(fs.readFileSync(f('cex-1r.json'), 'utf8')).result;
  assert.equal([resumed.runs[0].pairsBounded, resumed.attack.attacks], [0, 0]);
  r = veribound('merge', '--out', f('cex-resumed.json'), f('cex-1r.json'), f('cex-2.json'));
  assert.is(r.status, 0, r.stderr);
  const answers = (file: string) => {
    const d = JSON.parse(fs.readFileSync(f(file), 'utf8'));
    return [d.results.map((x: { verified: number; falsified: number }) => [x.verified, x.falsified]), d.perSample, d.pairs.map((p: { verdict: string; decidedBy: string; counterexample?: number[] }) => [p.verdict, p.decidedBy, p.counterexample])];
  };
  assert.equal(answers('cex-resumed.json'), answers('cex-one.json'));
  // a forged counterexample (a point far outside the ball) is caught by the merge's replay
  const shard = JSON.parse(fs.readFileSync(f('cex-1.json'), 'utf8'));
  const part = shard.result.inputs.find((x: { cex: unknown }) => x.cex);
  assert.ok(part, 'shard 1 has a counterexample');
  part.cex.x = part.cex.x.map(() => 0.5);
  fs.writeFileSync(f('cex-forged.json'), JSON.stringify(shard) + '\n');
  r = veribound('merge', '--out', f('cex-bad.json'), f('cex-forged.json'), f('cex-2.json'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /the shard files are inconsistent \(the counterexample of input \d+ at eps [\d.]+ does not replay on the network\)/);
  assert.not.ok(fs.existsSync(f('cex-bad.json')));
});

test('sweep --shard: the shard file only (--out required, other outputs refused); --block needs --queue; --queue takes no checkpoint', () => {
  const f = (name: string) => path.join(tmp, name);
  for (const [flags, msg] of [
    [['--shard', '1/2'], /--out SHARD\.json is required/],
    [['--shard', '1/2', '--out', f('x.json'), '--csv', f('x.csv')], /--csv goes to veribound merge/],
    [['--shard', '1/2', '--queue', 'redis://127.0.0.1:1'], /two ways to split a sweep/],
    [['--shard', '3/2', '--out', f('x.json')], /outside 1\.\.2/],
    [['--block', '4'], /needs --queue URL/],
    [['--queue', 'redis://127.0.0.1:1', '--resume', f('c.jsonl')], /--resume is for a sweep on one machine/],
  ] as const) {
    const r = veribound('sweep', '--samples', '3', ...flags);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
    assert.is(r.stderr.trim().split('\n').length, 1);
  }
});

const sharedTest = guard(test, sharedMissing());

sharedTest('run in 2 shards sharing --results-dir, merged: results.csv rows and result files equal one run (times aside)', () => {
  const csv = path.join(benchDir, 'sanity', 'test_instances.csv');
  const f = (name: string) => path.join(tmp, name);
  let r = veribound('run', '--instances', csv, '--backend', 'cpu', '--csv', f('one.csv'), '--results-dir', f('one'));
  assert.is(r.status, 0, r.stderr);
  for (const k of [1, 2]) {
    r = veribound('run', '--instances', csv, '--backend', 'cpu', '--shard', `${k}/2`, '--csv', f(`r${k}.csv`), '--results-dir', f('sharded'));
    assert.is(r.status, 0, r.stderr);
  }
  r = veribound('merge', '--csv', f('merged.csv'), f('r2.csv'), f('r1.csv'));
  assert.is(r.status, 0, r.stderr);
  const noTime = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','));
  const one = noTime(f('one.csv'));
  assert.equal(noTime(f('merged.csv')), one);
  assert.is(one.length, 6);
  // per-instance files are named after the instance, so the shards' shared folder holds one run's
  const results = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.result')).sort();
  assert.equal(results(f('sharded')), results(f('one')));
  assert.ok(results(f('one')).length >= 5);
  for (const name of results(f('one'))) assert.is(fs.readFileSync(f(`sharded/${name}`), 'utf8'), fs.readFileSync(f(`one/${name}`), 'utf8'), name);
  // an interrupted shard (a row missing) is refused
  fs.writeFileSync(f('r1cut.csv'), fs.readFileSync(f('r1.csv'), 'utf8').trim().split('\n').slice(0, -1).join('\n') + '\n');
  r = veribound('merge', '--csv', f('bad.csv'), f('r1cut.csv'), f('r2.csv'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /lacks 1 of its rows/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
