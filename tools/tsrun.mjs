#!/usr/bin/env node
// Runs a TypeScript entry from the workspace sources: bundles it with esbuild (resolving
// @cleardit/* packages to their src/ through the "@cleardit/source" export condition), then imports it.
// Usage: node tools/tsrun.mjs path/to/entry.ts [args...]
import { build } from 'esbuild';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';

// @cleardit/<pkg>[/<sub>] → the "@cleardit/source" file named in that package's exports map.
function workspaceSource() {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const map = new Map();
  for (const group of ['packages', 'apps', '.']) {
    const base = join(root, group);
    const dirs = group === '.' ? ['benchmarks'] : existsSync(base) ? readdirSync(base) : [];
    for (const d of dirs) {
      const pj = join(base, d, 'package.json');
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, 'utf8'));
      for (const [sub, target] of Object.entries(pkg.exports ?? {}))
        if (target && target['@cleardit/source']) map.set(pkg.name + sub.slice(1), join(base, d, target['@cleardit/source']));
    }
  }
  return {
    name: 'workspace-source',
    setup(b) {
      b.onResolve({ filter: /^@cleardit\// }, (a) => (map.has(a.path) ? { path: map.get(a.path) } : undefined));
    },
  };
}

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node tools/tsrun.mjs ENTRY.ts [args...]');
  process.exit(2);
}
// The entry's package may name dependencies to leave out of the bundle ("tsrunExternal": native
// addons, packages that load files beside themselves); the bundle then lives under that package's
// node_modules so that they resolve from it. Otherwise it lives under the root node_modules, where
// 'webgpu' (a root dependency too) resolves.
function entryPackage(file) {
  for (let dir = dirname(resolve(file)); dirname(dir) !== dir; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) return { dir, pkg: JSON.parse(readFileSync(pj, 'utf8')) };
  }
  return undefined;
}
const own = entry ? entryPackage(entry) : undefined;
const ownExternal = own?.pkg.tsrunExternal ?? [];
const cache = ownExternal.length ? join(own.dir, 'node_modules', '.cache') : join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'cleardit-run-'));
const out = join(dir, 'entry.mjs');
await build({
  entryPoints: [resolve(entry)],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: out,
  sourcemap: 'inline',
  conditions: ['@cleardit/source'],
  external: ['webgpu', ...ownExternal],
  plugins: [workspaceSource()],
  logLevel: 'warning',
  banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
});
process.argv = [process.argv[0], resolve(entry), ...args];
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
// a signal that would end the process without 'exit' (no handler of the entry's own) still cleans up
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(sig, () => {
    rmSync(dir, { recursive: true, force: true });
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  });
await import(pathToFileURL(out).href);
