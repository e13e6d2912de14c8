// Where the peers' scripts are: benchmarks/peers/NAME, found from the working directory up (the
// benchmarks also run from a bundle, on the GPU machine, where no source path is known).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function peerScript(name: string): string {
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    for (const p of [join(dir, 'peers', name), join(dir, 'benchmarks', 'peers', name)]) if (existsSync(p)) return p;
    if (dirname(dir) === dir) return join('peers', name);
  }
}
