/**
 * A small, strict reader for the pickles Geneformer ships its dictionaries in
 * (`token_dictionary.pkl`, `gene_median_dictionary.pkl`, `gene_name_id_dict.pkl`).
 *
 * Those files are one flat dict: str -> int | float | str, where numbers may be numpy scalars,
 * pickled as REDUCE(numpy.core.multiarray.scalar, (numpy.dtype('i2'|'f8'...), raw_bytes)).
 * Only the opcodes such a file can contain (protocols 2-5) are implemented, and only three
 * callables are accepted: `numpy(.core|._core).multiarray.scalar`, `numpy.dtype` and
 * `_codecs.encode` (protocol 2 stores bytes as latin-1 text). Anything else -- another global,
 * a nested container as a value, a non-string key -- is refused with INPUT_FORMAT, because
 * executing arbitrary pickle callables is how pickles run code.
 */
import { ScmixError } from '../../../errors.js';

/** A value of a Geneformer dictionary pickle. */
export type PickleDictValue = number | string;

type Global = { kind: 'global'; name: string };
type DType = { kind: 'dtype'; code: string; order: string };
type Mark = { kind: 'mark' };
type PyVal =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | PyVal[]
  | Map<string, PyVal>
  | Global
  | DType
  | Mark
  | { kind: 'tuple'; items: PyVal[] };

const MARK: Mark = { kind: 'mark' };
const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.dtype',
  '_codecs.encode',
]);

/**
 * Parse a pickled flat dict of str -> number|str.
 * @param bytes the pickle file content
 * @param source file name used in error messages
 * @returns the entries in file order
 * @throws INPUT_FORMAT for any opcode, global or structure outside that subset
 */
export function readPickleDict(bytes: Uint8Array, source: string): Map<string, PickleDictValue> {
  const fail = (msg: string): never => {
    throw new ScmixError('INPUT_FORMAT', `${source}: not a supported dictionary pickle: ${msg}`, {
      hint: 'expected a Geneformer dictionary pickle (a flat dict of str -> int/float/str, protocol 2-5), or use the JSON form',
    });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`truncated at byte ${pos}`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} beyond the end of the file`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('invalid UTF-8 string');
    }
  };

  const stack: PyVal[] = [];
  const memo = new Map<number, PyVal>();
  const pop = (): PyVal => (stack.length === 0 ? fail('stack underflow') : (stack.pop() as PyVal));
  const popToMark = (): PyVal[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.slice(i + 1);
        stack.length = i;
        return items;
      }
    }
    return fail('no MARK on the stack');
  };
  const setItem = (d: PyVal, k: PyVal, v: PyVal) => {
    if (!(d instanceof Map)) return fail('SETITEM target is not a dict');
    if (typeof k !== 'string') return fail(`dict key of type ${describe(k)}; only str keys are supported`);
    d.set(k, v);
  };
  const tuple = (items: PyVal[]): PyVal => ({ kind: 'tuple', items });

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() < 2) fail('protocol below 2');
        break;
      case 0x95: // FRAME: framing is only a read-ahead hint
        u64();
        break;
      case 0x2e: {
        // STOP
        const result = pop();
        if (!(result instanceof Map)) return fail(`top-level object is ${describe(result)}, not a dict`);
        const out = new Map<string, PickleDictValue>();
        for (const [k, v] of result) {
          if (typeof v === 'number' || typeof v === 'string') out.set(k, v);
          else if (typeof v === 'bigint') out.set(k, Number(v));
          else fail(`value of key '${k}' is ${describe(v)}; only int/float/str values are supported`);
        }
        return out;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(stack[stack.length - 1], k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        if (items.length % 2) fail('odd number of items in SETITEMS');
        const d = stack[stack.length - 1];
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(tuple(popToMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64())));
        break;
      case 0x55: // SHORT_BINSTRING (py2 str)
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian float64)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x71: // BINPUT
        memo.set(u8(), stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const idx = op === 0x68 ? u8() : u32();
        if (!memo.has(idx)) fail(`memo entry ${idx} missing`);
        stack.push(memo.get(idx) as PyVal);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const mod = line();
        const name = line();
        stack.push(global(`${mod}.${name}`, fail));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(`${mod}.${name}`, fail));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: only numpy.dtype's state tuple (version, byteorder, ...)
        const state = pop();
        const obj = stack[stack.length - 1];
        if (!isDType(obj) || !isTuple(state)) fail('BUILD on something other than numpy.dtype');
        const order = (state as { items: PyVal[] }).items[1];
        if (typeof order === 'string') (obj as DType).order = order;
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1} is not supported`);
    }
  }
}

function global(name: string, fail: (m: string) => never): Global {
  if (!ALLOWED_GLOBALS.has(name)) fail(`refusing to load global '${name}'`);
  return { kind: 'global', name };
}

function isTuple(v: PyVal): v is { kind: 'tuple'; items: PyVal[] } {
  return typeof v === 'object' && v !== null && !(v instanceof Map) && !(v instanceof Uint8Array) && !Array.isArray(v) && v.kind === 'tuple';
}
function isDType(v: PyVal): v is DType {
  return typeof v === 'object' && v !== null && !(v instanceof Map) && !(v instanceof Uint8Array) && !Array.isArray(v) && v.kind === 'dtype';
}

function reduce(fn: PyVal, args: PyVal, fail: (m: string) => never): PyVal {
  if (typeof fn !== 'object' || fn === null || !('kind' in fn) || fn.kind !== 'global') return fail('REDUCE on a non-callable');
  if (!isTuple(args)) return fail('REDUCE arguments are not a tuple');
  const a = args.items;
  switch (fn.name) {
    case 'numpy.dtype': {
      if (typeof a[0] !== 'string') return fail('numpy.dtype needs a type code');
      return { kind: 'dtype', code: a[0], order: '<' };
    }
    case '_codecs.encode': {
      if (typeof a[0] !== 'string' || a[1] !== 'latin1') return fail('_codecs.encode other than latin1 text');
      const s = a[0];
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) return fail('latin1 text with a character above 255');
        out[i] = c;
      }
      return out;
    }
    default: {
      // numpy scalar: (dtype, raw bytes)
      const dt = a[0];
      const raw = a[1];
      if (!isDType(dt) || !(raw instanceof Uint8Array)) return fail('numpy scalar without (dtype, bytes)');
      return decodeScalar(dt, raw, fail);
    }
  }
}

function decodeScalar(dt: DType, raw: Uint8Array, fail: (m: string) => never): number {
  const m = /^([<>|=]?)([iuf])(\d)$/.exec(dt.code);
  if (!m) return fail(`numpy scalar of dtype '${dt.code}' is not supported (ints and floats only)`);
  const kind = m[2];
  const size = Number(m[3]);
  if (raw.length !== size) return fail(`numpy scalar '${dt.code}' with ${raw.length} bytes`);
  const little = (m[1] || dt.order) !== '>';
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (kind === 'f' && size === 8) return v.getFloat64(0, little);
  if (kind === 'f' && size === 4) return v.getFloat32(0, little);
  if (kind === 'i' && size === 1) return v.getInt8(0);
  if (kind === 'u' && size === 1) return v.getUint8(0);
  if (kind === 'i' && size === 2) return v.getInt16(0, little);
  if (kind === 'u' && size === 2) return v.getUint16(0, little);
  if (kind === 'i' && size === 4) return v.getInt32(0, little);
  if (kind === 'u' && size === 4) return v.getUint32(0, little);
  if (kind === 'i' && size === 8) return Number(v.getBigInt64(0, little));
  if (kind === 'u' && size === 8) return Number(v.getBigUint64(0, little));
  return fail(`numpy scalar of dtype '${dt.code}' is not supported`);
}

function describe(v: PyVal): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return v.kind === 'tuple' ? 'a tuple' : v.kind;
  return typeof v;
}
