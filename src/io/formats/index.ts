/** io/formats: readers for the non-h5ad inputs (10x MEX, 3CA, GCT, CSV metadata) and a dispatcher. */
export { readMex, findMexFiles } from './mex.js';
export type { MexFiles, ReadMexOptions } from './mex.js';
export { read3ca, studyNameFromDir } from './read3ca.js';
export type { Read3caOptions } from './read3ca.js';
export { readGct } from './readGct.js';
export type { GctTable, ReadGctOptions } from './readGct.js';
export { readCsvTable, parseDelimited, inferColumn } from './csvTable.js';
export type { ReadCsvOptions } from './csvTable.js';
export { joinObsCsv } from './joinObsCsv.js';
export type { JoinObsCsvOptions, JoinObsResult } from './joinObsCsv.js';
export { readAnyCells, detectCellsFormat, CELLS_FORMATS } from './readAnyCells.js';
export type { CellsFormat, ReadAnyCellsOptions } from './readAnyCells.js';
export { readMatrixMarket, cooToCsr } from './matrixMarket.js';
export type { MatrixMarketHeader, ReadMatrixMarketOptions } from './matrixMarket.js';
export { makeUnique } from './makeAnnData.js';
