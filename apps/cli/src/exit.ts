// Exit codes every cleardit command shares, and the one-line error style.
import { InputError } from '@cleardit/tensor';
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A problem with what the user asked (bad flag, unreadable input): exit status 2. */
export class UsageError extends InputError {
  override name = 'UsageError';
}

export function fail(message: string, code: number = EXIT.failed): never {
  process.stderr.write(`cleardit: ${message}\n`);
  process.exit(code);
}
