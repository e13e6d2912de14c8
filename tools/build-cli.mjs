#!/usr/bin/env node
// Bundles the cleardit command into one file (dist/cleardit.mjs) with everything but Dawn's native
// addon, so `npm i -g @cleardit/cli` needs only the webgpu package beside it.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/cleardit.mjs',
  external: ['webgpu'],
  conditions: ['@cleardit/source'],
  banner: { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});
