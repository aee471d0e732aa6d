// The verification cascade for one property: attack → IBP → CROWN → α-CROWN → attack again
// → refine (MILP-tightened intermediate bounds, on ReLU nets the MILP encodes) → bab → MILP, each stage working only on the disjuncts the earlier ones left open. `sat` only
// with a counterexample that replays on the float64 forward pass; `unsat` only when every
// disjunct of every region was proved unreachable.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import { UserError } from '../errors.js';
import type { BoundEngine, LayerBounds } from '../bounds/types.js';
import type { Property } from '../spec/property.js';
import { OpenSet } from './open-set.js';
import type { Answer, Counterexample, StageName, StageRecord, VerifyOutcome } from './outcome.js';
import { attackStage, type AttackStageResult } from './attack.js';
import { alphaStage, engineStage } from './bounds-stage.js';
import { milpStage } from './milp-stage.js';
import { babStage } from './bab-stage.js';
import { refineStage, refineSupported } from './refine-stage.js';
import { now } from '../clock.js';

export interface CascadeOptions {
  timeoutS: number;
  engine: BoundEngine;
  /** Where stage lines go (default: stderr with a "veribound: " prefix). */
  log?: (line: string) => void;
  /** Stages to skip (tests use this to check one stage at a time). */
  skip?: readonly StageName[];
  /** Start of the clock (default now); the command passes its own start so loading counts. */
  startedAt?: number;
  seed?: number;
  alphaIterations?: number;
  /** Adam steps per batch for α-CROWN's intermediate bounds (default 20; 0: plain CROWN pre-bounds). */
  alphaIntermediateIterations?: number;
  /** Share of the time left after the second attack that the refine stage gets (default 0.5). */
  refineShare?: number;
  /**
   * Where refine runs: seconds a first, short bab gets before it (default 10, at most a fifth
   * of the time left). Medium-hard properties close there in a second or two (mnist-mlp image 3 at
   * ε 0.04: 1.9 s, against 29 s when the probe had 5% of a 60 s budget and refine ran first).
   */
  babProbeS?: number;
  /**
   * The refine stage runs only with at least this many seconds left (default 45: its MILPs need
   * tens of seconds to pay off). On mnist-mlp at the --complete sweep's budgets they never did: of
   * 20 (image, ε) pairs that an older build left open at 10 s, the cascade decided 11 with refine
   * and the same 11 without it, five of them in 2.5–4.7 s instead of 7.5–9.4 s (bab's probe, then
   * refine's 3–4 s of MILPs, then bab again from its root); at 30 s, 1 of 4 without it and 0 with
   * it. Competition budgets (120–300 s) leave refine its time.
   */
  refineMinS?: number;
  /**
   * Share of the time left after refine that the bab stage gets (default 1: the MILP stage gets
   * what branch and bound leaves, when its searches end early). In every competition run so far
   * (mnist_fc 2022 and verivital at 300 s, ERAN at 300 s, mnist_fc 2021 256x4 at 60 s; 324
   * instances), and in the mnist-mlp --complete sweep, the MILP stage after it decided nothing;
   * on mnist_fc 2022 it took 920 s of the run's 6,323 and on ERAN 239 s, where branch and bound
   * was often close when its time ran out (2021 256x4 prop_14 at ε 0.03: margins −0.10…−1.03
   * after 14 s per disjunct, then 22 s of MILP). Branch and bound's own leaves are MILPs of fully
   * split domains.
   */
  babShare?: number;
  /** Disjuncts the bab stage searches at once, each on a worker thread (default: every core; 1: one after another). */
  threads?: number;
}

export function checkPropertyFits(net: Network, prop: Property): void {
  if (prop.numInputs !== inputSize(net)) throw new UserError(`${prop.source}: declares ${prop.numInputs} inputs X_i, ${net.name} takes ${inputSize(net)}`);
  if (prop.numOutputs !== outputSize(net)) throw new UserError(`${prop.source}: declares ${prop.numOutputs} outputs Y_i, ${net.name} has ${outputSize(net)}`);
}

export async function verifyProperty(net: Network, prop: Property, opts: CascadeOptions): Promise<VerifyOutcome> {
  checkPropertyFits(net, prop);
  const t0 = opts.startedAt ?? now();
  const deadline = t0 + opts.timeoutS * 1000;
  const log = opts.log ?? ((line: string) => process.stderr.write(`veribound: ${line}\n`));
  const skip = new Set(opts.skip ?? []);
  const open = new OpenSet(prop);
  const stages: StageRecord[] = [];
  const done = (answer: Answer, decidedBy: StageName | null, counterexample?: Counterexample): VerifyOutcome =>
    ({ answer, decidedBy, counterexample, stages, timeS: (now() - t0) / 1000 });

  // runs one stage, records and logs it; true when the property is now decided
  const stage = async (name: StageName, body: () => Promise<{ note: string; cex?: Counterexample | null }>): Promise<Counterexample | null | 'skipped'> => {
    if (skip.has(name)) return 'skipped';
    // a turn of the event loop before each stage, so that a pending Ctrl-C (a signal handler) runs
    await new Promise((resolve) => setImmediate(resolve));
    const before = open.count();
    const s0 = performance.now();
    const { note, cex } = await body();
    const rec: StageRecord = { stage: name, timeS: (performance.now() - s0) / 1000, closed: before - open.count(), open: open.count(), note };
    stages.push(rec);
    log(`${name}: ${cex ? 'counterexample found (replayed)' : `closed ${rec.closed}, ${rec.open} of ${total} disjuncts open`}${note ? `; ${note}` : ''} (${rec.timeS.toFixed(2)}s)`);
    return cex ?? null;
  };
  const total = open.count();
  if (total === 0) return done('unsat', 'ibp'); // no region admits an input: nothing to reach
  const timeLeft = () => deadline - now();

  // (a) box centre + a short attack
  let attack: AttackStageResult | undefined;
  let cex = await stage('attack', async () => {
    attack = attackStage(net, open, { restarts: 2, steps: 25, seed: opts.seed ?? 1, deadline: now() + Math.max(500, 0.02 * timeLeft()) });
    return { note: `${attack.evaluations} gradient evaluations`, cex: attack.counterexample };
  });
  if (cex && cex !== 'skipped') return done('sat', 'attack', cex);

  // (b) IBP, then CROWN on the engine
  for (const method of ['ibp', 'crown'] as const) {
    if (timeLeft() <= 0) return done('timeout', null);
    await stage(method, async () => {
      await engineStage(opts.engine, net, open, method);
      return { note: opts.engine.describe() };
    });
    if (open.count() === 0) return done('unsat', method);
  }

  // (c) α-CROWN (every network: the engine's one backward pass)
  let alphaBounds: (LayerBounds[] | undefined)[] = [];
  if (!skip.has('alpha-crown') && timeLeft() > 0) {
    // with sigmoids, optimised intermediate bounds decide most of what is decided (a cut of one
    // sigmoid gains little), so α-CROWN gets the larger share there
    const alphaShare = net.layers.some((l) => l.op.kind === 'sigmoid') ? 0.6 : 0.3;
    await stage('alpha-crown', async () => {
      const res = alphaStage(net, open, { iterations: opts.alphaIterations ?? 60, intermediateIterations: opts.alphaIntermediateIterations ?? 20, deadline: now() + alphaShare * timeLeft() });
      alphaBounds = res.bounds;
      return { note: '' };
    });
    if (open.count() === 0) return done('unsat', 'alpha-crown');
  }

  // a longer attack on what is left, before the MILP spends the rest of the time
  if (timeLeft() > 0 && !skip.has('attack')) {
    cex = await stage('attack', async () => {
      const again = attackStage(net, open, { restarts: 16, steps: 60, seed: (opts.seed ?? 1) + 1, deadline: now() + 0.1 * timeLeft() }, attack);
      attack = again;
      return { note: `${again.evaluations} gradient evaluations`, cex: again.counterexample };
    });
    if (cex && cex !== 'skipped') return done('sat', 'attack', cex);
  }

  // (d) branch and bound over ReLU splits, sigmoid cuts and max-pool orders (every network with any), and
  // where there is time for it, intermediate bounds tightened by MILP first (refine-stage.ts:
  // α-CROWN is about as tight as the LP relaxation, so on deep nets only the integer model
  // closes the gap); a short branch and bound on the α bounds comes before the refinement, so
  // that what it decides in seconds does not wait for the MILPs. Refinement runs on networks
  // without convolutions: it is measured there (mnist_fc, mnist-mlp); a conv layer has thousands
  // of unstable neurons whose per-neuron MILPs would take branch and bound's time unmeasured.
  const babNet = net.layers.some((l) => l.op.kind === 'relu' || l.op.kind === 'sigmoid' || l.op.kind === 'maxpool2d');
  const refining = refineSupported(net) && !net.layers.some((l) => l.op.kind === 'conv2d') && alphaBounds.some((b) => b) && timeLeft() >= 1000 * (opts.refineMinS ?? 45) && !skip.has('refine');
  const bab = async (share: number): Promise<Counterexample | null | 'skipped'> => stage('bab', async () => {
    const res = await babStage(net, open, { deadline: now() + share * timeLeft(), bounds: alphaBounds, incumbents: attack?.perDisjunct, log, threads: opts.threads });
    return { note: `${res.domains} domains, ${res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0}/s`, cex: res.counterexample };
  });
  if (babNet && refining && !skip.has('bab')) {
    cex = await bab(Math.min(0.2, (1000 * (opts.babProbeS ?? 10)) / Math.max(1, timeLeft())));
    if (cex && cex !== 'skipped') return done('sat', 'bab', cex);
    if (open.count() === 0) return done('unsat', 'bab');
  }
  if (refining && timeLeft() > 0) {
    await stage('refine', async () => {
      const res = await refineStage(net, open, { deadline: now() + (opts.refineShare ?? 0.5) * timeLeft(), bounds: alphaBounds, log });
      alphaBounds = alphaBounds.map((b, r) => res.bounds[r] ?? b);
      return { note: res.note };
    });
    if (open.count() === 0) return done('unsat', 'refine');
  }
  if (babNet && timeLeft() > 0) {
    cex = await bab(opts.babShare ?? 1);
    if (cex && cex !== 'skipped') return done('sat', 'bab', cex);
    if (open.count() === 0) return done('unsat', 'bab');
  }

  // (e) the MILP with the rest of the time
  if (timeLeft() <= 0) return done('timeout', null);
  let timedOut = false;
  cex = await stage('milp', async () => {
    const res = await milpStage(net, open, { deadline, bounds: alphaBounds, incumbents: attack?.perDisjunct ?? [], log });
    timedOut = res.timedOut;
    return { note: '', cex: res.counterexample };
  });
  if (cex === 'skipped') return done(timeLeft() <= 0 ? 'timeout' : 'unknown', null);
  if (cex) return done('sat', 'milp', cex);
  if (open.count() === 0) return done('unsat', 'milp');
  return done(timedOut || timeLeft() <= 0 ? 'timeout' : 'unknown', null);
}
