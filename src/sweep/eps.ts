// Parsing of --eps (one value, a comma list, or start:stop:count) and of counts such as
// --samples. Every bad value is a UserError that names the flag and the text.
import { UserError } from '../errors.js';

/**
 * The most epsilons one sweep takes. Every epsilon is a column of bounds for every sample, so
 * a count in the millions only ends in an out-of-memory crash minutes later; refuse it up front.
 */
export const MAX_EPS = 10_000;

/** A finite, non-negative number; `what` names it in the message (e.g. "--eps"). */
export function parseEpsValue(text: string, what = '--eps'): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) throw new UserError(`${what}: '${text}' is not a number`);
  if (v < 0) throw new UserError(`${what}: epsilon ${t} is negative (it is the radius of an L-infinity ball)`);
  return v;
}

/** Rounds away float noise of a linear spacing (0.030000000000000002 -> 0.03). */
function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

/**
 * The epsilons of a sweep, ascending and without duplicates:
 * "0.01:0.1:10" (count values from start to stop, both included), "0.01,0.02,0.05", or "0.03".
 */
export function parseEpsList(text: string, what = '--eps'): number[] {
  const t = text.trim();
  let values: number[];
  if (t.includes(':')) {
    const parts = t.split(':');
    if (parts.length !== 3) throw new UserError(`${what}: '${text}' should be start:stop:count, e.g. 0.01:0.1:10`);
    const start = parseEpsValue(parts[0], what);
    const stop = parseEpsValue(parts[1], what);
    const count = parseCount(parts[2], `${what} count`, 0);
    if (count > MAX_EPS) throw new UserError(`${what}: '${text}' asks for ${count} epsilons; at most ${MAX_EPS} are allowed`);
    if (count === 0) throw new UserError(`${what}: '${text}' is an empty range (count 0)`);
    if (stop < start) throw new UserError(`${what}: '${text}' is an empty range (stop ${parts[1].trim()} is below start ${parts[0].trim()})`);
    if (count === 1 && stop !== start) throw new UserError(`${what}: '${text}' has count 1 but start and stop differ`);
    values = Array.from({ length: count }, (_, i) => (count === 1 ? start : tidy(start + ((stop - start) * i) / (count - 1))));
  } else {
    const parts = t.split(',');
    if (t === '' || parts.every((p) => p.trim() === '')) throw new UserError(`${what}: empty list of epsilons`);
    if (parts.length > MAX_EPS) throw new UserError(`${what}: the list has ${parts.length} epsilons; at most ${MAX_EPS} are allowed`);
    values = parts.map((p) => parseEpsValue(p, what));
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

/** An integer >= min (default 1), e.g. --samples. */
export function parseCount(text: string, what: string, min = 1): number {
  const t = text.trim();
  const v = /^[+]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v)) throw new UserError(`${what}: '${text}' is not a whole number`);
  if (v < min) throw new UserError(`${what}: ${v} is below the minimum of ${min}`);
  return v;
}
