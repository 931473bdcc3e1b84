import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling';
import { LAMBDA_NODE_MAJOR } from '../support/lambda-node';

/**
 * The benchmark is not a pass/fail test (too slow and noisy), but it must run
 * and produce every figure: `npm run bench -- --quick --lambda-node` end to
 * end, against its own stand-ins, writing its figures to a temporary file.
 */
describe('npm run bench -- --quick', () => {
  it('runs and produces every figure', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'bench-smoke-')), 'results.json');
    // On Lambda's Node.js version, as the README's figures are measured.
    const { stdout } = await promisify(execFile)('npm', ['run', 'bench', '--', '--quick', '--lambda-node', '--out', out], { cwd: PROJECT_ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });

    const results = JSON.parse(readFileSync(out, 'utf8')) as {
      machine: string;
      sizes: Record<string, { raw: number; gzip: number }>;
      coldInitMs: Record<string, number>;
      firstEventMs: Record<string, number>;
      perEvent: Record<string, Record<string, { medianUs: number; p99Us: number; n: number; failures: number }>>;
      e2e: {
        sent: number;
        delivered: number;
        lost: number;
        doubled: number;
        timed: number;
        medianMs: number;
        p99Ms: number;
        repliesPerSecond: number;
        warmUp: { replies: number; medianMs: number; p99Ms: number };
        samples: { sentAtMs: number; latencyMs: number }[];
      };
      checks: { figure: string; value: number; pass: boolean }[];
    };
    expect(results.machine).toContain(`Node v${LAMBDA_NODE_MAJOR}.`);
    const targets = ['slack-events', 'botpress-callbacks', 'bolt', 'floor'];
    for (const target of targets) {
      expect(results.sizes[target]!.raw).toBeGreaterThan(results.sizes[target]!.gzip);
      expect(Number.isFinite(results.coldInitMs[target])).toBe(true);
      expect(results.firstEventMs[target]).toBeGreaterThan(0);
    }
    for (const [scenario, who] of [['reply', ['slack', 'bolt', 'floor']], ['ignored', ['slack', 'bolt', 'floor']], ['customer', ['botpress']]] as const) {
      for (const key of who) {
        const figure = results.perEvent[scenario]![key]!;
        expect(figure.n).toBeGreaterThan(0);
        expect(figure.failures).toBe(0);
        expect(figure.medianUs).toBeGreaterThan(0);
        expect(figure.p99Us).toBeGreaterThanOrEqual(figure.medianUs);
      }
    }
    expect(results.e2e).toMatchObject({ sent: 48, delivered: 48, lost: 0, doubled: 0 });
    expect(results.e2e.p99Ms).toBeGreaterThanOrEqual(results.e2e.medianMs);
    // The warm-up's replies (the first of each of the 16 conversations) are counted apart from the timed ones.
    expect(results.e2e.warmUp.replies).toBe(16);
    expect(results.e2e.timed).toBe(48 - 16);
    expect(results.e2e.warmUp.p99Ms).toBeGreaterThanOrEqual(results.e2e.warmUp.medianMs);
    // Every timed reply's raw latency, in the order sent, from which the median and p99 were taken.
    const { samples } = results.e2e;
    expect(samples).toHaveLength(results.e2e.timed);
    expect(samples.map((sample) => sample.sentAtMs)).toEqual(samples.map((sample) => sample.sentAtMs).sort((a, b) => a - b));
    expect(Math.max(...samples.map((sample) => sample.latencyMs))).toBeGreaterThanOrEqual(results.e2e.p99Ms);
    expect(samples.filter((sample) => sample.latencyMs <= results.e2e.medianMs).length).toBeGreaterThanOrEqual(samples.length / 2);
    expect(results.checks).toHaveLength(7);
    for (const check of results.checks) expect(Number.isFinite(check.value)).toBe(true);
    // The markdown table, with every row.
    for (const row of ['Bundle, raw (gzip)', 'Cold init (ms)', 'Load + first event (ms)', 'Agent reply taken', 'Bot echo ignored', 'Customer message taken', 'Local end-to-end', "the warm-up's 16 replies"]) {
      expect(stdout).toContain(row);
    }
  }, 300_000);
});
