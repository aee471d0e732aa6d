// The one clock for deadlines: milliseconds since the epoch at sub-millisecond resolution, on
// the same scale in every worker thread. Date.now() counts whole milliseconds (a time limit of a
// microsecond could not run out within the millisecond it was set in), and performance.now()
// counts from each thread's own start (a deadline in it cannot cross a thread); the sum
// performance.timeOrigin + performance.now() has neither problem. Every deadline is a value of
// now(); elapsed times for reports may use performance.now().
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Seconds left before `deadline` (a now() value), at least a millisecond: a solver's time limit. */
export function secondsLeft(deadline: number): number {
  return Math.max((deadline - now()) / 1000, 0.001);
}
