// --shard K/N and `veribound merge`: the partition (auto K from Slurm / Kubernetes), and a sharded
// run of a VNN-COMP instance set (../shared's sanity set) merged equal to one run of the whole set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseShard, shardItems } from '../src/shard/shard.js';
import { UserError } from '../src/errors.js';
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

// the sweep over shards (and over the queue) is not yet ported to the new sweep (attacks,
// --complete, checkpoints): until it is, asking for it is one clear line and exit 2
test('sweep --shard, sweep --queue and merging a sweep JSON: one line "not available yet", exit 2', () => {
  const f = (name: string) => path.join(tmp, name);
  for (const flags of [['--shard', '1/2'], ['--queue', 'redis://127.0.0.1:1']]) {
    const r = veribound('sweep', '--net', 'nonexistent.onnx', '--samples', '3', ...flags, '--out', f('s.json'));
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /not available yet/);
    assert.is(r.stderr.trim().split('\n').length, 1);
  }
  fs.writeFileSync(f('sweep-shard.json'), '{"kind": "veribound-sweep-shard"}\n');
  const r = veribound('merge', '--csv', f('m.csv'), f('sweep-shard.json'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /not a run shard file \(merging sweep shards is not available yet\)/);
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
