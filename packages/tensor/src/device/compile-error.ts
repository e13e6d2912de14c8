// Turns WGSL compiler messages into a readable error: the message, then the source lines around it
// with a caret under the column, the way a compiler would print them.

export function formatCompileError(name: string, code: string, messages: readonly GPUCompilationMessage[], fallback: string): string {
  const lines = code.split('\n');
  const parts: string[] = [`WGSL kernel '${name}' failed to compile`];
  const errors = messages.filter((m) => m.type === 'error');
  if (!errors.length) parts.push(fallback);
  for (const m of errors) {
    parts.push(`  ${m.lineNum}:${m.linePos}: ${m.message}`);
    const from = Math.max(1, m.lineNum - 2);
    const to = Math.min(lines.length, m.lineNum + 2);
    for (let l = from; l <= to; l++) {
      parts.push(`  ${String(l).padStart(4)} | ${lines[l - 1]}`);
      if (l === m.lineNum) parts.push(`       | ${' '.repeat(Math.max(0, m.linePos - 1))}^`);
    }
  }
  return parts.join('\n');
}
