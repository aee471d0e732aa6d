// `veribound sweep`: robust accuracy over a range of epsilons — veribound's main job. Inputs
// the network misclassifies are never bounded; a short seeded PGD looks for counterexamples
// first (sweep/falsify.ts: no bound can verify a falsified pair, so the bounds skip those), then
// each input's remaining epsilons are bisected by the bounds (verification is monotone in
// epsilon), one batched engine call per round over all inputs. With --complete the pairs still
// open go through verify's cascade (sweep/complete.ts). Facts go to a checkpoint as they are
// established (sweep/checkpoint.ts; --resume continues one); SIGINT/SIGTERM stop at the next
// batch or pair and write what is decided so far, marked partial, and exit 130. The work on the
// inputs is sweepBlock (sweep/block.ts) and the outputs come from one writer (sweep/output.ts),
// which --shard K/N (its part, into a shard file for `veribound merge`: shard/sweep-shard.ts) and
// --queue URL (blocks for `veribound worker`s: queue/submit-sweep.ts) share.
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { UserError } from '../errors.js';
import { parseBackend, selectEngine } from '../engine.js';
import { parseCount, parseEpsList } from '../sweep/eps.js';
import { startTable } from '../sweep/classify.js';
import type { Schedule, SweepProblem } from '../sweep/scheduler.js';
import { SCHEDULES } from '../sweep/scheduler.js';
import { checkWritable } from '../outputs.js';
import { joinNegativeValues, loadTarget, parseMethods } from '../sweep/setup.js';
import { CheckpointWriter, networkHash, readCheckpoint } from '../sweep/checkpoint.js';
import { applyFacts } from '../sweep/resume.js';
import { watchInterrupts } from '../sweep/interrupt.js';
import { sweepBlock, type BlockOutcome, type BlockSettings } from '../sweep/block.js';
import { checkPlotPath, writeSweepOutputs } from '../sweep/output.js';
import { blockResult } from '../sweep/block-result.js';
import { parseShard } from '../shard/shard.js';
import { shardPositions, writeSweepShard } from '../shard/sweep-shard.js';

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
  --threads N         CPU engine threads, and --complete's cascade workers (default: every core)
  --schedule S        how each input's epsilons are searched (verified at eps => verified below):
                      adaptive (default: bisect a pilot of inputs, then the plan of least expected
                      engine time for the boundaries and costs it measured), bisect, or all
                      (bound every (input, eps) pair; for checking)
  --batch N           boxes per engine call (default 4096)
  --no-attack         skip the PGD attack (falsified then counts only what --complete finds)
  --complete          decide the pairs the bounds and the attack leave open with verify's cascade
                      (alpha-CROWN, ReLU branch and bound, MILP); --milp is an alias
  --timeout S         --complete: seconds per open (input, eps) pair, pooled per input and spent
                      first on the pairs next to its verified/falsified boundary (default 10;
                      alias --milp-timeout)
  --checkpoint FILE   append every decided fact to FILE as it is established (JSON lines)
  --resume FILE       continue from a checkpoint (more samples, other eps, a larger --timeout);
                      new facts are appended to it unless --checkpoint names another file
  --out FILE.json     results: per epsilon, per input, and one record per (input, eps) pair
  --csv FILE          one row per (method, eps)
  --pairs FILE.csv    one row per (input, eps): verdict, decidedBy, timeS, reason, counterexample
  --plot FILE.svg     robust accuracy vs epsilon, one line per method, the undecided band shaded
                      (.png: rasterised, for slides)
  --html FILE.html    one self-contained report page: network, curve, table, example images
  --shard K/N         only the K-th of N round-robin parts of the correctly classified inputs
                      (K = auto: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); --out gets
                      the shard file, 'veribound merge' writes the sweep's outputs from them
  --queue URL         send blocks of inputs (all their eps) to 'veribound worker's through Redis
                      (redis://[:PASSWORD@]HOST[:PORT], rediss:// for TLS); the outputs are the
                      local sweep's; the same command again re-attaches (docs/scale-out.md)
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
      block: { type: 'string' },
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
  checkPlotPath(values.plot);
  for (const flag of ['out', 'csv', 'pairs', 'plot', 'html', 'checkpoint'] as const) if (values[flag] !== undefined) checkWritable(values[flag]!, `--${flag}`);
  if (values.shard !== undefined && values.queue !== undefined) throw new UserError('sweep: --shard and --queue are two ways to split a sweep; give one');
  const shard = values.shard !== undefined ? parseShard(values.shard) : undefined;
  if (shard) {
    const other = (['csv', 'pairs', 'plot', 'html'] as const).find((f) => values[f] !== undefined) ?? (values.json ? 'json' : undefined);
    if (other) throw new UserError(`sweep --shard: a shard writes only its shard file (--out); --${other} goes to veribound merge`);
    if (values.out === undefined) throw new UserError('sweep --shard: --out SHARD.json is required (the file veribound merge reads)');
  }
  if (values.queue !== undefined && (values.checkpoint !== undefined || values.resume !== undefined)) {
    throw new UserError(`sweep --queue: ${values.resume !== undefined ? '--resume' : '--checkpoint'} is for a sweep on one machine (or a shard); the queue keeps finished blocks: the same command again re-attaches`);
  }
  if (values.block !== undefined && values.queue === undefined) throw new UserError('sweep: --block sets the inputs per queue job; it needs --queue URL');
  const block = parseCount(values.block ?? '8', '--block');

  const t0 = performance.now();
  const target = { net: values.net!, data: values.data, samples, inputsFile: values.inputs };
  const { net, data } = await loadTarget(target);
  const { predicted, candidates, table } = startTable(net, data.inputs, data.labels, data.count, eps);
  const settings: BlockSettings = { eps, methods, schedule, batch, attack: !values['no-attack'], complete, timeoutS, seed: 1 };
  if (values.queue !== undefined) {
    const { submitSweep } = await import('../queue/submit-sweep.js');
    return submitSweep({
      queue: values.queue, netArg: values.net!, net, data, predicted, candidates, table, settings, backend, block, t0,
      files: { out: values.out, csv: values.csv, pairs: values.pairs, plot: values.plot, html: values.html, json: values.json },
    });
  }
  // a shard bounds only its round-robin part of the correctly classified inputs
  const mine = shard ? shardPositions(candidates, shard) : candidates;
  if (shard) process.stderr.write(`veribound: shard ${shard.k}/${shard.n}: ${mine.length} of the ${candidates.length} correctly classified inputs\n`);
  const problem: SweepProblem = { net, inputs: data.inputs, labels: data.labels, count: data.count, eps, candidates: mine };
  const header = { net: net.name, netHash: networkHash(net), data: data.source };
  const resumed = values.resume !== undefined ? applyFacts(readCheckpoint(values.resume, header), table, data.indices, methods, timeoutS) : undefined;
  const ckFile = values.checkpoint ?? values.resume;
  const checkpoint = ckFile !== undefined ? new CheckpointWriter(ckFile, header) : undefined;

  const interrupts = watchInterrupts();
  const engine = await selectEngine(backend, { threads });
  const engineName = engine.describe();
  let outcome: BlockOutcome;
  try {
    outcome = await sweepBlock(problem, table, engine, settings, {
      indices: data.indices, resumed, save: checkpoint ? (facts) => checkpoint.write(facts) : undefined,
      shouldStop: () => interrupts.stopped, label: net.name, threads, workers: threads ?? availableParallelism(),
    });
  } finally {
    await engine.dispose();
    checkpoint?.close();
    interrupts.dispose();
  }
  const partial = interrupts.stopped || outcome.runs.length < methods.length || outcome.runs.some(({ run }) => run.interrupted);
  if (shard) {
    writeSweepShard(values.out!, {
      shard, partial, target, netHash: header.netHash, dataSource: data.source, count: data.count, correct: candidates.length, settings, positions: mine,
      result: blockResult(outcome, table, mine, { backend: engine.backend, engine: engineName }), timeS: (performance.now() - t0) / 1000,
    });
    if (partial) {
      process.stderr.write(`veribound: interrupted: shard file ${values.out} marked partial${ckFile ? `; continue with --resume ${ckFile}` : ''}\n`);
      return 130;
    }
    process.stdout.write(`shard ${shard.k}/${shard.n} written to ${values.out}; merge the ${shard.n} shard files with: veribound merge --out r.json [--csv r.csv --pairs p.csv --plot r.svg --html r.html] SHARD_FILES...\n`);
    return 0;
  }
  const { report, written } = writeSweepOutputs({
    net, data, predicted, correct: candidates.length, settings, table, ...outcome,
    backend: engine.backend, engine: engineName, seconds: (performance.now() - t0) / 1000, partial,
  }, { out: values.out, csv: values.csv, pairs: values.pairs, plot: values.plot, html: values.html, json: values.json });
  if (partial) {
    const decided = report.rows.filter((r) => r.method === methods[0]).reduce((s, r) => s + r.samples - r.undecided, 0);
    process.stderr.write(`veribound: interrupted: ${decided} of ${data.count * eps.length} pairs decided; partial results in ${written.length ? written.join(', ') : 'the table above (no output files given)'}` +
      (ckFile ? `; continue with --resume ${ckFile}` : '') + '\n');
    return 130;
  }
  return 0;
}

function parseSeconds(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UserError(`${flag} '${text}': expected a positive number of seconds`);
  return v;
}
