/**
 * The slice of the WebAssembly JS API the engine uses, typed locally: the project compiles with
 * lib ES2022 only (no DOM lib, where these types normally live), and a local wrapper avoids
 * declaring globals that could clash if another room adds the DOM lib later.
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
export type WasmModule = object;
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
