// Runs every test file in a vitest process of its own: each must pass with nothing run before it.
import { execFileSync, spawnSync } from 'node:child_process';

const files = execFileSync('git', ['ls-files', 'test/**/*.test.ts', 'test/*.test.ts'], { encoding: 'utf8' }).split('\n').filter(Boolean);
const failed = [];
for (const file of files) {
  const run = spawnSync('npx', ['vitest', 'run', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  console.warn(`${run.status === 0 ? 'passed' : 'FAILED'} alone: ${file}`);
  if (run.status !== 0) {
    failed.push(file);
    console.error(run.stdout.slice(-4000), run.stderr.slice(-2000));
  }
}
console.warn(`${files.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
