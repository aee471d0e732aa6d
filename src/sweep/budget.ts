// Honest per-pair MILP limits on a shared pool. milpVerify hands all of a pair's classes to its
// solver at once, each with the pair's whole limit; a pool runs them a few at a time, so one pair
// could take (classes / workers) × its limit. PairBudget queues the jobs itself (first in, first
// out, as many running as the pool has workers) and starts a pair's clock when its first job
// starts: each job gets what is left of the pair's limit, so a pair costs at most its limit of
// wall-clock time however many classes it has, and time spent waiting behind other pairs is free.
import type { MilpSolver } from '../milp/index.js';

type SolveArgs = Parameters<MilpSolver['solve']>;
type Solved = Awaited<ReturnType<MilpSolver['solve']>>;

export class PairBudget {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly inner: MilpSolver, readonly size: number) {}

  /** A solver for one pair whose jobs share `limitS` seconds from the first one's start. */
  forPair(limitS: number): MilpSolver {
    let deadline: number | undefined;
    return {
      solve: async (data: SolveArgs[0], opts: SolveArgs[1]): Promise<Solved> => {
        await this.acquire();
        try {
          // another class of the pair already found a counterexample
          if (opts.cancel && Atomics.load(opts.cancel, 0) !== 0) return { status: 'cancelled', bound: -Infinity, timeS: 0, nodes: 0 };
          deadline ??= performance.now() + limitS * 1000;
          const left = (deadline - performance.now()) / 1000;
          if (left < 0.001) return { status: 'timeout', bound: -Infinity, timeS: 0, nodes: 0, message: "the pair's time was spent" };
          return await this.inner.solve(data, { ...opts, timeLimitS: Math.min(opts.timeLimitS, left) });
        } finally {
          this.release();
        }
      },
    };
  }

  private acquire(): Promise<void> {
    if (this.running < this.size) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight on
    else this.running--;
  }
}
