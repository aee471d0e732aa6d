// The report page of a sweep (`veribound sweep … --html FILE`): the sweep's results arranged for
// html.ts — one table row per epsilon (a column pair per method), the command line and version
// that made it, and as examples: inputs verified at the largest epsilons, counterexamples found
// by PGD at the first epsilon an input could not be verified at (replayed on the network) or by
// --milp, inputs left undecided (with the ε where they are), and misclassified inputs, marked as
// such (they are wrong without any perturbation). Each example says the ε at which it was
// verified or falsified.
import type { Network } from '../network.js';
import { describeLayer, inputSize, outputSize, parameterCount } from '../network.js';
import type { SweepReport, SweepSample } from '../sweep/report.js';
import { formatInterval } from '../sweep/report.js';
import type { HtmlReport, ReportExample } from './html.js';
import { sweepPlotSvg } from './sweep-plot.js';
import { commandLine, veriboundVersion } from './provenance.js';
import { pgdAttack } from '../attack/pgd.js';
import type { Conjunction } from '../spec/property.js';
import { marginVector } from '../milp/verify.js';
import { now } from '../clock.js';

export interface SweepHtmlOptions {
  /** The inputs the sweep ran on (report.samples × inputSize(net)). */
  inputs: Float64Array;
  classNames?: string[];
  /** Examples of each kind (default 4). */
  perKind?: number;
  /** Inputs PGD may attack to find counterexamples (default 16; 0: none). */
  attackBudget?: number;
  /** The command line shown on the page (default: this process's, as `veribound …`). */
  command?: string;
  /** The veribound version shown on the page (default: package.json's). */
  version?: string;
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const fmtEps = (e: number): string => Number(e.toPrecision(6)).toString();

function bestEps(s: SweepSample): number | null {
  let best: number | null = null;
  for (const v of Object.values(s.maxVerifiedEps)) if (v !== null && (best === null || v > best)) best = v;
  return best;
}

export function sweepHtmlReport(rep: SweepReport, net: Network, opts: SweepHtmlOptions): HtmlReport {
  const perKind = opts.perKind ?? 4;
  const n = inputSize(net);
  const name = (c: number): string => (opts.classNames?.[c] !== undefined ? `${c} (${opts.classNames[c]})` : String(c));
  const methods = rep.methods;
  // attacks run by default, so every method has its interval [verified, 1 − falsified − misclassified]
  const tag = (m: string) => m.toUpperCase() + (rep.complete ? '+cascade' : '');
  const head = ['epsilon', ...methods.flatMap((m) => [`${tag(m)} verified`, `${tag(m)} falsified`, `${tag(m)} robust acc`])];
  const rows = rep.eps.map((eps) => {
    const cells = [fmtEps(eps)];
    for (const m of methods) {
      const r = rep.rows.find((x) => x.method === m && x.eps === eps)!;
      cells.push(`${r.verified}/${r.samples}`, `${r.falsified}/${r.samples}`, formatInterval(r.robustAccuracy, r.robustAccuracyUpper));
    }
    return cells;
  });

  const at = (i: number): Float64Array => opts.inputs.subarray(i * n, (i + 1) * n);
  const pos = new Map(rep.perSample.map((s, i) => [s, i]));
  const e = (v: number): string => `ε = ${fmtEps(v)}`;
  const verifiedLines = (s: SweepSample): string[] => methods.map((m) => {
    const v = s.maxVerifiedEps[m];
    return `${m.toUpperCase()}: ${v === null ? 'not verified at any ε of the sweep' : `verified up to ${e(v)}`}`;
  });
  const head1 = (s: SweepSample): string => `label ${name(s.label)}, predicted ${name(s.predicted)}`;
  const correct = rep.perSample.filter((s) => s.predicted === s.label);
  const verified = correct.filter((s) => bestEps(s) !== null).sort((a, b) => bestEps(b)! - bestEps(a)! || a.index - b.index).slice(0, perKind);
  const attacked = attackUnverified(net, rep, at, pos, correct, perKind, opts.attackBudget ?? 16);
  const pgdEps = new Map(attacked.map((a) => [a.s, a.eps]));
  // the smallest ε at which a counterexample is known (--milp, or PGD here): it refutes every larger ε too
  const falsifiedFrom = (s: SweepSample): number | null => {
    const known = [pgdEps.get(s), ...Object.values(s.minFalsifiedEps ?? {})].filter((v): v is number => v !== null && v !== undefined);
    return known.length ? Math.min(...known) : null;
  };
  // the sweep's ε where neither a method verified nor a counterexample refuted
  const open = (s: SweepSample): number[] => {
    const v = bestEps(s), f = falsifiedFrom(s);
    return rep.eps.filter((x) => (v === null || x > v) && (f === null || x < f));
  };
  const milpFalsified = correct.filter((s) => !pgdEps.has(s) && falsifiedFrom(s) !== null).slice(0, Math.max(0, perKind - attacked.length));
  const undecided = correct.filter((s) => open(s).length > 0).slice(0, perKind);
  const misclassified = rep.perSample.filter((s) => s.predicted !== s.label).slice(0, perKind);
  const examples: ReportExample[] = [
    ...verified.map((s) => ({ title: `input ${s.index}`, status: 'verified', lines: [head1(s), ...verifiedLines(s)], image: at(pos.get(s)!) })),
    ...attacked.map(({ s, eps, x, cls }) => ({
      title: `input ${s.index}`, status: 'falsified', image: at(pos.get(s)!), adversarial: x,
      lines: [head1(s), ...verifiedLines(s), `falsified at ${e(eps)}: PGD's counterexample is classified ${name(cls)} (original | adversarial | change)`],
    })),
    ...milpFalsified.map((s) => ({
      title: `input ${s.index}`, status: 'falsified', image: at(pos.get(s)!),
      lines: [head1(s), ...verifiedLines(s), `falsified from ${e(falsifiedFrom(s)!)} (a replayed counterexample)`],
    })),
    ...undecided.map((s) => {
      const o = open(s);
      const f = falsifiedFrom(s);
      return {
        title: `input ${s.index}`, status: 'undecided', image: at(pos.get(s)!),
        lines: [head1(s), ...verifiedLines(s), ...(f !== null ? [`falsified from ${e(f)}`] : []),
          `undecided at ${o.length === 1 ? e(o[0]) : `ε = ${fmtEps(o[0])} … ${fmtEps(o[o.length - 1])}`}: neither proven robust nor refuted`],
      };
    }),
    ...misclassified.map((s) => ({
      title: `input ${s.index}`, status: 'misclassified', image: at(pos.get(s)!),
      lines: [head1(s), 'misclassified without any perturbation: not robust at any ε'],
    })),
  ];

  return {
    title: `Robustness of ${net.name}`,
    meta: [
      `data: ${rep.samples} inputs of ${rep.data}`,
      `engine: ${rep.engine}`,
      `methods: ${methods.join(', ')}`,
      `schedule: ${rep.schedule}`,
      `time: ${rep.seconds.toFixed(1)} s`,
      `generated ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
    ],
    network: {
      name: net.name,
      inputShape: net.inputShape,
      layers: net.layers.map((l) => ({ text: describeLayer(l), shape: l.shape })),
      params: parameterCount(net),
      clean: { correct: rep.correct, total: rep.samples },
    },
    table: {
      caption: `Inputs proven robust (bounds${rep.complete ? ' or the verify cascade' : ''}) and shown not robust (misclassified, or a counterexample that replays) in the L-infinity ball of each radius; robust accuracy is the interval between, one value once every input is decided${rep.complete ? ` (cascade limit ${rep.complete.timeoutS} s per input and radius)` : ''}.`,
      head,
      rows,
    },
    plotSvg: sweepPlotSvg(rep),
    examples,
    imageShape: net.inputShape,
    notes: [
      'Verified: a bound method proved that no input in the ε-ball changes the decision. Falsified: a counterexample in the ε-ball changes it (replayed on the network). Undecided: neither, at the ε given. Misclassified: the input itself is classified wrongly, so it is not robust at any ε.',
    ],
    provenance: { command: opts.command ?? commandLine(), version: opts.version ?? veriboundVersion() },
  };
}

/**
 * Counterexamples by PGD for correctly classified inputs at the first epsilon no method verified
 * (smallest such epsilon first, so the gap between verified and falsified shows); each is
 * replayed on the float64 network by pgdAttack before it is returned.
 */
function attackUnverified(
  net: Network, rep: SweepReport, at: (i: number) => Float64Array, pos: Map<SweepSample, number>,
  correct: SweepSample[], want: number, budget: number,
): { s: SweepSample; eps: number; x: Float64Array; cls: number }[] {
  const out = outputSize(net);
  const firstOpen = (s: SweepSample): number | undefined => {
    const b = bestEps(s);
    return rep.eps.find((e) => b === null || e > b);
  };
  const tries = correct.filter((s) => firstOpen(s) !== undefined).sort((a, b) => firstOpen(a)! - firstOpen(b)! || a.index - b.index).slice(0, budget);
  const found: { s: SweepSample; eps: number; x: Float64Array; cls: number }[] = [];
  for (const s of tries) {
    if (found.length >= want) break;
    const eps = firstOpen(s)!;
    const x0 = at(pos.get(s)!);
    // unsafe: some margin y_label − y_j ≤ 0
    const classes = out === 1 ? [1 - s.label] : [...Array(out).keys()].filter((j) => j !== s.label);
    const unsafe: Conjunction[] = classes.map((j) => ({ a: marginVector(out, s.label, j), b: new Float64Array(1), rows: 1 }));
    const region = { lower: x0.map((v) => Math.max(0, v - eps)), upper: x0.map((v) => Math.min(1, v + eps)), unsafe };
    const r = pgdAttack(net, region, { restarts: 4, steps: 40, seed: s.index + 1, deadline: now() + 2000 });
    if (r.counterexample) found.push({ s, eps, x: r.counterexample.x, cls: classes[r.counterexample.disjunct] });
  }
  return found;
}
