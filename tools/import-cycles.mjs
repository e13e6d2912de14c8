// Fails when a package's source files import each other in a circle, type imports included: a circle
// means two files are one concern split in two, or a lower layer reaching up (DESIGN.md's layers point
// down). Part of `pnpm lint`. Reads relative imports only; packages depend on each other by name,
// and pnpm's workspace already refuses circular package dependencies.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname, normalize, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const sourceDirs = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name, 'src')))
  .concat([join(root, 'benchmarks', 'src')])
  .filter(existsSync);

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g;
/** file → the files of the same package it imports */
function graphOf(dir) {
  const graph = new Map();
  for (const file of files(dir)) {
    const deps = [];
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const target = normalize(join(dirname(file), m[1].replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts')));
      if (target.startsWith(dir) && existsSync(target)) deps.push(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Tarjan's strongly connected components of more than one file (or a file importing itself). */
function circles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

let failed = false;
for (const dir of sourceDirs)
  for (const c of circles(graphOf(dir))) {
    failed = true;
    console.error(`import circle in ${relative(root, dir)}: ${c.map((f) => relative(dir, f)).join(' → ')} (each reaches the others)`);
  }
if (failed) process.exit(1);
