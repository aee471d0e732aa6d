// `attack --indices … --queue URL`: one `attack-image` job per image, carrying the image's values,
// label and index, the search's settings and the network's sha256 (its bytes travel once,
// blobs.ts). Workers run attack/one-image.ts on it (attack-child.ts) and send back the image's row;
// each row is replayed here on the submitter's own network and image (attack/table.ts's replayRow:
// a forged or corrupted example is refused), and the table is written by the local table's writer
// in the list's order: the same --csv, --out/--json and summary as a local run (times aside), plus
// `queue` (jobs, failed, and median/min/max of waitS, collectS, workS) in the JSON document.
// The same command again re-attaches to its jobs (they are named by their content). A job that fails
// (bad input, past its time limit) becomes that image's row with status `error: …`, exit code 1.
// Ctrl-C writes the rows collected so far, marked partial, and exits 130; the jobs stay queued.
import { resolveNetworkPath } from '../models.js';
import { imageAt } from '../data/dataset.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { createProgress } from '../progress.js';
import { onInterrupt } from '../interrupt.js';
import type { AttackRow } from '../attack/one-image.js';
import { replayRow, rowLine, writeAttackTable } from '../attack/table.js';
import type { TableRun } from '../attack/run-table.js';
import { readBlob } from './blobs.js';
import type { AttackImageJob } from './jobs.js';
import type { AttackImageJobResult } from './worker.js';
import { describeSeconds, secondsStats, submitJobs, type Timing } from './submit.js';

/** A job's time limit on the worker: the solver's limit plus 10% and a minute for loading and bounds. */
export const attackJobTimeoutS = (solverS: number): number => 1.1 * solverS + 60;

export async function submitAttack(o: TableRun & { queue: string }): Promise<number> {
  const say = (line: string) => (o.files.json ? process.stderr : process.stdout).write(line);
  const net = readBlob(resolveNetworkPath(o.netArg), '.onnx', o.net.name);
  const images = o.indices.map((index) => imageAt(o.ds, index));
  const jobs: AttackImageJob[] = o.indices.map((index, j) => ({
    kind: 'attack-image', net: net.ref, index, label: o.ds.labels[index], data: o.ds.name, classNames: o.ds.classNames ?? null,
    input: Array.from(images[j]), settings: o.settings, timeoutS: attackJobTimeoutS(o.settings.timeoutS),
  }));
  const rows: (AttackRow | undefined)[] = new Array(o.indices.length);
  const failures: string[] = [];
  const timings: Timing[] = [];
  const t0 = performance.now();
  const table = (partial: boolean, queue?: unknown) => ({
    net: o.net.name, data: o.ds.name, settings: o.settings, indices: o.indices, rows: rows.filter((r): r is AttackRow => r !== undefined),
    partial, seconds: (performance.now() - t0) / 1000, queue,
  });
  const forget = onInterrupt(() => {
    writeAttackTable(table(true), o.files);
    process.stderr.write('veribound: attack --queue: the images not collected stay in the queue: run the same command again to collect them\n');
  });
  const bar = createProgress(jobs.length, `attack ${o.net.name} (queue)`);
  let done = 0;
  const errorRow = (j: number, reason: string): AttackRow => {
    const index = o.indices[j];
    return {
      net: o.net.name, data: o.ds.name, index, label: o.ds.labels[index], originalClass: predictedClass(forward(o.net, images[j], 1)), newClass: null,
      classNames: o.ds.classNames ?? null, norm: o.settings.norm, maxChange: o.settings.maxChange ?? null, radius: o.settings.radius ?? null,
      delta: o.settings.delta, target: null, status: `error: ${reason.slice(0, 300)}`, distance: null, lowerBound: 0, margins: null, adversarial: null,
      solver: { status: 'error', timeS: 0, binaries: 0, solves: [] }, transfer: null, png: null, messages: [],
    };
  };
  let code: number;
  try {
    code = await submitJobs<AttackImageJobResult>({
      queue: o.queue, resume: 'auto', what: 'attack', jobs, blobs: new Map([[net.ref.sha256, net.bytes]]), say,
      onResult(j, r, timing) {
        const index = o.indices[j];
        try {
          replayRow(o.net, images[j], index, o.ds.labels[index], r.row);
          rows[j] = r.row;
        } catch (err) {
          failures.push(`image ${index}: a worker sent back a row that does not replay (${(err as Error).message})`);
          rows[j] = errorRow(j, `a worker's row was refused: ${(err as Error).message}`);
        }
        timings.push(timing);
        bar.tick();
        say(`${rowLine(++done, jobs.length, rows[j]!).replace(/\n$/, '')} [${r.worker}]\n`);
      },
      onFailed(j, reason) {
        failures.push(`image ${o.indices[j]}: ${reason.slice(0, 300)}`);
        rows[j] = errorRow(j, reason);
        bar.tick();
        say(`[${++done}/${jobs.length}] image ${o.indices[j]}: FAILED: ${reason.slice(0, 300)}\n`);
      },
    });
  } finally {
    bar.stop();
  }
  if (code !== 0) {
    forget();
    writeAttackTable(table(true), o.files);
    return code;
  }
  forget();
  const queue = {
    jobs: jobs.length, failed: failures.length,
    waitS: secondsStats(timings.map((t) => t.waitS)), collectS: secondsStats(timings.map((t) => t.collectS)), workS: secondsStats(timings.map((t) => t.workS)),
  };
  writeAttackTable(table(false, queue), o.files);
  say(`queue: ${jobs.length} job(s); enqueued → taken ${describeSeconds(timings.map((t) => t.waitS))}; finished → collected ${describeSeconds(timings.map((t) => t.collectS))}\n`);
  if (failures.length) {
    process.stderr.write(`veribound: attack --queue: ${failures.length} of ${jobs.length} image(s) failed (status 'error: …' in their rows); first: ${failures[0]}\n`);
    return 1;
  }
  return 0;
}
