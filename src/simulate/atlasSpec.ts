/**
 * The simulated atlas's design: gene programs, cell types (program activities) and the sources
 * that mirror the study's inputs. Composition effects come from which programs each source
 * exercises:
 * - bone marrow carries progenitor programs (HSC, GMP, ERY) that blood never varies, so a model
 *   trained on blood alone cannot reconstruct them, and adding bone marrow fixes that;
 * - the malignant training studies are heterogeneous like 3CA's hematologic collection (myeloid,
 *   B-ALL, T-ALL, CLL/lymphoma, myeloma-like cells in study-specific mixes): they share MALIG and
 *   the hematopoietic lineage programs (HSC, GMP, B, T, MONO, IMMUNE) with blood, bone marrow and
 *   the held-out AML study, which also has a study-private AMLX program; so a model trained on
 *   them alone is moderate on every blood-like set, and adding them helps the AML set a little;
 * - the TF atlas shares NEURO and EPI with the brain-like and skin-like sets (out of distribution);
 * - the Perturb-seq lines vary cell-line, stress and knockdown programs that nothing else uses,
 *   and every knocked-down essential gene has its own strong transcriptional signature (a random
 *   gene set, hitting blood-program genes too): many independent, high-variance directions that
 *   spend the model's 10 latent factors away from blood.
 */

/** Program names; each is a block of genes with positive log-fold loadings. */
export const PROGRAMS = [
  'IMMUNE', 'T', 'B', 'NK', 'MONO', // healthy blood
  'HSC', 'GMP', 'ERY', 'PROLIF', // progenitors (+ cycling)
  'MALIG', 'AMLX', // malignant blood: shared, and private to the held-out AML study
  'K562', 'JURKAT', 'STRESS1', 'STRESS2', 'STRESS3', // perturbed lines
  'PLURI', 'DIFF', 'NEURO', 'EPI', // TF atlas (NEURO, EPI shared with OOD)
  'NEUROX', 'SKINX', // private to the OOD sets
] as const;
export type Program = (typeof PROGRAMS)[number];

/** A cell type: mean activity per program (log-fold multiplier of the program loadings). */
export interface CellTypeSpec {
  readonly name: string;
  readonly programs: Partial<Record<Program, number>>;
}

const ct = (name: string, programs: Partial<Record<Program, number>>): CellTypeSpec => ({ name, programs });

export const CELL_TYPES = {
  T: ct('T cell', { IMMUNE: 1, T: 1 }),
  B: ct('B cell', { IMMUNE: 1, B: 1 }),
  NK: ct('natural killer cell', { IMMUNE: 1, NK: 1, T: 0.3 }),
  MONO: ct('classical monocyte', { IMMUNE: 1, MONO: 1 }),
  HSC: ct('hematopoietic stem cell', { HSC: 1.1, PROLIF: 0.4 }),
  GMP: ct('granulocyte monocyte progenitor', { HSC: 0.4, GMP: 1, PROLIF: 0.7, MONO: 0.3 }),
  ERY: ct('erythroid progenitor', { ERY: 1.1, PROLIF: 0.6, HSC: 0.2 }),
  // Malignant cells of the training studies (3CA hematologic: AML/MDS, ALL, CLL, lymphoma, MM).
  MAL_MYELOID: ct('Malignant', { MALIG: 0.8, HSC: 0.6, GMP: 0.6, MONO: 0.4, PROLIF: 0.7 }),
  MAL_BALL: ct('Malignant', { MALIG: 0.8, B: 0.8, IMMUNE: 0.5, HSC: 0.4, PROLIF: 0.8 }),
  MAL_TALL: ct('Malignant', { MALIG: 0.8, T: 0.9, IMMUNE: 0.6, HSC: 0.2, PROLIF: 0.7 }),
  MAL_CLL: ct('Malignant', { MALIG: 0.8, B: 1, IMMUNE: 0.9 }),
  MAL_MM: ct('Malignant', { MALIG: 0.8, B: 0.4, IMMUNE: 0.4, ERY: 0.3, PROLIF: 0.4 }),
  // The held-out AML study's malignant cells: less MALIG, a study-private AMLX program.
  AML: ct('Malignant', { MALIG: 0.35, AMLX: 1.4, HSC: 0.4, GMP: 0.3, PROLIF: 0.6 }),
  K562: ct('K562', { K562: 1.2, PROLIF: 1, ERY: 0.3, STRESS1: 1.2, STRESS2: 1.2, STRESS3: 1.2 }),
  JURKAT: ct('Jurkat', { JURKAT: 1.2, PROLIF: 1, T: 0.4, STRESS1: 1.2, STRESS2: 1.2, STRESS3: 1.2 }),
  ESC: ct('embryonic stem cell', { PLURI: 1.1, PROLIF: 0.6 }),
  TF_NEURO: ct('TF-induced neural-like', { DIFF: 0.8, NEURO: 0.9, PLURI: 0.3 }),
  TF_EPI: ct('TF-induced epithelial-like', { DIFF: 0.8, EPI: 0.9, PLURI: 0.3 }),
  TF_HEME: ct('TF-induced hematopoietic-like', { DIFF: 0.8, HSC: 0.5, GMP: 0.4, PLURI: 0.3 }),
  NEURON: ct('neuron', { NEURO: 1, NEUROX: 0.9 }),
  SKIN: ct('Malignant', { EPI: 1, SKINX: 0.9, PROLIF: 0.5, MALIG: 0.2 }),
} as const satisfies Record<string, CellTypeSpec>;
export type CellTypeKey = keyof typeof CELL_TYPES;

/** How a simulated file names its genes and labels QC inputs (mirrors the real inputs). */
export type GeneStyle =
  | 'sctab' // index = id; var feature_id, feature_name
  | 'symbols' // index = symbol (3CA, Joung)
  | 'tenx' // index = id; var gene_name (Perturb-seq MEX collations)
  | 'versioned'; // index = versioned id (ENSG...N.1); var Gene (Siletti)

export interface SourceSpec {
  /** file name stem: <name>.h5ad */
  readonly name: string;
  readonly role: string;
  /** cells at scale 1 */
  readonly nCells: number;
  /** cell type mix (weights); with `batchTypes`, the union of the batches' types (informational) */
  readonly types: Partial<Record<CellTypeKey, number>>;
  readonly geneStyle: GeneStyle;
  /** fraction of genes this file lacks (drives the intersection) */
  readonly dropGenes: number;
  /** batches (dataset_id / study / gem_group values) */
  readonly batches: readonly string[];
  readonly kind: 'sctab' | 'cca' | 'perturb' | 'tf' | 'brain';
  /** extra constant obs columns */
  readonly constants?: Readonly<Record<string, string>>;
  /**
   * per-batch cell type mixes (studies that differ in what they sampled); when given, a cell's
   * batch is drawn first (uniformly) and its type from that batch's mix instead of `types`
   */
  readonly batchTypes?: Readonly<Record<string, Partial<Record<CellTypeKey, number>>>>;
}

/**
 * The files `scmix simulate` writes. Training sources and evaluation sets are separate files (as
 * in the study); 3CA-like malignant cells hold the held-out AML study `vanGalen2019sim`, which the
 * demo removes from training with a filter and keeps for evaluation.
 */
export const SOURCES: readonly SourceSpec[] = [
  { name: 'blood', role: 'healthy blood (scTab blood TRAIN)', nCells: 3000, types: { T: 4, B: 2, NK: 1.5, MONO: 2.5 }, geneStyle: 'sctab', dropGenes: 0, batches: ['dsA', 'dsB', 'dsC'], kind: 'sctab', constants: { tissue_general: 'blood' } },
  { name: 'blood_test', role: 'healthy blood (scTab blood TEST; eval)', nCells: 600, types: { T: 4, B: 2, NK: 1.5, MONO: 2.5 }, geneStyle: 'sctab', dropGenes: 0, batches: ['dsD'], kind: 'sctab', constants: { tissue_general: 'blood' } },
  { name: 'bone_marrow', role: 'bone marrow (scTab bone marrow TRAIN+TEST)', nCells: 1500, types: { HSC: 2, GMP: 2, ERY: 2, MONO: 1, B: 1, T: 1 }, geneStyle: 'sctab', dropGenes: 0, batches: ['bmA', 'bmB'], kind: 'sctab', constants: { tissue_general: 'bone marrow' } },
  { name: 'bone_marrow_val', role: 'bone marrow (scTab VAL; eval)', nCells: 600, types: { HSC: 2, GMP: 2, ERY: 2, MONO: 1, B: 1, T: 1 }, geneStyle: 'sctab', dropGenes: 0, batches: ['bmC'], kind: 'sctab', constants: { tissue_general: 'bone marrow' } },
  { name: 'cca_hematologic', role: '3CA hematologic (malignant + TME; holds the held-out AML study)', nCells: 2400, types: { MAL_MYELOID: 2, MAL_BALL: 1, MAL_TALL: 1, MAL_CLL: 1, MAL_MM: 1, AML: 2, T: 1, MONO: 1 }, geneStyle: 'symbols', dropGenes: 0.02, batches: ['Tyler2024sim', 'Gavish2023sim', 'vanGalen2019sim'], kind: 'cca',
    batchTypes: {
      Tyler2024sim: { MAL_MYELOID: 3, MAL_BALL: 2, MAL_TALL: 1, T: 1, MONO: 1 }, // leukemias
      Gavish2023sim: { MAL_CLL: 3, MAL_MM: 2, MAL_MYELOID: 1, T: 1, MONO: 1 }, // CLL, myeloma, MDS
      vanGalen2019sim: { AML: 6, T: 1, MONO: 1 }, // the held-out AML study
    } },
  { name: 'k562', role: 'Perturb-seq K562 essential', nCells: 1200, types: { K562: 1 }, geneStyle: 'tenx', dropGenes: 0.01, batches: ['1', '2', '3'], kind: 'perturb' },
  { name: 'jurkat', role: 'Perturb-seq Jurkat essential', nCells: 1200, types: { JURKAT: 1 }, geneStyle: 'tenx', dropGenes: 0.01, batches: ['1', '2', '3'], kind: 'perturb' },
  { name: 'tf_atlas', role: 'TF differentiation atlas (Joung-like)', nCells: 2400, types: { ESC: 1, TF_NEURO: 1.5, TF_EPI: 1.5, TF_HEME: 1 }, geneStyle: 'symbols', dropGenes: 0.02, batches: ['r1', 'r2'], kind: 'tf' },
  { name: 'brain', role: 'brain neurons (Siletti-like; OOD eval)', nCells: 600, types: { NEURON: 1 }, geneStyle: 'versioned', dropGenes: 0, batches: ['H18.30.002'], kind: 'brain' },
  { name: 'skin_scc', role: 'skin SCC malignant cells (Ji2020-like; eval)', nCells: 600, types: { SKIN: 1 }, geneStyle: 'symbols', dropGenes: 0.01, batches: ['Ji2020sim'], kind: 'cca' },
];

/** The 13 human mitochondrial protein-coding genes (chrM), in genome order. */
export const MT_GENES = ['MT-ND1', 'MT-ND2', 'MT-CO1', 'MT-CO2', 'MT-ATP8', 'MT-ATP6', 'MT-CO3', 'MT-ND3', 'MT-ND4L', 'MT-ND4', 'MT-ND5', 'MT-ND6', 'MT-CYB'] as const;
