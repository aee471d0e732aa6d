#!/bin/bash
# An example Slurm array job: a VNN-COMP instance set in 4 shards, then one merge.
# (An example for docs/scale-out.md; the tests do not run it.)
#
#   sbatch docs/slurm-array.sh                      # the 4 shards, one array task each
#   sbatch --dependency=afterok:<JOBID> --wrap 'npx veribound merge --csv results.csv shards/run-*.csv'
#
# Every task runs the same command; --shard auto/4 takes K from SLURM_ARRAY_TASK_ID (with
# --array=1-4 K is the task id; with --array=0-3 it is the id + 1). The partition is
# round-robin over the rows of the CSV, so all tasks agree on it without talking to each other.
# --results-dir is shared: per-instance files are named after the instance and never collide.
#SBATCH --job-name=veribound-run
#SBATCH --array=1-4
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=shards/slurm-%A_%a.log
set -euo pipefail
mkdir -p shards results
npx veribound run --instances benchmarks/mnist_fc/instances2022.csv --backend cpu \
  --shard auto/4 --csv "shards/run-${SLURM_ARRAY_TASK_ID}.csv" --results-dir results

# The same for a sweep (one shard file per task; the merge writes one machine's outputs):
#   npx veribound sweep --samples 1000 --eps 0.01:0.1:10 --shard auto/4 --out "shards/sweep-${SLURM_ARRAY_TASK_ID}.json"
#   npx veribound merge --out sweep.json --csv sweep.csv --plot sweep.svg --html sweep.html shards/sweep-*.json
