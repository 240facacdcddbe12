import { ScmixError } from '../errors.js';

/**
 * An integer flag `--name` of at least `min`, rejected with one message wherever it is parsed.
 * An option that was not given (undefined) stays undefined so callers keep their own defaults.
 */
export function intFlag(name: string, v: string, min: number): number;
export function intFlag(name: string, v: string | undefined, min: number): number | undefined;
export function intFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ScmixError('CONFIG_INVALID', `--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}
