/**
 * Source of a pool worker, run with `new Worker(src, { eval: true })` so that the same code works
 * from src/ (tsx) and dist/ without a separate .js file to locate. The worker instantiates the
 * kernel module on the shared memory, then loops: wait on its generation word, run the kernel
 * named in its argument slot, decrement the pending counter, wake the main thread on the last one.
 */
export const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctlBuffer, argBuffer, names, index, slot, v8Flags, spin: SPIN } = workerData;
if (v8Flags) require('node:v8').setFlagsFromString(v8Flags);
const ctl = new Int32Array(ctlBuffer);
const args = new Float64Array(argBuffer);
let fns;
try {
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  fns = names.map((n) => inst.exports[n]);
  parentPort.postMessage({ ok: true });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String(e && e.message || e) });
}
let gen = 0;
while (fns) {
  // Kernels come back to back (a few us of JS between them): poll briefly before parking, so that
  // the next dispatch usually finds this thread running instead of waking it (tens of us on a VM).
  for (let i = 0; i < SPIN && Atomics.load(ctl, 8 + index) === gen; i++);
  Atomics.wait(ctl, 8 + index, gen);
  if (Atomics.load(ctl, 2) !== 0) break; // shutdown
  gen = Atomics.load(ctl, 8 + index);
  const base = index * slot;
  try {
    const f = fns[args[base]];
    const n = args[base + 1];
    f(...Array.from(args.subarray(base + 2, base + 2 + n)));
  } catch (e) {
    Atomics.store(ctl, 1, 1 + index);
  }
  if (Atomics.sub(ctl, 0, 1) === 1) Atomics.notify(ctl, 0);
}
`;
