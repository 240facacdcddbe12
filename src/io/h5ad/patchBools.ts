/**
 * Write the queued booleans as HDF5 ENUM int8 {FALSE: 0, TRUE: 1} (what h5py/numpy bool is on
 * disk) with scran.js's HDF5 API, after h5wasm has closed the file. anndata 0.8 requires this:
 * `ordered` must be a numpy bool and nullable masks a bool array (shared/docs/formats.md §2.2).
 * scran.js is initialised once with one thread, which starts no worker threads, so the process
 * can still exit without scran.terminate().
 */
import * as scran from 'scran.js';
import type { PendingBool } from './writeElem.js';

let ready: Promise<boolean> | undefined;

function openPath(file: scran.H5File, path: string): scran.H5Group | scran.H5DataSet {
  let cur: scran.H5Group | scran.H5DataSet = file;
  for (const part of path.split('/').filter(Boolean)) cur = (cur as scran.H5Group).open(part);
  return cur;
}

/** Apply every pending bool to the closed HDF5 file at `path`. */
export async function patchBools(path: string, pending: readonly PendingBool[], gzip: boolean): Promise<void> {
  if (pending.length === 0) return;
  ready ??= scran.initialize({ numberOfThreads: 1 });
  await ready;
  const file = new scran.H5File(path);
  const boolType = new scran.H5EnumType('Int8', { FALSE: 0, TRUE: 1 });
  const str = new scran.H5StringType('UTF-8', scran.H5StringType.variableLength);
  for (const p of pending) {
    if (p.kind === 'attribute') {
      openPath(file, p.path).writeAttribute(p.name, boolType, [], Int8Array.of(p.value ? 1 : 0));
      continue;
    }
    const g = openPath(file, p.group) as scran.H5Group;
    const n = p.values.length;
    // Scalars and empty arrays cannot be chunked; small arrays gain nothing from compression.
    const compress = gzip && !p.scalar && n > 0;
    const ds = g.writeDataSet(p.name, boolType, p.scalar ? [] : [n], p.values, {
      compression: compress ? 4 : 0,
      chunks: compress ? [Math.min(n, 1 << 18)] : null,
    });
    ds.writeAttribute('encoding-type', str, [], p.encoding);
    ds.writeAttribute('encoding-version', str, [], '0.2.0');
  }
}
