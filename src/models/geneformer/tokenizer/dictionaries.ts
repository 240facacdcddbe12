/**
 * Geneformer vocabulary assets: token dictionary (gene id -> token id, with <pad>=0, <mask>=1 and
 * for V2 <cls>/<eos>), gene median dictionary (gene id -> non-zero CP10k median) and the optional
 * symbol -> Ensembl map. Read from Geneformer's own pickles or from the JSON form
 * (../shared/data/geneformer-v1/*.json, or what `computeDictionaries` writes).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ScmixError } from '../../../errors.js';
import { readPickleDict, type PickleDictValue } from './readPickleDict.js';

/** Loaded dictionaries. Maps keep file order. */
export interface GeneformerDictionaries {
  /** token dictionary: gene id (or special token) -> token id; ids are 0..size-1 */
  readonly tokens: ReadonlyMap<string, number>;
  /** gene id -> normalisation factor (non-zero CP10k median); every non-special token has one */
  readonly medians: ReadonlyMap<string, number>;
  /** gene symbol -> gene id (gene_name_id_dict), when present */
  readonly nameToId?: ReadonlyMap<string, string>;
  /** number of token ids (= vocab_size of the model) */
  readonly vocabSize: number;
  /** ids of the special tokens present */
  readonly special: { readonly pad: number; readonly mask: number; readonly cls?: number; readonly eos?: number };
  /** where each part came from: { file, sha256 } */
  readonly files: { readonly tokens: FileRef; readonly medians: FileRef; readonly nameToId?: FileRef };
}
export interface FileRef {
  readonly file: string;
  readonly sha256: string;
}

/** Tokens that are not genes. */
export const SPECIAL_TOKENS = ['<pad>', '<mask>', '<cls>', '<eos>'] as const;

const PARTS = {
  tokens: 'token_dictionary',
  medians: 'gene_median_dictionary',
  nameToId: 'gene_name_id_dict',
} as const;

/**
 * Load dictionaries from a folder holding `token_dictionary*.{pkl,json}`,
 * `gene_median_dictionary*.{pkl,json}` and optionally `gene_name_id_dict*.{pkl,json}`
 * (e.g. Geneformer's package folder, ../shared/data/geneformer-v1/, or a folder written by
 * `writeDictionaries`).
 * @throws INPUT_MISSING when the folder or a required file is absent
 * @throws INPUT_FORMAT when a file is neither a supported pickle nor a JSON object, or a name is ambiguous
 * @throws INPUT_VALUE when the contents break the rules (<pad>=0, <mask>=1, ids 0..n-1 unique,
 *   a positive finite median for every gene token)
 */
export function loadGeneformerDictionaries(dir: string): GeneformerDictionaries {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ScmixError('INPUT_MISSING', `dictionary folder ${dir} does not exist`, {
      hint: 'pass a folder with token_dictionary + gene_median_dictionary (.pkl or .json), e.g. ../shared/data/geneformer-v1',
    });
  }
  const names = readdirSync(dir).sort();
  const find = (stem: string, required: boolean): string | undefined => {
    const hits = names.filter((n) => n.startsWith(stem) && !n.startsWith('.'));
    if (hits.length === 0) {
      if (!required) return undefined;
      throw new ScmixError('INPUT_MISSING', `${dir}: no ${stem}*.pkl or ${stem}*.json`, {
        hint: 'a dictionary folder needs token_dictionary and gene_median_dictionary files',
      });
    }
    if (hits.length > 1) {
      throw new ScmixError('INPUT_FORMAT', `${dir}: several candidates for ${stem}: ${hits.join(', ')}`, {
        hint: 'keep one file per dictionary in the folder',
      });
    }
    return join(dir, hits[0]);
  };
  const tokFile = find(PARTS.tokens, true) as string;
  const medFile = find(PARTS.medians, true) as string;
  const nameFile = find(PARTS.nameToId, false);
  const tok = readDictFile(tokFile);
  const med = readDictFile(medFile);
  const names2 = nameFile ? readDictFile(nameFile) : undefined;
  return buildDictionaries(tok.map, med.map, names2?.map, {
    tokens: { file: tokFile, sha256: tok.sha256 },
    medians: { file: medFile, sha256: med.sha256 },
    nameToId: nameFile && names2 ? { file: nameFile, sha256: names2.sha256 } : undefined,
  });
}

/**
 * Read one dictionary file (.pkl via the strict pickle reader, .json as a flat object).
 * @throws INPUT_FORMAT for other extensions or malformed content
 */
export function readDictFile(file: string): { map: Map<string, PickleDictValue>; sha256: string } {
  if (!existsSync(file)) throw new ScmixError('INPUT_MISSING', `${file} does not exist`);
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = basename(file).toLowerCase();
  if (name.endsWith('.pkl') || name.endsWith('.pickle')) return { map: readPickleDict(bytes, file), sha256 };
  if (name.endsWith('.json')) {
    let obj: unknown;
    try {
      obj = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new ScmixError('INPUT_FORMAT', `${file}: invalid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new ScmixError('INPUT_FORMAT', `${file}: expected a JSON object of name -> value`);
    }
    const map = new Map<string, PickleDictValue>();
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v !== 'number' && typeof v !== 'string') {
        throw new ScmixError('INPUT_FORMAT', `${file}: value of '${k}' is ${typeof v}; expected a number or string`);
      }
      map.set(k, v);
    }
    return { map, sha256 };
  }
  throw new ScmixError('INPUT_FORMAT', `${file}: unknown dictionary format (expected .pkl or .json)`, {
    hint: "Geneformer's token_dictionary.pkl / gene_median_dictionary.pkl or their JSON copies",
  });
}

/**
 * Validate and assemble dictionaries from plain maps.
 * @throws INPUT_VALUE when a rule is broken (see loadGeneformerDictionaries)
 */
export function buildDictionaries(
  tokRaw: ReadonlyMap<string, PickleDictValue>,
  medRaw: ReadonlyMap<string, PickleDictValue>,
  nameRaw: ReadonlyMap<string, PickleDictValue> | undefined,
  files: GeneformerDictionaries['files'],
): GeneformerDictionaries {
  const bad = (file: string, msg: string): never => {
    throw new ScmixError('INPUT_VALUE', `${file}: ${msg}`);
  };
  const tokens = new Map<string, number>();
  const seen = new Set<number>();
  for (const [k, v] of tokRaw) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(files.tokens.file, `token id of '${k}' is ${v}; expected a non-negative integer`);
    if (seen.has(v as number)) bad(files.tokens.file, `token id ${v} is used twice`);
    seen.add(v as number);
    tokens.set(k, v as number);
  }
  if (tokens.get('<pad>') !== 0) bad(files.tokens.file, `'<pad>' must be token 0 (got ${tokens.get('<pad>')})`);
  if (tokens.get('<mask>') !== 1) bad(files.tokens.file, `'<mask>' must be token 1 (got ${tokens.get('<mask>')})`);
  const vocabSize = tokens.size;
  for (const id of seen) if (id >= vocabSize) bad(files.tokens.file, `token ids must be 0..${vocabSize - 1}; found ${id}`);
  const medians = new Map<string, number>();
  for (const [k, v] of medRaw) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(files.medians.file, `median of '${k}' is ${v}; expected a positive finite number`);
    medians.set(k, v as number);
  }
  for (const k of tokens.keys()) {
    if ((SPECIAL_TOKENS as readonly string[]).includes(k)) continue;
    if (!medians.has(k)) bad(files.medians.file, `gene '${k}' of the token dictionary has no median`);
  }
  let nameToId: Map<string, string> | undefined;
  if (nameRaw && files.nameToId) {
    nameToId = new Map();
    for (const [k, v] of nameRaw) {
      if (typeof v !== 'string') bad(files.nameToId.file, `id of symbol '${k}' is ${typeof v}; expected a string`);
      nameToId.set(k, v as string);
    }
  }
  return {
    tokens,
    medians,
    nameToId,
    vocabSize,
    special: { pad: 0, mask: 1, cls: tokens.get('<cls>'), eos: tokens.get('<eos>') },
    files,
  };
}
