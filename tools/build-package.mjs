#!/usr/bin/env node
// Builds one library package: each entry (src/x.ts[:name]) becomes dist/<name>.js, an unbundled-deps
// ESM bundle that runs in Node and in browser bundlers, plus declarations under dist/types from tsc.
// Usage (from a package folder): node ../../tools/build-package.mjs src/index.ts src/node/index.ts:node
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), 'node:*'];
rmSync('dist', { recursive: true, force: true });
for (const arg of process.argv.slice(2)) {
  const [entry, name = 'index'] = arg.split(':');
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: name === 'node' ? 'node' : 'neutral',
    target: 'es2022',
    outfile: `dist/${name}.js`,
    sourcemap: true,
    external,
    conditions: ['@cleardit/source'],
    logLevel: 'warning',
    // a subpath entry (src/node/…) reaches the core through the package's own name, so the core is
    // bundled once (dist/index.js) and classes like Device stay one class for instanceof
    plugins: name === 'index' ? [] : [selfReference(entry)],
  });
}

function selfReference(entry) {
  const dir = resolve(dirname(entry));
  return {
    name: 'self-reference',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (a) => {
        const target = resolve(a.resolveDir, a.path);
        return target.startsWith(dir) ? undefined : { path: pkg.name, external: true };
      });
    },
  };
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', 'tsconfig.json'], { stdio: 'inherit' });
