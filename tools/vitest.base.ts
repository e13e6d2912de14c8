// The vitest settings every package shares.
// forks, not threads: dawn.node segfaults at worker-thread teardown. One file at a time: the software
// adapter already uses both cores, and parallel files would only fight over them. Workspace packages
// resolve to their TypeScript sources through the "@cleardit/source" export condition.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@cleardit/source'] },
  ssr: { resolve: { conditions: ['@cleardit/source'] } },
  test: {
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
  },
});
