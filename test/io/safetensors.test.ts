import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../support/paths.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';

const GOLDEN = fixture('ldvae', 'ldvae-golden.safetensors');

test('round trip keeps names, dtypes, shapes, values and metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  const p = join(dir, 'a.safetensors');
  writeSafetensors(p, {
    'w/layer.weight': { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6]) },
    count: { dtype: 'I64', shape: [1], data: BigInt64Array.from([7n]) },
    flags: { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    d: { shape: [], data: Float64Array.from([Math.PI]) },
  }, { format: 'pt' });
  const { tensors, metadata } = readSafetensors(p);
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual(Array.from(tensors.get('w/layer.weight')!.data as Float32Array), [1, -2, 3.5, 4, 5, 6]);
  assert.deepEqual(tensors.get('w/layer.weight')!.shape, [2, 3]);
  assert.equal((tensors.get('count')!.data as BigInt64Array)[0], 7n);
  assert.equal(tensors.get('flags')!.dtype, 'BOOL');
  assert.equal((tensors.get('d')!.data as Float64Array)[0], Math.PI);
  assert.deepEqual(readdirSync(dir), ['a.safetensors'], 'no temp file left behind');
});

test('byte layout matches the spec by hand: header length, 8-aligned data, offsets', () => {
  const bytes = encodeSafetensors({ x: { shape: [2], data: Float32Array.from([1, 2]) } });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.slice(8, 8 + n)).toString());
  assert.deepEqual(header.x, { dtype: 'F32', shape: [2], data_offsets: [0, 8] });
  assert.deepEqual(Array.from(new Float32Array(bytes.slice(8 + n).buffer)), [1, 2]);
});

test('encoding is deterministic regardless of insertion order', () => {
  const a = encodeSafetensors({ b: { shape: [1], data: Float32Array.from([1]) }, a: { shape: [1], data: Float64Array.from([2]) } });
  const b = encodeSafetensors({ a: { shape: [1], data: Float64Array.from([2]) }, b: { shape: [1], data: Float32Array.from([1]) } });
  assert.deepEqual(a, b);
});

test('truncated and corrupt files give INPUT_FORMAT naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  const good = encodeSafetensors({ x: { shape: [4], data: new Float32Array(4) } });
  const p = join(dir, 'cut.safetensors');
  writeFileSync(p, good.slice(0, good.length - 3));
  assert.throws(() => readSafetensors(p), (e: any) => e.code === 'INPUT_FORMAT' && e.message.includes('cut.safetensors'));
  writeFileSync(p, Buffer.from('hello'));
  assert.throws(() => readSafetensors(p), (e: any) => e.code === 'INPUT_FORMAT');
  assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), (e: any) => e.code === 'INPUT_MISSING');
});

test('shape/data mismatch is refused on write', () => {
  assert.throws(() => encodeSafetensors({ x: { shape: [3], data: new Float32Array(4) } }), (e: any) => e.code === 'SHAPE_MISMATCH');
});

test('F16 and BF16 are widened to float32 on read', () => {
  // header written by hand: 1.0 (0x3c00) and -2.0 (0xc000) in F16; 1.0 (0x3f80) in BF16
  const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
  const hb = Buffer.from(header);
  const buf = new Uint8Array(8 + hb.length + 6);
  new DataView(buf.buffer).setBigUint64(0, BigInt(hb.length), true);
  buf.set(hb, 8);
  const d = new DataView(buf.buffer, 8 + hb.length);
  d.setUint16(0, 0x3c00, true); d.setUint16(2, 0xc000, true); d.setUint16(4, 0x3f80, true);
  const { tensors } = decodeSafetensors(buf);
  assert.deepEqual(Array.from(tensors.get('h')!.data as Float32Array), [1, -2]);
  assert.deepEqual(Array.from(tensors.get('b')!.data as Float32Array), [1]);
});

test('reads the scvi-tools golden vectors file written by the Python safetensors library', () => {
  const { tensors } = readSafetensors(GOLDEN);
  const x = tensors.get('x')!;
  assert.equal(x.dtype, 'F32');
  assert.equal(x.shape.length, 2);
  assert.ok(tensors.has('w/px_r'));
  assert.equal(tensors.get('w/px_r')!.shape[0], x.shape[1]);
});
