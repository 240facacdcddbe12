/**
 * The kernel contract every compute backend implements. Models (LDVAE, Geneformer) and the
 * autograd layer call only this interface, so a backend (reference JS, WASM SIMD, later WebGPU
 * or CUDA) can be swapped without touching models.
 *
 * Conventions (all backends):
 * - Dense matrices are row-major and contiguous; shapes are passed explicitly.
 * - Buffers come from `allocF32` / `allocI32` of the SAME backend. For WASM backends they are
 *   views into one shared WebAssembly.Memory (pointer = view.byteOffset), so no copies are made.
 *   Passing a foreign array to a WASM backend is allowed but slow (copied in/out).
 * - Output arguments are written, never reallocated. `beta` = 0 overwrites, 1 accumulates.
 * - Randomness inside kernels (dropout, masking) uses the counter-based `hashUniform(seed, i)`
 *   of src/data/rng.ts, so results do not depend on the thread count.
 * - Every kernel is synchronous from the caller's view (work is split over the worker pool and
 *   joined before return).
 */
export type F32 = Float32Array;
export type I32 = Int32Array;

export type UnaryOp =
  | 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'rsqrt' | 'neg' | 'abs' | 'square'
  | 'sigmoid' | 'softplus' | 'tanh' | 'relu' | 'gelu' | 'lgamma' | 'digamma';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

/** One parameter tensor with its gradient and Adam moments (all the same length). */
export interface AdamTensor {
  readonly param: F32;
  readonly grad: F32;
  readonly m: F32;
  readonly v: F32;
}

export interface CsrView {
  readonly nRows: number;
  readonly nCols: number;
  readonly indptr: I32; // length nRows + 1, starts at 0 for this view
  readonly indices: I32;
  readonly values: F32;
}

export interface Backend {
  readonly name: string; // 'reference' | 'wasm-simd' | 'wasm-relaxed-simd' | ...
  readonly threads: number;

  // ---- memory ----
  allocF32(n: number): F32; // zero-filled
  allocI32(n: number): I32; // zero-filled
  free(buf: F32 | I32): void;
  /** bytes currently allocated and the high-water mark, for reporting */
  memoryStats(): { allocatedBytes: number; peakBytes: number; heapBytes: number };

  // ---- dense linear algebra ----
  /** C[M,N] = alpha * op(A) @ op(B) + beta * C; op(A) is [M,K] (A stored [K,M] if transA), op(B) is [K,N] (B stored [N,K] if transB). */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: F32, B: F32, beta: number, C: F32): void;
  /** X[M,N] += bias[N] on every row. */
  addRowVector(M: number, N: number, X: F32, bias: F32): void;
  /** out[N] = beta * out + sum over rows of X[M,N] (bias gradients). */
  sumRows(M: number, N: number, X: F32, beta: number, out: F32): void;

  // ---- sparse ----
  /** C[M,N] = beta * C + A_csr[M,K] @ B[K,N]; `values` may be transformed first by `valueOp` (e.g. log1p for the LDVAE encoder input). */
  spmm(A: CsrView, N: number, B: F32, beta: number, C: F32, valueOp?: 'identity' | 'log1p'): void;
  /** C[K,N] = beta * C + A_csr[M,K]^T @ D[M,N] (weight gradient of the sparse first layer). */
  spmmT(A: CsrView, N: number, D: F32, beta: number, C: F32, valueOp?: 'identity' | 'log1p'): void;
  /**
   * The CSR of A^T (= the CSC of A; nonzeros keep their row order within a column) into indptr
   * [A.nCols + 1], indices and values [nnz]; returns its view. For a matrix multiplied transposed
   * more than once (spmm(A^T, ...) then equals spmmT(A, ...) bit for bit, without a copy per call).
   */
  transposeCsr(A: CsrView, indptr: I32, indices: I32, values: F32): CsrView;

  /**
   * A sparse layer's weight gradient and its Adam step in one pass: each row of C = A @ D
   * ([A.nRows, N]; e.g. A = log1p(X)^T from transposeCsr, D = the layer's output gradient) is formed
   * and handed straight to adamStep's update of param/m/v [A.nRows, N] (same arguments as adamStep),
   * so the gradient is never written to memory and read back. `grad`, when given, receives C.
   * Bit for bit equal to spmm(A, N, D, 0, grad) followed by adamStep(A.nRows * N, param, grad, m, v, ...).
   */
  spmmAdam(A: CsrView, N: number, D: F32, param: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupled: boolean, step: number, grad?: F32 | null): void;

  // ---- elementwise (n elements; in-place allowed: out === x) ----
  unary(op: UnaryOp, n: number, x: F32, out: F32): void;
  binary(op: BinaryOp, n: number, a: F32, b: F32, out: F32): void;
  /** out = a * x + b * y (axpby; y may be out). */
  axpby(n: number, a: number, x: F32, b: number, y: F32, out: F32): void;
  fill(n: number, value: number, out: F32): void;
  /** dx = dy * f'(x) for op in relu | gelu | sigmoid | tanh | softplus | exp | log1p (x = forward input). */
  unaryBackward(op: UnaryOp, n: number, x: F32, dy: F32, dx: F32): void;
  /** out = x * keep / (1 - p) with keep_i = hashUniform(seed, offset + i) >= p; mask written as 0/1 if given. */
  dropout(n: number, p: number, seed: number, offset: number, x: F32, out: F32, mask?: F32): void;

  // ---- reductions ----
  sum(n: number, x: F32): number; // accumulated in float64
  sumSquares(n: number, x: F32): number; // float64; for gradient clipping

  // ---- normalisation ----
  /** BatchNorm1d train mode over rows of x[M,N]: out = gamma*(x-mean)/sqrt(var+eps)+beta with biased batch var; writes mean[N], invStd[N]. */
  batchNormForward(M: number, N: number, x: F32, gamma: F32, beta: F32, eps: number, out: F32, mean: F32, invStd: F32): void;
  /**
   * Train-mode BatchNorm1d of a bias-free Linear y = x W^T (W [N,K]) folded into the layer, from the
   * input's batch mean xMean[K] and biased covariance xCov[K,K] (y's batch mean is W xMean, its biased
   * variance diag(W xCov W^T)): writes mean[N], variance[N], invStd[N] = 1/sqrt(variance + eps),
   * Wf[N,K] = diag(gamma * invStd) W and bf[N] = beta - gamma * invStd * mean, so that
   * BN(x W^T) = x Wf^T + bf with no pass over [M,N]. Float64 inside.
   */
  linearBatchNormFold(N: number, K: number, W: F32, xMean: F32, xCov: F32, gamma: F32, beta: F32, eps: number,
    Wf: F32, bf: F32, mean: F32, variance: F32, invStd: F32): void;
  /** Eval mode with running statistics. */
  batchNormInference(M: number, N: number, x: F32, gamma: F32, beta: F32, runningMean: F32, runningVar: F32, eps: number, out: F32): void;
  /** Backward of batchNormForward; dgamma, dbeta accumulate (+=); dx may be dy (in place). */
  batchNormBackward(M: number, N: number, x: F32, dy: F32, gamma: F32, mean: F32, invStd: F32, dx: F32, dgamma: F32, dbeta: F32): void;
  /** LayerNorm over the last dim of x[M,N]; writes mean[M], invStd[M]. */
  layerNormForward(M: number, N: number, x: F32, gamma: F32, beta: F32, eps: number, out: F32, mean: F32, invStd: F32): void;
  /** dgamma, dbeta accumulate (+=). */
  layerNormBackward(M: number, N: number, x: F32, dy: F32, gamma: F32, mean: F32, invStd: F32, dx: F32, dgamma: F32, dbeta: F32): void;

  // ---- softmax family (rows of [M,N]) ----
  softmaxRows(M: number, N: number, x: F32, out: F32): void;
  logSoftmaxRows(M: number, N: number, x: F32, out: F32): void;
  /** dx = y * (dy - sum(dy * y)) with y = softmax output. */
  softmaxRowsBackward(M: number, N: number, y: F32, dy: F32, dx: F32): void;
  /**
   * Mean cross-entropy over rows with target >= 0 (rows with target -1 are ignored).
   * Returns the mean loss; writes dlogits = (softmax - onehot) * gradScale (0 on ignored rows).
   */
  crossEntropyRows(M: number, N: number, logits: F32, targets: I32, gradScale: number, dlogits: F32): number;

  // ---- embeddings ----
  /** out[i,:] = table[ids[i],:] for i < n (rows of width D). */
  gatherRows(n: number, D: number, table: F32, ids: I32, out: F32): void;
  /** dtable[ids[i],:] += dout[i,:]. */
  scatterAddRows(n: number, D: number, dout: F32, ids: I32, dtable: F32): void;

  // ---- attention (tiled; never materialises T x T for the whole sequence) ----
  /**
   * q, k, v, out: [B, T, H, Dh] (i.e. rows of width H*Dh as produced by a Linear). `lengths[b]`
   * masks keys at positions >= lengths[b] (padding). Writes lse[B, H, T] (log-sum-exp per query)
   * for the backward pass. scale is usually 1/sqrt(Dh).
   */
  attentionForward(B: number, T: number, H: number, Dh: number, q: F32, k: F32, v: F32, lengths: I32, scale: number, out: F32, lse: F32): void;
  /** Gradients dq, dk, dv (overwritten) from dout, recomputing scores tile by tile. */
  attentionBackward(B: number, T: number, H: number, Dh: number, q: F32, k: F32, v: F32, lengths: I32, scale: number, out: F32, lse: F32, dout: F32, dq: F32, dk: F32, dv: F32): void;

  // ---- LDVAE negative-binomial head (fused; see docs/ldvae-spec.md section 3.1) ----
  /**
   * For a minibatch: rho = softmax(logits[B,G]) per row, mu = exp(logLib[b]) * rho, theta = exp(pxR[g]).
   * rec[b] = -sum_g log NB(x_bg; mu_bg, theta_g) with eps 1e-8, x given as CSR counts (lgamma/x
   * terms evaluated only at nonzeros; at x = 0 they cancel exactly).
   * Gradients of  sum_b gradScale * rec[b]  are written to dLogits[B,G], dLogLib[B] (overwritten)
   * and accumulated into dPxR[G] (+=). Pass gradScale = 0 and null grads for evaluation only.
   * Also writes rho (px_scale) if `rhoOut` is given.
   */
  nbLossRows(B: number, G: number, logits: F32, logLib: F32, pxR: F32, x: CsrView, gradScale: number,
    rec: F32, dLogits: F32 | null, dLogLib: F32 | null, dPxR: F32 | null, rhoOut?: F32 | null): void;

  // ---- optimisers ----
  /**
   * One Adam/AdamW step on n parameters. step is 1-based (bias correction).
   * decoupled=false: grad += weightDecay * param (torch.optim.Adam, scvi-tools);
   * decoupled=true: param -= lr * weightDecay * param (AdamW, Hugging Face).
   */
  adamStep(n: number, param: F32, grad: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;
  /** adamStep on every tensor of the list in one dispatch (a model's many small tensors); bit for bit the same. */
  adamSteps(tensors: readonly AdamTensor[], lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;
}
