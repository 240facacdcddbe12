/**
 * Typed door to scran.js 4.0.9 (ESM, no .d.ts): only the calls this room uses. The module is
 * imported by a computed specifier so TypeScript does not look for declarations; the interface
 * below is the shim. `withScran` initialises the wasm once and terminates its worker threads at
 * the end (otherwise they keep Node alive) -- unless someone else had already initialised it.
 */
export interface ScranNeighborIndex {
  free(): void;
}
export interface ScranNeighbors {
  serialize(): { runs: Int32Array; indices: Int32Array; distances: Float64Array };
  free(): void;
}
export interface ScranGraph {
  free(): void;
}
export interface ScranClustering {
  membership(opts?: { level?: number | null }): Int32Array;
  free(): void;
}
export interface ScranApi {
  initialize(opts: { numberOfThreads: number }): Promise<boolean>;
  terminate(): void;
  buildNeighborSearchIndex(x: Float64Array, opts: { numberOfDims: number; numberOfCells: number; approximate?: boolean }): ScranNeighborIndex;
  findNearestNeighbors(index: ScranNeighborIndex, k: number, opts?: { numberOfThreads?: number }): ScranNeighbors;
  buildSnnGraph(x: ScranNeighbors | ScranNeighborIndex, opts?: { scheme?: 'rank' | 'number' | 'jaccard'; neighbors?: number; numberOfThreads?: number }): ScranGraph;
  clusterGraph(g: ScranGraph, opts?: { method?: 'multilevel' | 'leiden' | 'walktrap'; multiLevelResolution?: number; leidenResolution?: number; leidenModularityObjective?: boolean }): ScranClustering;
  runUmap(x: ScranNeighbors, opts?: { epochs?: number; minDist?: number; numberOfThreads?: number }): { x: Float64Array; y: Float64Array };
}

let users = 0;
let owned = false;
let api: ScranApi | undefined;

/**
 * Run `fn` with an initialised scran.js. Nested and concurrent calls share one initialisation;
 * the last one out terminates the threads if this module started them.
 */
export async function withScran<T>(fn: (scran: ScranApi) => T | Promise<T>, opts: { threads?: number } = {}): Promise<T> {
  if (!api) {
    const spec = 'scran.js';
    api = (await import(spec)) as ScranApi;
  }
  const s = api;
  if (users === 0) owned = await s.initialize({ numberOfThreads: opts.threads ?? 2 });
  users++;
  try {
    return await fn(s);
  } finally {
    users--;
    if (users === 0 && owned) {
      s.terminate();
      owned = false;
    }
  }
}
