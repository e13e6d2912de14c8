// `cleardit eval` on a tiny digit teacher and a tiny distilled student (CI never trains for long):
// it trains a classifier when none exists, measures every model at 1× and 2×, writes the table as
// Markdown and JSON and the picture, and refuses to overwrite its outputs; a run stopped after some
// rows continues with --resume to the table an uninterrupted run writes.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { cleardit } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-eval-'));
const teacher = join(dir, 'teacher', 'teacher.safetensors');
const student = join(dir, 'clear-r2', 'student.safetensors');
const args = (out = 'eval.md', scales = '1,2', samples = '10') => [
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
  samples,
  '--scales',
  scales,
  '-o',
  join(dir, out),
  '--picture',
  join(dir, out.replace('.md', '.png')),
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

  it('--resume reads the rows measured before and measures only the rest, to the same table', () => {
    // the first part of the run: 1× only (as if stopped before 2×)
    expect(cleardit(...args('resumed.md', '1')).status).toBe(0);
    const refused = cleardit(...args('resumed.md'));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/resumed\.md exists: pass --overwrite|resumed\.md\.parts holds an earlier evaluation's measurements: pass --resume/);
    const resumed = cleardit(...args('resumed.md'), '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr.match(/measured earlier/g)?.length).toBe(3);
    const whole = JSON.parse(readFileSync(join(dir, 'eval.md.json'), 'utf8'));
    const parted = JSON.parse(readFileSync(join(dir, 'resumed.md.json'), 'utf8'));
    const same = (rows: Record<string, unknown>[]) => rows.map(({ msPerSample: _, ...rest }) => rest);
    expect(same(parted.rows)).toEqual(same(whole.rows));
  });

  it('--resume with other settings names the difference', () => {
    const r = cleardit(...args('resumed.md', '1,2', '20'), '--resume');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/1x-teacher\.json was measured with samples 10, this run asks for 20/);
  });
});
