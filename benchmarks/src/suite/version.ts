// cleardit's version for the rows: the engine's package version, read at bundle time (the page and
// the GPU bundle have no package files to read).
import pkg from '../../../packages/tensor/package.json';

export const CLEARDIT_VERSION: string = pkg.version;
