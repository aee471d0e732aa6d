// A progress bar for long work (sweeps, benchmark runs, competition instances). It draws
// only when stderr is a terminal, so pipes, CI logs and tests see nothing from it.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Advances by n (default 1). */
  tick(n?: number): void;
  /** Removes the bar; safe to call more than once. */
  stop(): void;
  /** Changes the total when an estimate improves (e.g. after a sweep's pilot). */
  setTotal(total: number): void;
}

export interface ProgressOptions {
  /** Draw even when stderr is not a terminal (for tests of the bar itself). */
  force?: boolean;
  stream?: NodeJS.WritableStream;
}

export function createProgress(total: number, label: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  if ((!tty && !opts.force) || !(total > 0)) return { tick() {}, stop() {}, setTotal() {} };
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} elapsed, ETA {eta_formatted}`,
    stream,
    clearOnComplete: true,
    hideCursor: tty ? true : null,
    etaBuffer: 50,
    fps: 5,
    noTTYOutput: !tty,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  let value = 0;
  let stopped = false;
  return {
    tick(n = 1) {
      if (stopped) return;
      value = Math.min(total, value + n);
      bar.update(value);
    },
    setTotal(n: number) {
      if (stopped || !(n > 0)) return;
      total = Math.max(Math.round(n), value);
      bar.setTotal(total);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
