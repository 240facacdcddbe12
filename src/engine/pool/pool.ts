/**
 * Persistent worker_threads pool sharing one WasmMemory. The main thread takes the first
 * share of every kernel itself; workers take the others. Dispatch and join use Atomics on a small
 * SharedArrayBuffer (a futex wake, ~5-20 us) rather than messages (~20-50 us per round trip).
 * Workers are unref'd, so an idle pool never keeps the process alive.
 */
import type { WasmMemory, WasmModule } from '../backends/wasmApi.js';
import { Worker } from 'node:worker_threads';
import { ScmixError } from '../../errors.js';
import { WORKER_SOURCE } from './workerSource.js';

const SLOT = 40; // float64 words per worker: fn index, arg count, up to 38 args

export interface Pool {
  readonly threads: number; // including the main thread
  /**
   * Runs kernel `fn` with perThread[t] as arguments on thread t (t = 0 is the main thread) and
   * returns when all have finished. perThread.length <= threads.
   */
  run(fn: number, perThread: number[][]): void;
  close(): Promise<void>;
}

export interface PoolOptions {
  threads: number;
  module: WasmModule;
  memory: WasmMemory;
  /** export names; `run` takes an index into this list */
  names: string[];
  /** the main thread's own instance exports, in `names` order */
  mainFns: ((...a: number[]) => unknown)[];
  /** V8 flags the workers set before instantiating (relaxed SIMD on Node 20) */
  v8Flags?: string;
  /**
   * A kernel share takes milliseconds; a worker that has not finished after this long is gone
   * (killed, out of memory), so `run` fails with ENGINE_FAILURE instead of waiting forever, and the
   * pool refuses further work. Default 300 s.
   */
  joinLimitMs?: number;
  /**
   * Polls (~5 ns each) a thread makes on a control word before parking on it: a worker after its
   * share (the next kernel of a training step usually comes within microseconds), the main thread
   * waiting for the workers' shares. Waking a parked thread costs tens of microseconds on a VM.
   * Default 20,000 (~100 us); 0 parks at once. An idle pool costs nothing: polling only follows a kernel.
   */
  spin?: number;
}

export async function createPool(opts: PoolOptions): Promise<Pool> {
  const nWorkers = Math.max(0, opts.threads - 1);
  const spin = Math.max(0, Math.floor(opts.spin ?? 20_000));
  const ctlBuffer = new SharedArrayBuffer(4 * (8 + Math.max(1, nWorkers)));
  const argBuffer = new SharedArrayBuffer(8 * SLOT * Math.max(1, nWorkers));
  const ctl = new Int32Array(ctlBuffer);
  const args = new Float64Array(argBuffer);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let index = 0; index < nWorkers; index++) {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      // The source is a CommonJS script: do not inherit flags such as --input-type=module or
      // loaders (tsx) from the parent; V8 flags the kernels need travel in workerData instead.
      execArgv: [],
      workerData: { module: opts.module, memory: opts.memory, ctlBuffer, argBuffer, names: opts.names, index, slot: SLOT, v8Flags: opts.v8Flags, spin },
    });
    ready.push(new Promise((resolve, reject) => {
      w.once('message', (m: { ok: boolean; message?: string }) => (m.ok ? resolve() : reject(new Error(m.message))));
      w.once('error', reject);
    }));
    workers.push(w);
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw new ScmixError('ENGINE_NOT_READY', `engine worker failed to start: ${(e as Error).message}`, { cause: e });
  }
  for (const w of workers) w.unref();
  let closed = false;
  const joinLimitMs = opts.joinLimitMs ?? 300_000;

  return {
    threads: nWorkers + 1,
    run(fn, perThread) {
      if (closed) throw new ScmixError('ENGINE_FAILURE', 'the engine pool was closed');
      const n = perThread.length;
      if (n === 0) return;
      if (n > nWorkers + 1) throw new ScmixError('INTERNAL', `pool.run: ${n} shares for ${nWorkers + 1} threads`);
      if (n > 1) {
        Atomics.store(ctl, 1, 0);
        Atomics.store(ctl, 0, n - 1);
        for (let t = 1; t < n; t++) {
          const base = (t - 1) * SLOT;
          const a = perThread[t];
          args[base] = fn;
          args[base + 1] = a.length;
          for (let i = 0; i < a.length; i++) args[base + 2 + i] = a[i];
          Atomics.add(ctl, 8 + t - 1, 1);
          Atomics.notify(ctl, 8 + t - 1, 1);
        }
      }
      let mainError: unknown;
      try {
        opts.mainFns[fn](...perThread[0]);
      } catch (e) {
        mainError = e;
      }
      if (n > 1) {
        for (let i = 0; i < spin && Atomics.load(ctl, 0) !== 0; i++);
        const t0 = Date.now();
        for (let p = Atomics.load(ctl, 0); p !== 0; p = Atomics.load(ctl, 0)) {
          if (Atomics.wait(ctl, 0, p, 1000) === 'timed-out' && Date.now() - t0 > joinLimitMs) {
            closed = true; // the workers' state is unknown now: no further work on this pool
            throw new ScmixError('ENGINE_FAILURE', `kernel ${opts.names[fn]}: ${p} worker thread(s) did not finish within ${joinLimitMs / 1000} s`, {
              hint: 'rerun with --threads 1; if it persists, report it with the command you ran',
            });
          }
        }
      }
      const failed = Atomics.load(ctl, 1);
      if (mainError !== undefined || (n > 1 && failed !== 0)) {
        const where = mainError !== undefined ? 'main thread' : `worker ${failed - 1}`;
        throw new ScmixError('ENGINE_FAILURE', `kernel ${opts.names[fn]} failed on the ${where}: ${mainError ? (mainError as Error).message : 'trap'}`, { cause: mainError });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      Atomics.store(ctl, 2, 1);
      for (let t = 0; t < nWorkers; t++) {
        Atomics.add(ctl, 8 + t, 1);
        Atomics.notify(ctl, 8 + t);
      }
      // ref() again so that the process waits for the workers' exit events.
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
        w.ref();
        w.once('exit', () => resolve());
      })));
    },
  };
}
