// `attack --indices … --queue` with its real parts: a redis-server of the test's own, real
// `veribound worker` processes and the CLI as submitter. Checked: the attack-image job's fields are
// validated; a 4-image table through 2 workers writes the local table's CSV and JSON (times and
// meta aside); a worker SIGKILLed while its image runs changes nothing (the job goes to the other
// worker after the stall check, each image written once); an interrupted submitter re-attaches
// when run again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { saveOnnx } from '../src/onnx/export.js';
import { validateJob } from '../src/queue/jobs.js';
import { stableAttackCsv, stableAttackJson } from '../src/attack/table.js';
import { cli, redisSuite, veriboundAsync } from './queue-helpers.js';
import { smallMnistNet } from './helpers/small-mnist-net.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-queue-attack-'));
const f = (name: string) => path.join(tmp, name);
const veribound = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const PASSWORD = 'pw-attack-Q3';

const netFile = f('small.onnx');
saveOnnx(smallMnistNet(3, 5), netFile);
const TABLE = ['attack', '--net', netFile, '--timeout', '60', '--tolerance', '1e-3', '--indices', '0:4'];
const outputs = (name: string) => ['--out', f(`${name}.json`), '--csv', f(`${name}.csv`)];
const read = (name: string) => fs.readFileSync(f(name), 'utf8');

function assertSameTable(a: string, b: string): void {
  assert.equal(stableAttackJson(JSON.parse(read(`${b}.json`))), stableAttackJson(JSON.parse(read(`${a}.json`))), `${b}.json vs ${a}.json`);
  assert.is(stableAttackCsv(read(`${b}.csv`)), stableAttackCsv(read(`${a}.csv`)));
}

const sha = 'd'.repeat(64);
const job = {
  kind: 'attack-image', net: { sha256: sha, ext: '.onnx', name: 'n' }, index: 3, label: 1, data: 'mnist-test', classNames: null,
  input: [0, 0.5, 1, 0.25], settings: { norm: 'linf', delta: 0.001, tolerance: 1e-4, timeoutS: 10 }, timeoutS: 71,
};

test('attack-image jobs: every field checked', () => {
  assert.is(validateJob('attack-image', job).kind, 'attack-image');
  assert.equal(validateJob('attack-image', { ...job, settings: { ...job.settings, radius: 0.1, maxChange: 0.2 } }).kind, 'attack-image');
  for (const [data, msg] of [
    [{ ...job, input: [0, 1.5] }, /input\[1\]/],
    [{ ...job, input: [] }, /input: expected a list/],
    [{ ...job, index: -1 }, /index/],
    [{ ...job, label: 0.5 }, /label: expected an integer/],
    [{ ...job, net: { ...job.net, ext: '.sh' } }, /net\.ext/],
    [{ ...job, settings: { ...job.settings, norm: 'l2' } }, /settings\.norm/],
    [{ ...job, settings: { ...job.settings, radius: 2 } }, /settings\.radius/],
    [{ ...job, settings: { ...job.settings, target: 3 } }, /settings: unknown field target/],
    [{ ...job, classNames: [1] }, /classNames\[0\]/],
    [{ ...job, netFile: '/etc/passwd' }, /unknown field netFile/],
  ] as const) {
    assert.throws(() => validateJob('attack-image', data), (e: Error) => /^refused job: /.test(e.message) && msg.test(e.message), JSON.stringify(data).slice(0, 80));
  }
  assert.throws(() => validateJob('verify', job), /not a veribound job kind|kind/);
});

const { rtest, redis, worker } = redisSuite(PASSWORD, tmp);
const imageLines = (out: string) => (out.match(/^\[\d+\/\d+\] image \d+:/gm) ?? []).map((l) => l.replace(/^\[\d+\/\d+\] /, '')).sort();

rtest('attack --indices --queue with 2 workers: the local table\'s CSV and JSON, rows in the list order', async () => {
  const local = veribound(...TABLE, ...outputs('local'));
  assert.is(local.status, 0, local.stderr);
  const [a, b] = [worker('a'), worker('b')];
  await Promise.all([a.waitFor(/taking jobs/), b.waitFor(/taking jobs/)]);
  const q = veribound(...TABLE, '--queue', redis().url, ...outputs('queue'));
  assert.is(q.status, 0, q.stderr);
  assertSameTable('local', 'queue');
  assert.equal(imageLines(q.stdout), ['image 0:', 'image 1:', 'image 2:', 'image 3:']);
  const doc = JSON.parse(read('queue.json'));
  assert.is(doc.queue.jobs, 4);
  assert.is(doc.queue.failed, 0);
  const count = (re: RegExp) => (a.out + b.out).match(re)?.length ?? 0;
  for (let t = 0; count(/finished attack-/g) < 4 && t < 100; t++) await new Promise((r) => setTimeout(r, 100));
  assert.is(count(/started attack-/g), 4);
  assert.not.match(q.stdout + q.stderr + a.out + b.out, PASSWORD);
});

rtest('a worker SIGKILLed mid-image: the image goes to the other worker, each written once, outputs unchanged', async () => {
  const [a, b] = [worker('k1', 1), worker('k2', 1)];
  await Promise.all([a.waitFor(/taking jobs/), b.waitFor(/taking jobs/)]);
  const sub = veriboundAsync([...TABLE, '--queue', redis().url, ...outputs('killed')]);
  const first = await Promise.race([a.waitFor(/started (\S+)/).then((m) => ({ w: a, other: b, id: m[1] })), b.waitFor(/started (\S+)/).then((m) => ({ w: b, other: a, id: m[1] }))]);
  first.w.child.kill('SIGKILL');
  assert.not.match(first.w.out, `finished ${first.id}`);
  await first.other.waitFor(new RegExp(`started ${first.id}\\b`), 60000);
  assert.is(await sub.exited, 0, sub.out);
  assertSameTable('local', 'killed');
  assert.equal(imageLines(sub.out), ['image 0:', 'image 1:', 'image 2:', 'image 3:']);
});

rtest('an interrupted submitter leaves its images queued; the same command again re-attaches and writes the local table', async () => {
  const args = [...TABLE, '--queue', redis().url, ...outputs('resumed')];
  const sub = veriboundAsync(args);
  await sub.waitFor(/attack: 4 job\(s\) on redis:\/\/:\*\*\*@/);
  sub.child.kill('SIGINT');
  assert.is(await sub.exited, 130, sub.out);
  assert.match(sub.out, /run the same command again/);
  assert.is(JSON.parse(read('resumed.json')).partial, true);
  const w = worker('r');
  await w.waitFor(/taking jobs/);
  const again = veribound(...args);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, /re-attached to 4 of 4 job\(s\)/);
  assertSameTable('local', 'resumed');
});

test.run();
