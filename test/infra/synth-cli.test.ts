import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling';

describe('npm run synth', () => {
  it('synthesizes through the CDK CLI with no AWS credentials', async () => {
    const output = mkdtempSync(path.join(tmpdir(), 'cdk-cli-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    await promisify(execFile)('npm', ['run', 'synth', '--', '--output', output], {
      cwd: PROJECT_ROOT,
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', SUPPORT_CHANNEL_ID: 'C0SMOKETEST' },
      timeout: 120_000,
    });
    const templateFile = path.join(output, 'BotpressSlackHitl.template.json');
    expect(existsSync(templateFile)).toBe(true);
    expect(readFileSync(templateFile, 'utf8')).toContain('C0SMOKETEST');
  }, 150_000);
});
