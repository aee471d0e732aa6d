// Which parts of a sweep's outputs may differ between one machine's sweep and the same sweep
// split over a queue's workers or over shards (docs/scale-out.md, "What is identical"), and the
// outputs with those parts removed, for a byte-for-byte comparison of everything else.
//   - `queue` (only a queue's document has it: its jobs and overhead per job);
//   - the command line (meta.commandLine) and the engine's description (`engine`, meta.engine:
//     a worker's machine may have another CPU or thread count);
//   - every time: timeS at the top, in attack, complete, each result row, each run, each pair;
//   - engine calls (a block groups fewer boxes per call);
//   - with --schedule adaptive only: which epsilons were probed, i.e. pairsBounded (per run and
//     per result row), rounds, pilotInputs and expectedProbesPerInput. The plan is made from a
//     pilot's measured engine times, so these differ between two runs on one machine too.
// Verdicts, what decided each pair, reasons, counterexamples, counts, robust accuracies and the
// per-input largest verified / smallest falsified epsilons are not in this list: they are equal.

type Json = Record<string, unknown>;

const TIME_KEYS = ['timeS'];

/** A deep copy of a sweep JSON document without the fields that may differ (see above). */
export function stableSweepJson(doc: unknown): unknown {
  const d = structuredClone(doc) as Json;
  const adaptive = d.schedule === 'adaptive';
  const drop = (o: unknown, keys: string[]) => { if (o && typeof o === 'object') for (const k of keys) delete (o as Json)[k]; };
  drop(d, ['engine', 'queue', ...TIME_KEYS]);
  drop(d.meta, ['commandLine', 'engine']);
  drop(d.attack, TIME_KEYS);
  drop(d.complete, TIME_KEYS);
  for (const r of (d.results as unknown[] | undefined) ?? []) drop(r, [...TIME_KEYS, ...(adaptive ? ['pairsBounded'] : [])]);
  for (const r of (d.runs as unknown[] | undefined) ?? []) drop(r, [...TIME_KEYS, 'engineCalls', ...(adaptive ? ['pairsBounded', 'rounds', 'pilotInputs', 'expectedProbesPerInput'] : [])]);
  for (const p of (d.pairs as unknown[] | undefined) ?? []) drop(p, TIME_KEYS);
  return d;
}

/** A CSV without the named columns (the sweep's CSVs quote no header cell). */
export function withoutColumns(csv: string, columns: string[]): string {
  const lines = csv.split('\n');
  const head = lines[0].split(',');
  const keep = head.map((h, c) => (columns.includes(h) ? -1 : c)).filter((c) => c >= 0);
  // cells may be quoted (a reason with commas): split on commas outside quotes
  const cells = (line: string) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '')).slice(0, head.length);
  return lines.map((l) => (l === '' ? l : keep.map((c) => cells(l)[c]).join(','))).join('\n');
}

/** --csv without the columns that may differ for this schedule. */
export function stableSweepCsv(csv: string, schedule: string): string {
  return withoutColumns(csv, ['timeS', ...(schedule === 'adaptive' ? ['pairsBounded'] : [])]);
}

/** --pairs without its times. */
export function stablePairsCsv(csv: string): string {
  return withoutColumns(csv, ['timeS']);
}
