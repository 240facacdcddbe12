/** simulate room: the synthetic multi-source atlas with known composition structure. */
export { simulateAtlas, type SimulateOptions, type SimulatedAtlas, type AtlasTruth } from './simulateAtlas.js';
export { writeAtlas, type WriteAtlasResult } from './writeAtlas.js';
export { SOURCES, PROGRAMS, CELL_TYPES, MT_GENES, type SourceSpec, type Program, type CellTypeSpec } from './atlasSpec.js';
