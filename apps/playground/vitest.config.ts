// Shared settings (tools/vitest.base.ts); the end-to-end test builds the app and drives Chromium, so it gets more time.
import { mergeConfig } from 'vitest/config';
import base from '../../tools/vitest.base.js';

export default mergeConfig(base, { test: { testTimeout: 300_000, hookTimeout: 300_000 } });
