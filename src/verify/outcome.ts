// What the cascade answers and records, shared by its stages, the commands and the result file.

export type Answer = 'sat' | 'unsat' | 'timeout' | 'unknown';
export type StageName = 'attack' | 'ibp' | 'crown' | 'alpha-crown' | 'refine' | 'bab' | 'milp';
export const STAGES: readonly StageName[] = ['attack', 'ibp', 'crown', 'alpha-crown', 'refine', 'bab', 'milp'];

export interface StageRecord {
  stage: StageName;
  timeS: number;
  /** Disjuncts (over all input regions) this stage proved unreachable. */
  closed: number;
  /** Disjuncts still open after it. */
  open: number;
  note: string;
}

export interface Counterexample {
  x: Float64Array;
  y: Float64Array;
}

export interface VerifyOutcome {
  answer: Answer;
  /** The stage that settled the answer (null for timeout/unknown). */
  decidedBy: StageName | null;
  counterexample?: Counterexample;
  stages: StageRecord[];
  timeS: number;
}
