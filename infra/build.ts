import { stat } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, LAMBDA_FUNCTIONS, PROJECT_ROOT } from './bundling';

/** Writes one bundle per Lambda function to dist/<name>/index.mjs, as the CDK stack builds them. */
export async function buildFunctions(outDir = path.join(PROJECT_ROOT, 'dist')): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  for (const [name, entry] of Object.entries(LAMBDA_FUNCTIONS)) {
    const outfile = path.join(outDir, name, 'index.mjs');
    await build({
      entryPoints: [path.join(PROJECT_ROOT, entry)],
      outfile,
      bundle: true,
      logLevel: 'warning',
      target: BUNDLING.target,
      format: BUNDLING.format,
      platform: BUNDLING.platform,
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourcemap,
      sourcesContent: BUNDLING.sourcesContent,
      mainFields: [...BUNDLING.mainFields],
      legalComments: BUNDLING.legalComments,
      banner: { js: BUNDLING.banner },
    });
    outputs[name] = outfile;
  }
  return outputs;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const outputs = await buildFunctions();
  for (const [name, file] of Object.entries(outputs)) {
    console.warn(`${name}: ${path.relative(PROJECT_ROOT, file)} (${((await stat(file)).size / 1024).toFixed(1)} KiB)`);
  }
}
