// Shared settings: tools/vitest.base.ts.
export { default } from '../../tools/vitest.base.js';
