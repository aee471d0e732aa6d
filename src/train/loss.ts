// Losses on logits, averaged over the batch: softmax cross-entropy for C >= 2 outputs and
// binary cross-entropy with logits for a 1-output sigmoid head. Each writes dLoss/dlogits
// and returns the summed loss and the number of correct predictions.

export interface BatchLoss { loss: number; correct: number }

/** labels[s] is the class of batch sample s; grad may be null (evaluation only). */
export function softmaxCrossEntropy(logits: Float64Array, labels: Uint8Array, B: number, C: number, grad: Float64Array | null): BatchLoss {
  let loss = 0, correct = 0;
  for (let s = 0; s < B; s++) {
    const o = s * C, y = labels[s];
    let max = -Infinity, arg = 0;
    for (let c = 0; c < C; c++) if (logits[o + c] > max) { max = logits[o + c]; arg = c; }
    if (arg === y) correct++;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[o + c] - max);
    const logZ = max + Math.log(sum);
    loss += logZ - logits[o + y];
    if (grad) {
      for (let c = 0; c < C; c++) grad[o + c] = (Math.exp(logits[o + c] - logZ) - (c === y ? 1 : 0)) / B;
    }
  }
  return { loss, correct };
}

/** Binary cross-entropy of sigmoid(z) against labels 0/1; the decision is z > 0. */
export function binaryCrossEntropy(logits: Float64Array, labels: Uint8Array, B: number, grad: Float64Array | null): BatchLoss {
  let loss = 0, correct = 0;
  for (let s = 0; s < B; s++) {
    const z = logits[s], y = labels[s];
    if ((z > 0 ? 1 : 0) === y) correct++;
    // log(1 + e^z) - y z, written to avoid overflow
    loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    if (grad) grad[s] = (1 / (1 + Math.exp(-z)) - y) / B;
  }
  return { loss, correct };
}
