// `sweep --queue` with its real parts: a redis-server of the test's own, real `veribound worker`
// processes and the CLI as submitter. Checked: a small sweep through 2 workers writes the local
// sweep's JSON, CSV, per-pair CSV and plot (everything but the fields sweep/compare.ts names,
// byte for byte); a worker SIGKILLed while its block runs changes nothing (the block goes to the
// other worker after the stall check and is written once); an interrupted submitter re-attaches
// when run again; a block on bad input fails once, without retries, naming the problem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { validateJob } from '../src/queue/jobs.js';
import { stablePairsCsv, stableSweepCsv, stableSweepJson } from '../src/sweep/compare.js';
import { cli, redisSuite, veriboundAsync } from './queue-helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-queue-sweep-'));
const f = (name: string) => path.join(tmp, name);
const veribound = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const PASSWORD = 'pw-sweep-Q7';
// 16 MNIST images (one misclassified by mnist-mlp? the attack finds counterexamples in some), 3 eps
const SWEEP = ['sweep', '--net', 'mnist-mlp', '--samples', '16', '--eps', '0.01,0.025,0.04', '--backend', 'cpu'];
const outputs = (name: string) => ['--out', f(`${name}.json`), '--csv', f(`${name}.csv`), '--pairs', f(`${name}-p.csv`), '--plot', f(`${name}.svg`)];

/** The outputs of two sweeps are the same apart from the fields sweep/compare.ts lists. */
function assertSameSweep(a: string, b: string): void {
  const json = (n: string) => JSON.parse(fs.readFileSync(f(`${n}.json`), 'utf8'));
  const ja = json(a), jb = json(b);
  assert.is(JSON.stringify(stableSweepJson(jb)), JSON.stringify(stableSweepJson(ja)), `${b}.json vs ${a}.json`);
  assert.is(stableSweepCsv(fs.readFileSync(f(`${b}.csv`), 'utf8'), ja.schedule), stableSweepCsv(fs.readFileSync(f(`${a}.csv`), 'utf8'), ja.schedule));
  assert.is(stablePairsCsv(fs.readFileSync(f(`${b}-p.csv`), 'utf8')), stablePairsCsv(fs.readFileSync(f(`${a}-p.csv`), 'utf8')));
  assert.is(fs.readFileSync(f(`${b}.svg`), 'utf8'), fs.readFileSync(f(`${a}.svg`), 'utf8'));
}

const sha = 'c'.repeat(64);
const settings = { eps: [0.01, 0.02], methods: ['crown'], schedule: 'bisect', batch: 64, attack: true, complete: false, timeoutS: 10, seed: 1 };
const block = { kind: 'sweep-block', net: { sha256: sha, ext: '.onnx', name: 'n' }, inputs: [0, 0.5, 1, 0.25], labels: [1, 0], ids: [3, 7], settings, backend: 'cpu', timeoutS: 100 };

test('sweep-block jobs: every field checked', () => {
  assert.is(validateJob('sweep-block', block).kind, 'sweep-block');
  for (const [data, msg] of [
    [{ ...block, inputs: [0, 0.5, 1.5, 0.25] }, /inputs\[2\]/],
    [{ ...block, inputs: [0, 0.5, 1] }, /inputs: expected labels\.length/],
    [{ ...block, labels: [1, -1] }, /labels\[1\]/],
    [{ ...block, ids: [3] }, /ids: expected a list of 2/],
    [{ ...block, net: { ...block.net, sha256: '../x' } }, /net\.sha256/],
    [{ ...block, settings: { ...settings, eps: [0.02, 0.01] } }, /ascending/],
    [{ ...block, settings: { ...settings, methods: ['rm -rf'] } }, /settings\.methods/],
    [{ ...block, settings: { ...settings, schedule: 'fast' } }, /settings\.schedule/],
    [{ ...block, settings: { ...settings, attack: 'yes' } }, /settings\.attack/],
    [{ ...block, settings: { ...settings, script: 'x' } }, /settings: unknown field script/],
    [{ ...block, file: '/etc/passwd' }, /unknown field file/],
  ] as const) {
    assert.throws(() => validateJob('sweep-block', data), (e: Error) => /^refused job: /.test(e.message) && msg.test(e.message), JSON.stringify(data).slice(0, 80));
  }
});

const { rtest, redis, worker, stopWorkers } = redisSuite(PASSWORD, tmp);
const blockLines = (out: string) => (out.match(/^\[\d+\/\d+\] block \d+:/gm) ?? []).map((l) => l.replace(/^\[\d+\/\d+\] /, '')).sort();

rtest('sweep --queue with 2 workers: the local sweep\'s JSON, CSV, per-pair CSV and plot', async () => {
  const local = veribound(...SWEEP, ...outputs('local'));
  assert.is(local.status, 0, local.stderr);
  const [a, b] = [worker('a'), worker('b')];
  await Promise.all([a.waitFor(/taking jobs/), b.waitFor(/taking jobs/)]);
  const q = veribound(...SWEEP, '--queue', redis().url, '--block', '4', ...outputs('queue'));
  assert.is(q.status, 0, q.stderr);
  assertSameSweep('local', 'queue');
  // the table on stdout is the local one (times and engine calls aside)
  const table = (s: string) => s.split('\n').filter((l) => /^crown /.test(l)).map((l) => l.replace(/\s+\S+$/, '').replace(/\s+\d+$/, ''));
  assert.equal(table(q.stdout), table(local.stdout));
  assert.ok(table(local.stdout).length === 3);
  const doc = JSON.parse(fs.readFileSync(f('queue.json'), 'utf8'));
  assert.is(doc.queue.jobs, blockLines(q.stdout).length);
  assert.ok(doc.queue.waitS.max >= doc.queue.waitS.min);
  assert.match(q.stdout, /queue: \d+ job\(s\) of up to 4 input\(s\); enqueued → taken median/);
  // every block was taken once, by one of the two workers (their output is read once this process's event loop runs again)
  const count = (re: RegExp) => (a.out + b.out).match(re)?.length ?? 0;
  for (let t = 0; count(/finished sweep-/g) < doc.queue.jobs && t < 100; t++) await new Promise((r) => setTimeout(r, 100));
  assert.is(count(/started sweep-/g), doc.queue.jobs);
  assert.not.match(q.stdout + q.stderr + a.out + b.out, PASSWORD);
});

rtest('a worker SIGKILLed mid-block: the block goes to the other worker, every block written once, outputs unchanged', async () => {
  const [a, b] = [worker('k1', 1), worker('k2', 1)];
  await Promise.all([a.waitFor(/taking jobs/), b.waitFor(/taking jobs/)]);
  const sub = veriboundAsync([...SWEEP, '--queue', redis().url, '--block', '4', ...outputs('killed')]);
  const first = await Promise.race([a.waitFor(/started (\S+)/).then((m) => ({ w: a, other: b, id: m[1] })), b.waitFor(/started (\S+)/).then((m) => ({ w: b, other: a, id: m[1] }))]);
  first.w.child.kill('SIGKILL');
  assert.not.match(first.w.out, `finished ${first.id}`);
  await first.other.waitFor(new RegExp(`started ${first.id}\\b`), 60000);
  assert.is(await sub.exited, 0, sub.out);
  assertSameSweep('local', 'killed');
  const lines = blockLines(sub.out);
  assert.equal(lines, [...new Set(lines)], 'a block written twice');
  assert.is(lines.length, JSON.parse(fs.readFileSync(f('killed.json'), 'utf8')).queue.jobs);
  await stopWorkers();
});

rtest('an interrupted submitter leaves its blocks queued; the same command again re-attaches and writes the local outputs', async () => {
  const args = [...SWEEP, '--queue', redis().url, '--block', '8', ...outputs('resumed')];
  const sub = veriboundAsync(args);
  await sub.waitFor(/sweep: \d+ job\(s\) on redis:\/\/:\*\*\*@/);
  sub.child.kill('SIGINT');
  assert.is(await sub.exited, 130, sub.out);
  assert.match(sub.out, /stay in the queue: run the same command again/);
  assert.not.ok(fs.existsSync(f('resumed.json')));
  const w = worker('r');
  await w.waitFor(/taking jobs/);
  const again = veribound(...args);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, /re-attached to \d+ of \d+ job\(s\)/);
  assertSameSweep('local', 'resumed');
  await stopWorkers();
});

rtest('a block on bad input (a label the network has no class for) fails once, not retried, naming the label', async () => {
  const w = worker('bad');
  await w.waitFor(/taking jobs/);
  const queue = new Queue('veribound', { connection: { host: '127.0.0.1', port: redis().port, password: PASSWORD }, prefix: 'veribound' });
  try {
    const bytes = fs.readFileSync(path.resolve('models', 'mnist-mlp.onnx'));
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const client = new Redis({ host: '127.0.0.1', port: redis().port, password: PASSWORD });
    await client.set(`veribound:blob:${sha256}`, bytes);
    client.disconnect();
    const job = await queue.add('sweep-block', { ...block, net: { sha256, ext: '.onnx', name: 'mnist-mlp' }, inputs: new Array(784).fill(0.5), labels: [12], ids: [0] }, { attempts: 3 });
    for (let t = 0; (await job.getState()) !== 'failed'; t++) {
      assert.ok(t < 600, 'the job never failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    const done = await queue.getJob(job.id!);
    assert.match(done!.failedReason, /label 12 of input 0 is out of range \(mnist-mlp has 10 classes\)/);
    assert.is(done!.attemptsMade, 1, 'not retried');
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await stopWorkers();
  }
});

test.run();
