// SIGINT/SIGTERM during a sweep: the first one only sets a flag that the sweep's loops check
// between engine calls, attack batches and cascade calls, so that it stops at the next such
// point, writes everything decided so far (marked partial) and exits 130; a second one exits
// at once (130), for when the user does not want to wait for the current step.
export interface Interrupts {
  readonly stopped: boolean;
  dispose(): void;
}

export function watchInterrupts(log: (line: string) => void = (l) => process.stderr.write(`veribound: ${l}\n`)): Interrupts {
  const state = { stopped: false };
  const onSignal = (sig: NodeJS.Signals) => {
    if (state.stopped) process.exit(130);
    state.stopped = true;
    log(`${sig}: stopping after the current step and writing what is decided so far (again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get stopped() { return state.stopped; },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Lets the event loop run (signal handlers included): a chain of awaits on already-settled
 * promises never gives it a turn, so long loops call this before checking the flag.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
