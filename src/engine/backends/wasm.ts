/**
 * The WASM SIMD backend: AssemblyScript kernels (src/engine/assembly) on one shared
 * WebAssembly.Memory, split over a worker_threads pool. Buffers from allocF32/allocI32 are views on
 * that memory (pointer = byteOffset); foreign arrays are accepted but copied in and out per call.
 */
import { WA } from './wasmApi.js';
import { availableParallelism } from 'node:os';
import type { Backend, F32, I32, UnaryOp } from '../backend.js';
import { createPool, type Pool } from '../pool/index.js';
import { createArena } from './arena.js';
import {
  badOp, checkAddRowVector, checkAdamStep, checkAdamSteps, checkAxpby, checkBinary, checkDropout, checkFill, checkGemm, checkSpmm, checkSpmmAdam, checkSpmmT,
  checkSum, checkSumRows, checkTransposeCsr, checkUnary, checkUnaryBackward,
} from './checks.js';
import { dropoutScale } from './reference.js';
import { loadKernelModule } from './wasmModule.js';
import { type RowWeights, wasmNnKernels } from './wasmNn.js';

const NAMES = [
  'gemm', 'unary', 'unaryBackward', 'binary', 'axpby', 'fill', 'addRowVector', 'sumRows', 'sumChunks', 'dropout', 'adamStep',
  'spmm', 'batchNormForward', 'batchNormInference', 'batchNormBackward', 'layerNormForward', 'layerNormBackwardDx',
  'layerNormBackwardParams', 'softmaxRows', 'logSoftmaxRows', 'softmaxRowsBackward', 'crossEntropyRows', 'gatherRows',
  'scatterAddRows', 'attentionForward', 'attentionRowDot', 'attentionBackward', 'nbPrep', 'nbLossRows', 'nbReduce', 'gemmScratchBytes',
  'attentionScratchBytes', 'nbInitTable', 'csrToCsc', 'spmmTCsc', 'linearBnFold', 'spmmAdam', 'cscCount', 'cscCursors', 'cscScatter', 'adamSteps',
] as const;
type KernelName = (typeof NAMES)[number];

/** Op codes of the unary kernels (src/engine/assembly/elementwise.ts). */
export const UNARY_OPS: Record<UnaryOp, number> = {
  exp: 0, log: 1, log1p: 2, expm1: 3, sqrt: 4, rsqrt: 5, neg: 6, abs: 7, square: 8,
  sigmoid: 9, softplus: 10, tanh: 11, relu: 12, gelu: 13, lgamma: 14, digamma: 15,
};
const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;
const SUM_CHUNK = 4096; // elementwise.ts SUM_CHUNK
const RESERVED = 65536; // low page: the module's static data, and pointer 0 stays "null"
const MIN_SCRATCH = 512 * 1024;

export interface WasmBackendOptions {
  threads?: number;
  maxMemoryMiB?: number;
  simd?: 'auto' | 'relaxed' | 'plain';
}

/** A WASM backend with its own memory and pool; `close()` stops the workers. */
export interface WasmBackend extends Backend {
  close(): Promise<void>;
}

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const maxPages = Math.min(65536, Math.floor(((opts.maxMemoryMiB ?? 4096) * 1048576) / 65536));
  const km = loadKernelModule(opts.simd ?? 'auto');
  const memory = new WA.Memory({ initial: 16, maximum: maxPages, shared: true });
  const inst = new WA.Instance(km.module, { env: { memory } });
  const ex = inst.exports as Record<KernelName, (...a: number[]) => number>;
  const mainFns = NAMES.map((n) => ex[n]);
  const pool: Pool = await createPool({ threads, module: km.module, memory, names: [...NAMES], mainFns, v8Flags: km.v8Flags });
  const arena = createArena(memory, RESERVED, maxPages);
  const buffers = new WeakSet<ArrayBufferLike>();
  const buf = () => {
    const b = memory.buffer;
    buffers.add(b);
    return b;
  };
  const T = pool.threads;
  // log(x!) for integer counts x < LFACT_N, used by nbLossRows at the nonzeros
  const LFACT_N = 4096;
  const lfTable = arena.alloc(LFACT_N * 8);
  ex.nbInitTable(lfTable, LFACT_N);
  // fround(log1p(i)) for whole i < LOG1P_N (elementwise.ts LOG1P_N), from the JS Math.log1p the
  // reference backend uses, so that log1p of counts is the same on both
  const LOG1P_N = 4096;
  const log1pTable = arena.alloc(LOG1P_N * 4);
  new Float32Array(buf(), log1pTable, LOG1P_N).set(Float32Array.from({ length: LOG1P_N }, (_, i) => Math.log1p(i)));

  // ---- per-thread scratch and cached temporaries (grow-only, reused across steps) ----
  let scratchStride = Math.max(MIN_SCRATCH, ex.gemmScratchBytes());
  let scratchBase = arena.alloc(scratchStride * T);
  const scratch = (bytes: number): number => {
    if (bytes > scratchStride) {
      arena.free(scratchBase);
      scratchStride = Math.ceil(bytes / 65536) * 65536;
      scratchBase = arena.alloc(scratchStride * T);
    }
    return scratchBase;
  };
  const temps = new Map<string, { off: number; bytes: number }>();
  const temp = (key: string, bytes: number): number => {
    const t = temps.get(key);
    if (t && t.bytes >= bytes) return t.off;
    if (t) arena.free(t.off);
    const off = arena.alloc(Math.max(bytes, 64));
    temps.set(key, { off, bytes: Math.max(bytes, 64) });
    return off;
  };

  // ---- foreign arrays: staged through the arena for one call ----
  type Arr = F32 | I32;
  const owned = (a: Arr) => buffers.has(a.buffer) || (a.buffer === memory.buffer && (buffers.add(a.buffer), true));
  let staged: { off: number; src: Arr; out: boolean }[] = [];
  const stage = (a: Arr | null | undefined, out: boolean): number => {
    if (!a) return 0;
    if (owned(a)) return a.byteOffset;
    const off = arena.alloc(a.byteLength);
    const view = a instanceof Int32Array ? new Int32Array(buf(), off, a.length) : new Float32Array(buf(), off, a.length);
    view.set(a as never);
    staged.push({ off, src: a, out });
    return off;
  };
  const inp = (a: Arr | null | undefined) => stage(a, false);
  const outp = (a: Arr | null | undefined) => stage(a, true);
  const unstage = () => {
    for (const s of staged) {
      if (s.out) {
        const view = s.src instanceof Int32Array ? new Int32Array(buf(), s.off, s.src.length) : new Float32Array(buf(), s.off, s.src.length);
        s.src.set(view as never);
      }
      arena.free(s.off);
    }
    staged = [];
  };

  /**
   * Splits [0, total) into up to T shares (multiples of `align`), at least `minShare` each: equal
   * counts, or, given `w`, equal cost where row i costs w.perRow + w.perNnz * (nonzeros of row i in
   * w.indptr) (CSR rows differ a lot in nonzeros; the boundaries never change a kernel's results).
   */
  const split = (total: number, minShare: number, align = 1, w?: RowWeights): [number, number][] => {
    const n = Math.max(1, Math.min(T, Math.floor(total / Math.max(1, minShare))));
    const p0 = w ? w.indptr[0] : 0;
    const cost = (i: number) => (w ? i * w.perRow + (w.indptr[i] - p0) * w.perNnz : i);
    const out: [number, number][] = [];
    let lo = 0;
    for (let t = 0; t < n; t++) {
      let hi = total;
      if (t < n - 1) {
        // the first row whose cumulative cost reaches (t+1)/n of the total
        const target = ((t + 1) * cost(total)) / n;
        let a = lo, b = total;
        while (a < b) {
          const mid = (a + b) >> 1;
          if (cost(mid) < target) a = mid + 1;
          else b = mid;
        }
        hi = Math.min(total, Math.ceil(a / align) * align);
      }
      if (hi < lo) hi = lo;
      if (hi > lo) out.push([lo, hi]);
      lo = hi;
    }
    return out;
  };
  /** Runs `name` with args(lo, hi, t) for each share of [0, total). */
  const par = (name: KernelName, total: number, minShare: number, args: (lo: number, hi: number, t: number) => number[], align = 1, w?: RowWeights) => {
    if (total <= 0) return;
    const shares = split(total, minShare, align, w);
    pool.run(NAMES.indexOf(name), shares.map(([lo, hi], t) => args(lo, hi, t)));
  };
  /** Stages arguments, runs fn, copies staged outputs back (also on error). */
  const call = <R>(fn: () => R): R => {
    try {
      return fn();
    } finally {
      if (staged.length) unstage();
    }
  };

  // Elements per share below which splitting costs more than it saves: waking a worker and joining
  // costs ~15-25 us here (measured: exp on 16K floats took 20 us on 1 thread, 35 us on 2).
  const ELEM = 32768;
  const sumImpl = (n: number, x: F32, squares: number): number =>
    call(() => {
      checkSum(squares ? 'sumSquares' : 'sum', n, x);
      const chunks = Math.ceil(n / SUM_CHUNK);
      if (chunks === 0) return 0;
      const parts = temp('sum', chunks * 8);
      const px = inp(x);
      par('sumChunks', chunks, 4, (lo, hi) => [n, px, squares, parts, lo, hi]);
      const p = new Float64Array(buf(), parts, chunks);
      let s = 0;
      for (let i = 0; i < chunks; i++) s += p[i];
      return s;
    });

  const backend: WasmBackend = {
    name: km.name,
    threads: T,

    allocF32(n) {
      const off = arena.alloc(n * 4);
      return new Float32Array(buf(), off, n);
    },
    allocI32(n) {
      const off = arena.alloc(n * 4);
      return new Int32Array(buf(), off, n);
    },
    free(b) {
      if (b && owned(b)) arena.free(b.byteOffset);
    },
    memoryStats: () => arena.stats(),

    gemm(transA, transB, M, N, K, alpha, A, B, beta, C) {
      checkGemm(M, N, K, A, B, C);
      if (M === 0 || N === 0) return;
      call(() => {
        const pa = inp(A), pb = inp(B), pc = outp(C);
        const sc = scratch(ex.gemmScratchBytes());
        const flops = M * N * Math.max(K, 1);
        const maxShares = Math.max(1, Math.min(T, Math.floor(flops / 262144)));
        const fn = NAMES.indexOf('gemm');
        const base = [transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, pa, pb, beta, pc];
        // Split the wider dimension: columns in multiples of 8, rows in multiples of 4 (the micro-tile).
        const byCols = N >= 8 * maxShares * 4 || N >= M;
        const shares = byCols ? splitN(N, maxShares, 8) : splitN(M, maxShares, 4);
        pool.run(fn, shares.map(([lo, hi], t) =>
          byCols ? [...base, 0, M, lo, hi, sc + t * scratchStride] : [...base, lo, hi, 0, N, sc + t * scratchStride]));
      });
    },

    addRowVector(M, N, X, bias) {
      checkAddRowVector(M, N, X, bias);
      call(() => {
        const px = outp(X), pb = inp(bias);
        par('addRowVector', M, Math.ceil(ELEM / Math.max(1, N)), (lo, hi) => [N, px, pb, lo, hi]);
      });
    },

    sumRows(M, N, X, beta, out) {
      checkSumRows(M, N, X, out);
      call(() => {
        const px = inp(X), po = outp(out);
        const sc = scratch(N * 8);
        par('sumRows', N, Math.max(2, Math.ceil(ELEM / Math.max(1, M))), (lo, hi, t) => [M, N, px, beta, po, sc + t * scratchStride, lo, hi], 2);
      });
    },

    spmm(A, N, B, beta, C, valueOp = 'identity') {
      checkSpmm(A, N, B, C);
      call(() => {
        const ip = inp(A.indptr), ix = inp(A.indices), vv = inp(A.values), pb = inp(B), pc = outp(C);
        const nnz = A.indptr[A.nRows] - A.indptr[0];
        const perRow = (nnz / Math.max(1, A.nRows) + 1) * N;
        const cur = scratch(A.nRows * 4 + 64);
        par('spmm', A.nRows, Math.ceil(65536 / Math.max(1, perRow)), (lo, hi, t) => [N, A.nCols, ip, ix, vv, pb, beta, pc, valueOp === 'log1p' ? 1 : 0, cur + t * scratchStride, lo, hi],
          1, { indptr: A.indptr, perRow: 1, perNnz: 1 });
      });
    },

    // spmmT goes through a CSC copy of A (csrToCsc, one thread; cached temporaries): each output row
    // is then written once from rows of D [M,N] kept in cache, threads own output rows. The row-wise
    // loop (threads owning output columns) zero-filled the [K,N] output and then read-modify-wrote
    // scattered rows of it per nonzero, which was memory bound. (Tried and dropped: a CSC spmm, slower
    // than the row-wise one, whose four-nonzero folds load and store each output vector once per
    // four; and each thread building the CSC of its own columns, which cost more CPU than it saved.)
    spmmT(A, N, D, beta, C, valueOp = 'identity') {
      checkSpmmT(A, N, D, C);
      call(() => {
        const ip = inp(A.indptr), ix = inp(A.indices), vv = inp(A.values), pd = inp(D), pc = outp(C);
        const nnz = A.indptr[A.nRows] - A.indptr[0];
        const colptr = temp('cscPtr', (A.nCols + 1) * 4), rows = temp('cscRows', nnz * 4), vals = temp('cscVals', nnz * 4);
        par('csrToCsc', 1, 1, () => [A.nRows, A.nCols, ip, ix, vv, colptr, rows, vals, valueOp === 'log1p' ? 1 : 0]);
        const perRow = (nnz / Math.max(1, A.nCols) + 1) * N;
        par('spmmTCsc', A.nCols, Math.ceil(65536 / Math.max(1, perRow)), (lo, hi) => [N, colptr, rows, vals, pd, beta, pc, lo, hi]);
      });
    },

    spmmAdam(A, N, D, param, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step, grad) {
      checkSpmmAdam(A, N, D, param, m, v, grad);
      call(() => {
        const ip = inp(A.indptr), ix = inp(A.indices), vv = inp(A.values), pd = inp(D);
        const pp = outp(param), pm = outp(m), pv = outp(v), pg = outp(grad);
        const row = scratch(N * 4 + 64);
        const hyper = adamScalars(lr, beta1, beta2, eps, weightDecay, decoupled, step);
        const nnz = A.indptr[A.nRows] - A.indptr[0];
        const perRow = (nnz / Math.max(1, A.nRows) + 4) * N;
        // a row's Adam update (memory bound) costs about as much as 15 of its nonzeros' row updates
        par('spmmAdam', A.nRows, Math.ceil(65536 / Math.max(1, perRow)), (lo, hi, t) => [N, ip, ix, vv, pd, pp, pm, pv, pg, row + t * scratchStride, ...hyper, lo, hi],
          1, { indptr: A.indptr, perRow: 15, perNnz: 1 });
      });
    },

    transposeCsr(A, indptr, indices, values) {
      const nnz = checkTransposeCsr(A, indptr, indices, values);
      call(() => {
        const ip = inp(A.indptr), ix = inp(A.indices), vv = inp(A.values), op = outp(indptr), oi = outp(indices), ov = outp(values);
        const shares = split(A.nRows, Math.max(1, Math.ceil(32768 / Math.max(1, nnz / Math.max(1, A.nRows)))));
        if (shares.length < 2) {
          par('csrToCsc', 1, 1, () => [A.nRows, A.nCols, ip, ix, vv, op, oi, ov, 0]);
          return;
        }
        // count per share, cursors on one thread, scatter per share (same result as csrToCsc)
        const counts = temp('cscCounts', shares.length * A.nCols * 4);
        const cur = (t: number) => counts + t * A.nCols * 4;
        pool.run(NAMES.indexOf('cscCount'), shares.map(([lo, hi], t) => [A.nCols, ip, ix, cur(t), lo, hi]));
        par('cscCursors', 1, 1, () => [A.nCols, shares.length, counts, op]);
        pool.run(NAMES.indexOf('cscScatter'), shares.map(([lo, hi], t) => [ip, ix, vv, cur(t), oi, ov, 0, lo, hi]));
      });
      return { nRows: A.nCols, nCols: A.nRows, indptr, indices, values };
    },

    unary(op, n, x, out) {
      checkUnary(n, x, out);
      const code = UNARY_OPS[op];
      if (code === undefined) badOp('unary', op);
      call(() => {
        const px = inp(x), po = outp(out);
        const min = code >= 14 ? 4096 : code >= 9 || code <= 3 ? ELEM : ELEM * 4;
        par('unary', n, min, (lo, hi) => [code, px, po, lo, hi, log1pTable], 4);
      });
    },

    binary(op, n, a, b, out) {
      checkBinary(n, a, b, out);
      const code = BINARY_OPS[op];
      if (code === undefined) badOp('binary', op);
      call(() => {
        const pa = inp(a), pb = inp(b), po = outp(out);
        par('binary', n, ELEM * 4, (lo, hi) => [code, pa, pb, po, lo, hi], 4);
      });
    },

    axpby(n, a, x, b, y, out) {
      checkAxpby(n, x, y, out);
      call(() => {
        const px = inp(x), py = y === out ? outp(y) : inp(y), po = y === out ? py : outp(out);
        par('axpby', n, ELEM * 4, (lo, hi) => [a, px, b, py, po, lo, hi], 4);
      });
    },

    fill(n, value, out) {
      checkFill(n, out);
      call(() => {
        const po = outp(out);
        par('fill', n, ELEM * 8, (lo, hi) => [value, po, lo, hi], 4);
      });
    },

    unaryBackward(op, n, x, dy, dx) {
      checkUnaryBackward(n, x, dy, dx);
      const code = UNARY_OPS[op];
      if (code === undefined) badOp('unaryBackward', op);
      call(() => {
        const px = inp(x), pdy = dy === dx ? outp(dy) : inp(dy), pdx = dy === dx ? pdy : outp(dx);
        par('unaryBackward', n, code >= 14 ? 4096 : ELEM, (lo, hi) => [code, px, pdy, pdx, lo, hi], 4);
      });
    },

    dropout(n, p, seed, offset, x, out, mask) {
      checkDropout(n, x, out, mask);
      call(() => {
        const px = x === out ? outp(x) : inp(x), po = x === out ? px : outp(out), pm = outp(mask);
        par('dropout', n, ELEM, (lo, hi) => [p, seed, offset, dropoutScale(p), px, po, pm, lo, hi], 4);
      });
    },

    sum: (n, x) => sumImpl(n, x, 0),
    sumSquares: (n, x) => sumImpl(n, x, 1),

    ...wasmNnKernels({ par, call, inp, outp, scratch: (b) => ({ base: scratch(b), stride: () => scratchStride }), temp, buf, T, attnScratch: (Dh) => ex.attentionScratchBytes(Dh), lfTable, lfN: LFACT_N }),

    adamStep(n, param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      checkAdamStep(n, param, grad, m, v);
      call(() => {
        const pp = outp(param), pg = inp(grad), pm = outp(m), pv = outp(v);
        const hyper = adamScalars(lr, beta1, beta2, eps, weightDecay, decoupled, step);
        par('adamStep', n, ELEM, (lo, hi) => [pp, pg, pm, pv, ...hyper, lo, hi], 4);
      });
    },

    adamSteps(tensors, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      checkAdamSteps(tensors);
      let total = 0;
      for (const t of tensors) total += t.param.length;
      if (total === 0) return;
      call(() => {
        const table = temp('adamSteps', tensors.length * 20);
        const row = new Int32Array(buf(), table, tensors.length * 5);
        tensors.forEach((t, i) => row.set([outp(t.param), inp(t.grad), outp(t.m), outp(t.v), t.param.length], i * 5));
        const hyper = adamScalars(lr, beta1, beta2, eps, weightDecay, decoupled, step);
        par('adamSteps', total, ELEM, (lo, hi) => [table, tensors.length, ...hyper, lo, hi], 4);
      });
    },

    async close() {
      unregisterFinalizer(backend);
      await pool.close();
    },
  } as WasmBackend;
  // A backend dropped without close() stops its workers when it is garbage-collected (tests that
  // create many backends would otherwise keep one idle thread each until exit).
  finalizer.register(backend, pool, backend);
  return backend;
}

const finalizer = new FinalizationRegistry<Pool>((pool) => void pool.close());
const unregisterFinalizer = (b: object) => finalizer.unregister(b);

/** adamStep's scalar arguments after the four pointers, computed in float64 (elementwise.ts adamStep). */
function adamScalars(lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): number[] {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  return [beta1, beta2, 1 - beta1, 1 - beta2, eps, weightDecay, decoupled ? 1 : 0, 1 - lr * weightDecay, lr / bc1, 1 / Math.sqrt(bc2)];
}

function splitN(total: number, n: number, align: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = 0;
  for (let t = 0; t < n; t++) {
    const hi = t === n - 1 ? total : Math.min(total, Math.ceil(((t + 1) * total) / n / align) * align);
    if (hi > lo) out.push([lo, hi]);
    lo = Math.max(lo, hi);
  }
  return out;
}

