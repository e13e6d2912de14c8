// Shared settings (tools/vitest.base.ts); the suite test drives Node, Chromium and the peers, so it gets more time.
import { mergeConfig } from 'vitest/config';
import base from '../tools/vitest.base.js';

export default mergeConfig(base, { test: { testTimeout: 300_000, hookTimeout: 600_000 } });
