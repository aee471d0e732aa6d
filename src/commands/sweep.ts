// `veribound sweep`: robust accuracy over a range of epsilons — veribound's main job. Inputs
// the network misclassifies are never bounded; a short seeded PGD looks for counterexamples
// first (sweep/falsify.ts: no bound can verify a falsified pair, so the bounds skip those), then
// each input's remaining epsilons are bisected by the bounds (verification is monotone in
// epsilon), one batched engine call per round over all inputs. With --complete the pairs still
// open go through verify's cascade (sweep/complete.ts). Facts go to a checkpoint as they are
// established (sweep/checkpoint.ts; --resume continues one); SIGINT/SIGTERM stop at the next
// batch or pair and write what is decided so far, marked partial, and exit 130.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { parseBackend, selectEngine } from '../engine.js';
import { createProgress } from '../progress.js';
import { pictureFormat, writePicture } from '../report/plot-file.js';
import { sweepPlotSvg } from '../report/sweep-plot.js';
import { writeHtmlReport } from '../report/html.js';
import { sweepHtmlReport } from '../report/sweep-html.js';
import { inputSize } from '../network.js';
import { parseCount, parseEpsList } from '../sweep/eps.js';
import { predict } from '../sweep/classify.js';
import type { Schedule, SweepProblem } from '../sweep/scheduler.js';
import { SCHEDULES, bisectRounds, runSweep } from '../sweep/scheduler.js';
import type { RunInfo, SweepReport } from '../sweep/report.js';
import { buildRows, formatTable, pairRecords, pairsCsv, perSample, toCsv, toJson } from '../sweep/report.js';
import { checkWritable, writeFileAtomic } from '../outputs.js';
import { joinNegativeValues, loadTarget, parseMethods } from '../sweep/setup.js';
import { PairTable } from '../sweep/pairs.js';
import { falsifyByAttack } from '../sweep/falsify.js';
import { completePairs } from '../sweep/complete.js';
import type { Fact } from '../sweep/checkpoint.js';
import { CheckpointWriter, networkHash, readCheckpoint } from '../sweep/checkpoint.js';
import { applyFacts } from '../sweep/resume.js';
import { watchInterrupts } from '../sweep/interrupt.js';
import { jsonDoc, printJson } from '../json-doc.js';

export const summary = 'robust accuracy over a range of epsilons (table, JSON, CSV, SVG plot)';

export const usage = `
usage: veribound sweep [options]

  --net PATH|NAME     ONNX file or bundled network (default mnist-mlp)
  --samples N         the first N test images of --data (default 1000)
  --data SPEC         mnist, mnist:AvB or folder:PATH (images resized to the network's input);
                      default mnist, or mnist:AvB for a one-output network named like *AvB*
  --inputs FILE.json  {"inputs": [[...], ...], "labels": [...]} instead of --samples
  --eps LIST          start:stop:count (default 0.01:0.1:10) or a comma list (0.01,0.02,0.05)
  --method M          crown (default), ibp, or a comma list (ibp,crown: one curve each)
  --backend B         auto (default: a hardware GPU, else the CPU), gpu or cpu
  --threads N         CPU engine threads (default: every core)
  --schedule S        how each input's epsilons are searched (verified at eps => verified below):
                      adaptive (default: bisect a pilot of inputs, then the plan of least expected
                      engine time for the boundaries and costs it measured), bisect, or all
                      (bound every (input, eps) pair; for checking)
  --batch N           boxes per engine call (default 4096)
  --no-attack         skip the PGD attack (falsified then counts only what --complete finds)
  --complete          decide the pairs the bounds and the attack leave open with verify's cascade
                      (alpha-CROWN, ReLU branch and bound, MILP); --milp is an alias
  --timeout S         --complete: seconds per (input, eps) pair (default 10; alias --milp-timeout)
  --checkpoint FILE   append every decided fact to FILE as it is established (JSON lines)
  --resume FILE       continue from a checkpoint (more samples, other eps, a larger --timeout);
                      new facts are appended to it unless --checkpoint names another file
  --out FILE.json     results: per epsilon, per input, and one record per (input, eps) pair
  --csv FILE          one row per (method, eps)
  --pairs FILE.csv    one row per (input, eps): verdict, decidedBy, timeS, reason, counterexample
  --plot FILE.svg     robust accuracy vs epsilon, one line per method, the undecided band shaded
                      (.png: rasterised, for slides)
  --html FILE.html    one self-contained report page: network, curve, table, example images
  --shard K/N         only the K-th of N round-robin parts of the inputs (not available yet
                      with the new sweep; see docs/scale-out.md)
  --queue URL         send blocks of inputs to 'veribound worker's on Redis (not available yet
                      with the new sweep)
  --block N           with --queue: inputs per job (default 8)
  --json              the --out JSON document on stdout instead of the table (camelCase keys,
                      with "meta": {"version", "commandLine", "seed", "engine"})

Robust accuracy is an interval [verified, 1 - falsified - misclassified]: falsified pairs have a
counterexample that replays on the float64 network. Ctrl-C writes what is decided so far (marked
"partial") to the output files and the checkpoint and exits with code 130.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      net: { type: 'string', default: 'mnist-mlp' },
      samples: { type: 'string' },
      data: { type: 'string' },
      inputs: { type: 'string' },
      eps: { type: 'string', default: '0.01:0.1:10' },
      method: { type: 'string', default: 'crown' },
      backend: { type: 'string', default: 'auto' },
      threads: { type: 'string' },
      schedule: { type: 'string', default: 'adaptive' },
      batch: { type: 'string', default: '4096' },
      'no-attack': { type: 'boolean', default: false },
      complete: { type: 'boolean', default: false },
      milp: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      'milp-timeout': { type: 'string' },
      checkpoint: { type: 'string' },
      resume: { type: 'string' },
      out: { type: 'string' },
      csv: { type: 'string' },
      pairs: { type: 'string' },
      plot: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'boolean', default: false },
      shard: { type: 'string' },
      queue: { type: 'string' },
      block: { type: 'string', default: '8' },
    },
    allowPositionals: false,
  });
  const eps = parseEpsList(values.eps!);
  const methods = parseMethods(values.method!);
  const backend = parseBackend(values.backend);
  const schedule = values.schedule as Schedule;
  if (!SCHEDULES.includes(schedule)) throw new UserError(`--schedule '${values.schedule}': expected ${SCHEDULES.join(' or ')}`);
  const batch = parseCount(values.batch!, '--batch');
  const threads = values.threads === undefined ? undefined : parseCount(values.threads, '--threads');
  if (values.inputs !== undefined && (values.samples !== undefined || values.data !== undefined)) throw new UserError('sweep: --inputs replaces --samples and --data; give one or the other');
  const samples = parseCount(values.samples ?? '1000', '--samples');
  const complete = values.complete || values.milp;
  if (values.timeout !== undefined && values['milp-timeout'] !== undefined) throw new UserError('sweep: --milp-timeout is an alias of --timeout; give one');
  const timeoutText = values.timeout ?? values['milp-timeout'];
  if (timeoutText !== undefined && !complete) throw new UserError(`sweep: ${values.timeout !== undefined ? '--timeout' : '--milp-timeout'} applies to --complete; add --complete`);
  const timeoutS = parseSeconds(timeoutText ?? '10', values.timeout !== undefined ? '--timeout' : '--milp-timeout');
  if (values.plot !== undefined) pictureFormat(values.plot, '--plot');
  for (const flag of ['out', 'csv', 'pairs', 'plot', 'html', 'checkpoint'] as const) if (values[flag] !== undefined) checkWritable(values[flag]!, `--${flag}`);
  if (values.shard !== undefined || values.queue !== undefined) {
    throw new UserError(`sweep: ${values.shard !== undefined ? '--shard' : '--queue'} is not available yet with the new sweep (attacks, --complete, checkpoints); run the sweep on one machine`);
  }

  const t0 = performance.now();
  const { net, data } = await loadTarget({ net: values.net!, data: values.data, samples, inputsFile: values.inputs });
  const n = inputSize(net);
  const { predicted } = predict(net, data.inputs, data.count);
  const candidates: number[] = [];
  const table = new PairTable(data.count, eps);
  for (let i = 0; i < data.count; i++) {
    if (predicted[i] === data.labels[i]) candidates.push(i);
    else table.misclassified(i, Float64Array.from(data.inputs.subarray(i * n, (i + 1) * n)));
  }
  const problem: SweepProblem = { net, inputs: data.inputs, labels: data.labels, count: data.count, eps, candidates };
  const header = { net: net.name, netHash: networkHash(net), data: data.source };
  const resumed = values.resume !== undefined ? applyFacts(readCheckpoint(values.resume, header), table, data.indices, methods, timeoutS) : undefined;
  const ckFile = values.checkpoint ?? values.resume;
  const checkpoint = ckFile !== undefined ? new CheckpointWriter(ckFile, header) : undefined;
  const save = (facts: Fact[]) => checkpoint?.write(facts);
  const cexFact = (i: number): Fact[] => {
    const c = table.cex.get(i);
    return c && c.by !== 'misclassified' ? [{ t: 'cex', index: data.indices[i], eps: eps[c.k], by: c.by, timeS: table.timeS[i * eps.length + c.k], x: Array.from(c.x) }] : [];
  };

  const interrupts = watchInterrupts();
  const stop = () => interrupts.stopped;
  const engine = await selectEngine(backend, { threads });
  const engineName = engine.describe();
  const runs: RunInfo[] = [];
  let attack = { attacks: 0, seconds: 0 };
  let completeStats: { calls: number; seconds: number } | undefined;
  try {
    // 1. attacks: the smallest eps with a replayed counterexample, per input
    if (!values['no-attack']) {
      const todo = candidates.filter((i) => !resumed?.attacked.has(i));
      const progress = createProgress(todo.length, `sweep attack ${net.name}`);
      try {
        const hi = Int32Array.from({ length: data.count }, (_, i) => table.firstFalsified(i));
        const f = await falsifyByAttack(problem, { inputs: todo, hi, onRound: (k) => progress.tick(k), shouldStop: stop });
        for (const i of todo) if (f.cex[i]) table.falsified(i, f.hi[i], f.cex[i]!, 'attack', f.timeS[i]);
        if (!f.interrupted) save(todo.flatMap((i) => [...cexFact(i), { t: 'attacked', index: data.indices[i], eps: [...eps] } as Fact]));
        else save(todo.flatMap(cexFact));
        attack = { attacks: f.attacks, seconds: f.seconds };
      } finally {
        progress.stop();
      }
    }
    // 2. the bounds, per method, below each input's first falsified eps
    const perMethod = candidates.length * (schedule === 'all' ? eps.length : bisectRounds(eps.length));
    const progress = createProgress(perMethod * methods.length, `sweep ${net.name}`);
    let done = 0;
    try {
      for (const [m, method] of methods.entries()) {
        if (stop()) break;
        const start = performance.now();
        const hi = Int32Array.from({ length: data.count }, (_, i) => Math.min(table.firstFalsified(i), resumed?.hi.get(method)![i] ?? eps.length));
        const run = await runSweep(engine, problem, {
          method, schedule, batch, lo: resumed?.lo.get(method), hi, shouldStop: stop,
          onBounded: (k) => progress.tick(k),
          onEstimate: (pairs) => progress.setTotal(done + pairs + perMethod * (methods.length - m - 1)),
        });
        done += run.pairsBounded;
        runs.push({ run, seconds: (performance.now() - start) / 1000 });
        save(candidates.filter((i) => run.lo[i] > 0 || run.hi[i] < eps.length).map((i) => ({
          t: 'bounds', method, index: data.indices[i], verifiedEps: run.lo[i] > 0 ? eps[run.lo[i] - 1] : null, notVerifiedEps: run.hi[i] < eps.length ? eps[run.hi[i]] : null,
        })));
      }
    } finally {
      progress.stop();
    }
    // 3. --complete: the cascade on what is still open
    if (complete && !stop()) {
      const E = eps.length;
      const lo = Int32Array.from({ length: data.count }, (_, i) => Math.max(0, ...runs.map(({ run }) => run.lo[i])));
      const open = candidates.filter((i) => Math.max(lo[i], table.verifiedPrefix(i)) < table.firstFalsified(i));
      const progress = createProgress(open.length, `sweep --complete ${net.name}`);
      try {
        const saved = new Set<string>();
        completeStats = await completePairs(problem, table, {
          timeoutS, engine, inputs: open, lo, shouldStop: stop,
          skip: (p) => resumed?.gaveUp.has(p) ?? false,
          onDecided: (i) => {
            // the input's facts from the cascade not yet in the checkpoint
            const facts: Fact[] = [];
            for (let k = 0; k < E; k++) {
              const p = i * E + k;
              if (table.timeS[p] === 0 || saved.has(`${p}:${table.status[p]}`)) continue;
              if (table.status[p] === 1) facts.push({ t: 'verified', index: data.indices[i], eps: eps[k], by: table.by[p], timeS: table.timeS[p] });
              else if (table.status[p] === 0 && table.reason[p]) facts.push({ t: 'open', index: data.indices[i], eps: eps[k], reason: table.reason[p]!, timeS: table.timeS[p], timeoutS });
              else if (table.status[p] === 2 && table.cex.get(i)?.k === k) facts.push(...cexFact(i));
              else continue;
              saved.add(`${p}:${table.status[p]}`);
            }
            save(facts);
          },
        });
        progress.tick(open.length);
      } finally {
        progress.stop();
      }
    }
  } finally {
    await engine.dispose();
    checkpoint?.close();
    interrupts.dispose();
  }
  const partial = interrupts.stopped || runs.length < methods.length || runs.some(({ run }) => run.interrupted);
  // an interrupted method still gets rows: what it proved so far
  for (const method of methods.slice(runs.length)) {
    runs.push({ run: { method, schedule, verified: new Uint8Array(data.count * eps.length), pairsBounded: 0, pairsTotal: data.count * eps.length, engineCalls: 0, rounds: 0, secondsPerEps: new Float64Array(eps.length), boxesPerEps: new Int32Array(eps.length), lo: new Int32Array(data.count), hi: new Int32Array(data.count), interrupted: true }, seconds: 0 });
  }

  // a bound proof of a pair with a replayed counterexample would be a soundness bug: counted, the counterexample wins
  for (const { run } of runs) for (let p = 0; p < table.status.length; p++) if (run.verified[p] && table.status[p] === 2) { table.conflicts++; run.verified[p] = 0; }
  const correct = candidates.length;
  const report: SweepReport = {
    net: net.name,
    data: data.source,
    samples: data.count,
    backend: engine.backend,
    engine: engineName,
    schedule,
    eps,
    methods,
    correct,
    rows: buildRows(eps, data.count, correct, runs, table, complete),
    runs: runs.map(({ run, seconds }) => ({
      method: run.method, pairsBounded: run.pairsBounded, pairsTotal: run.pairsTotal, engineCalls: run.engineCalls,
      rounds: run.rounds, seconds, nonMonotone: run.nonMonotone, pilotInputs: run.pilotInputs, expectedProbes: run.expectedProbes,
    })),
    perSample: perSample(eps, data.indices, data.labels, predicted, runs, table, complete),
    seconds: (performance.now() - t0) / 1000,
    attack,
    ...(complete ? { complete: { timeoutS, calls: completeStats?.calls ?? 0, seconds: completeStats?.seconds ?? 0, openReasons: openReasons(table, runs) } } : {}),
    conflicts: table.conflicts,
    partial,
  };
  const written: string[] = [];
  const pairs = values.out !== undefined || values.pairs !== undefined || values.json ? pairRecords(eps, data.indices, runs, table) : [];
  const doc = jsonDoc(toJson(report, pairs), { engine: engineName });
  if (values.json) printJson(doc);
  else process.stdout.write(formatTable(report) + '\n');
  if (values.out !== undefined) { writeFileAtomic(values.out, JSON.stringify(doc) + '\n', '--out'); written.push(values.out); }
  if (values.csv !== undefined) { writeFileAtomic(values.csv, toCsv(report), '--csv'); written.push(values.csv); }
  if (values.pairs !== undefined) { writeFileAtomic(values.pairs, pairsCsv(pairs, partial), '--pairs'); written.push(values.pairs); }
  if (values.plot !== undefined) {
    writePicture(values.plot, sweepPlotSvg(report, `${net.name}: ${data.count} inputs of ${data.source}${partial ? ' (partial)' : ''}`), '--plot');
    written.push(values.plot);
  }
  if (values.html !== undefined && !partial) { writeHtmlReport(values.html, sweepHtmlReport(report, net, { inputs: data.inputs })); written.push(values.html); }
  if (partial) {
    const decided = report.rows.filter((r) => r.method === methods[0]).reduce((s, r) => s + r.samples - r.undecided, 0);
    process.stderr.write(`veribound: interrupted: ${decided} of ${data.count * eps.length} pairs decided; partial results in ${written.length ? written.join(', ') : 'the table above (no output files given)'}` +
      (ckFile ? `; continue with --resume ${ckFile}` : '') + '\n');
    return 130;
  }
  return 0;
}

/** Why the pairs still open after --complete are open (pairs never tried: 'not tried'). */
function openReasons(table: PairTable, runs: RunInfo[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let p = 0; p < table.status.length; p++) {
    if (table.status[p] !== 0 || runs.some(({ run }) => run.verified[p])) continue;
    const r = (table.reason[p] ?? 'not tried').split(':')[0];
    out[r] = (out[r] ?? 0) + 1;
  }
  return out;
}

function parseSeconds(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UserError(`${flag} '${text}': expected a positive number of seconds`);
  return v;
}
