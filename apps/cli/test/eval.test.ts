// `cleardit eval` on a tiny digit teacher and a tiny distilled student (CI never trains for long):
// it trains a classifier when none exists, measures every model at 1× and 2×, writes the table as
// Markdown and JSON and the picture, and refuses to overwrite its outputs.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { cleardit } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-eval-'));
const teacher = join(dir, 'teacher', 'teacher.safetensors');
const student = join(dir, 'clear-r2', 'student.safetensors');
const args = () => [
  'eval',
  '--teacher',
  teacher,
  '--students',
  student,
  '--classifier',
  join(dir, 'classifier.safetensors'),
  '--classifier-steps',
  '20',
  '--samples',
  '10',
  '--scales',
  '1,2',
  '-o',
  join(dir, 'eval.md'),
  '--picture',
  join(dir, 'eval.png'),
];

describe('cleardit eval', () => {
  let r: ReturnType<typeof cleardit>;
  beforeAll(() => {
    expect(
      cleardit('train', '-o', join(dir, 'teacher'), '--steps', '10', '--width', '16', '--depth', '2', '--heads', '2', '--batch', '4', '--sample-every', '0')
        .status,
    ).toBe(0);
    expect(
      cleardit(
        'distill',
        '--teacher',
        teacher,
        '-o',
        join(dir, 'clear-r2'),
        '--radius',
        '2',
        '--samples',
        '8',
        '--steps',
        '2',
        '--batch',
        '4',
        '--sample-every',
        '0',
      ).status,
    ).toBe(0);
    r = cleardit(...args());
  }, 600_000);

  it('measures the teacher, the zero-shot twin and the student at each resolution', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/classifier: \d+\.\d% on the 999 held-out digits/);
    const report = JSON.parse(readFileSync(join(dir, 'eval.md.json'), 'utf8'));
    expect(report.rows.map((x: { kind: string; scale: number }) => `${x.kind}@${x.scale}`)).toEqual([
      'teacher@1',
      'zero-shot@1',
      'distilled@1',
      'teacher@2',
      'zero-shot@2',
      'distilled@2',
    ]);
    for (const row of report.rows) {
      expect(row.accuracy).toBeGreaterThanOrEqual(0);
      expect(row.accuracy).toBeLessThanOrEqual(1);
      expect(row.msPerSample).toBeGreaterThan(0);
      if (row.kind !== 'teacher') for (const k of ['psnr', 'fdTeacher', 'predMse']) expect(Number.isFinite(row[k]), k).toBe(true);
    }
    expect(report.rows[1].attention).toBe('CLEAR r=2');
    const md = readFileSync(join(dir, 'eval.md'), 'utf8');
    expect(md).toMatch(/\| 32² \(10\) \| teacher \| full attention \|/);
    expect(md).toMatch(/\| 64² \(10\) \| distilled clear-r2 \| CLEAR r=2 \|/);
    const png = decode(readFileSync(join(dir, 'eval.png')));
    expect([png.width, png.height]).toEqual([320, 96]);
  });

  it('refuses to overwrite its outputs without --overwrite', () => {
    const again = cleardit(...args());
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/eval\.md exists: pass --overwrite/);
    expect(existsSync(join(dir, 'classifier.safetensors'))).toBe(true);
  });
});
