/**
 * Typed errors. Library code throws ScmixError; only src/cli catches, prints `message` + `hint`,
 * and maps `code` to an exit status. Branch on `code`, never on message text.
 */
export type ErrorCode =
  | 'CONFIG_INVALID' // study.yaml / config / CLI flag out of range
  | 'INPUT_MISSING' // file or folder does not exist
  | 'INPUT_FORMAT' // unreadable, truncated, unsupported encoding/filter (e.g. LZF)
  | 'INPUT_VALUE' // NaN, negative, non-integer counts where counts are required, empty cells
  | 'SHAPE_MISMATCH' // arrays / barcodes / features that do not line up
  | 'GENES_MISMATCH' // gene ids unknown, no overlap, or not the model's genes
  | 'CHECKPOINT_INCOMPATIBLE'
  | 'ENGINE_NOT_READY'
  | 'ENGINE_FAILURE'
  | 'NOT_ENOUGH_CELLS'
  | 'INTERRUPTED'
  | 'INTERNAL';

export class ScmixError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ScmixError';
    this.code = code;
    this.hint = opts.hint;
  }
}

/** Exit status per error code: 2 = the user's input or config, 3 = environment, 1 = our bug. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'CONFIG_INVALID':
    case 'INPUT_MISSING':
    case 'INPUT_FORMAT':
    case 'INPUT_VALUE':
    case 'SHAPE_MISMATCH':
    case 'GENES_MISMATCH':
    case 'CHECKPOINT_INCOMPATIBLE':
    case 'NOT_ENOUGH_CELLS':
      return 2;
    case 'ENGINE_NOT_READY':
    case 'ENGINE_FAILURE':
      return 3;
    case 'INTERRUPTED':
      return 130;
    default:
      return 1;
  }
}

export const isScmixError = (e: unknown): e is ScmixError => e instanceof ScmixError;
