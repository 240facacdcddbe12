import { join } from 'node:path';
import { writeFileAtomic } from '../../../io/index.js';
import { dictionaryJsonFiles } from './computeDictionaries.js';
import type { GeneformerDictionaries } from './dictionaries.js';

/**
 * Write dictionaries as JSON (`token_dictionary.json`, `gene_median_dictionary.json`, and
 * `gene_name_id_dict.json` when present) into `dir`, atomically per file.
 * `loadGeneformerDictionaries(dir)` reads them back.
 */
export function writeDictionaries(dir: string, dicts: GeneformerDictionaries): void {
  for (const [name, content] of Object.entries(dictionaryJsonFiles(dicts))) writeFileAtomic(join(dir, name), content);
}
