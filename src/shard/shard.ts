// `--shard K/N` (run and sweep): this process does the K-th of N parts of the work, for cluster
// array jobs (Slurm, Kubernetes Indexed Jobs) where no queue is at hand. `--shard auto/N` reads K
// from SLURM_ARRAY_TASK_ID (as the array's index, 1..N or 0..N-1: see below) or JOB_COMPLETION_INDEX
// (Kubernetes, 0-based). The partition is round-robin over the item list (item i goes to shard
// i mod N + 1): it depends only on the list and N, so every shard computes the same split on its own,
// and instance sets sorted by difficulty spread their hard end over every shard.
import { UserError } from '../errors.js';

export interface Shard {
  /** 1-based. */
  k: number;
  n: number;
}

/**
 * "K/N" with 1 <= K <= N, or "auto/N". For auto, JOB_COMPLETION_INDEX is 0-based (K = index + 1);
 * SLURM_ARRAY_TASK_ID is taken as 0-based when SLURM_ARRAY_TASK_MIN is 0 (`--array=0-3`) and as K
 * itself otherwise (`--array=1-4`).
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const m = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UserError(`--shard '${text}': expected K/N (e.g. 2/4) or auto/N`);
  const n = Number(m[2]);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--shard '${text}': N must be a positive integer`);
  let k: number;
  if (m[1] === 'auto') {
    const kube = env.JOB_COMPLETION_INDEX, slurm = env.SLURM_ARRAY_TASK_ID;
    const index = (name: string, v: string) => {
      if (!/^\d+$/.test(v.trim())) throw new UserError(`--shard auto: ${name}='${v}' is not a non-negative integer`);
      return Number(v);
    };
    if (kube !== undefined && kube !== '') k = index('JOB_COMPLETION_INDEX', kube) + 1;
    else if (slurm !== undefined && slurm !== '') {
      const min = env.SLURM_ARRAY_TASK_MIN;
      k = index('SLURM_ARRAY_TASK_ID', slurm) + (min !== undefined && min.trim() === '0' ? 1 : 0);
    } else throw new UserError('--shard auto/N: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set (give K/N instead)');
  } else k = Number(m[1]);
  if (!(k >= 1 && k <= n)) throw new UserError(`--shard '${text}': K = ${k} is outside 1..${n}`);
  return { k, n };
}

/** Positions 0..count-1 that belong to the shard, ascending. */
export function shardItems(count: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let i = shard.k - 1; i < count; i += shard.n) out.push(i);
  return out;
}
