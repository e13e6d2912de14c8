// Runs the cleardit command from source (tools/tsrun.mjs), as a user would from the workspace root.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cleardit(...args: string[]): Run {
  const r = spawnSync(process.execPath, [join(root, 'tools', 'tsrun.mjs'), join(root, 'apps', 'cli', 'src', 'main.ts'), ...args], {
    encoding: 'utf8',
    cwd: root,
    timeout: 300_000, // generous: a shared or slow CPU must not turn a slow run into a failure
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
