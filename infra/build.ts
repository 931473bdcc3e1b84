import { mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLING, LAMBDA_FUNCTIONS, LAZY_EXTERNALS, LAZY_MODULES, PROJECT_ROOT, packageOf, type LambdaFunctionName } from './bundling';

const options = (): BuildOptions => ({
  bundle: true,
  logLevel: 'warning',
  target: BUNDLING.target,
  format: BUNDLING.format,
  platform: BUNDLING.platform,
  minify: BUNDLING.minify,
  keepNames: BUNDLING.keepNames,
  sourcemap: BUNDLING.sourcemap,
  sourcesContent: BUNDLING.sourcesContent,
  mainFields: [...BUNDLING.mainFields],
  legalComments: BUNDLING.legalComments,
  banner: { js: BUNDLING.banner },
  alias: { ...BUNDLING.alias },
});

/** Bundles one entry point with the options the CDK stack uses (infra/bundling.ts). */
export async function bundleEntry(entry: string, outfile: string, external: readonly string[] = []): Promise<void> {
  await build({ ...options(), entryPoints: [path.resolve(PROJECT_ROOT, entry)], outfile, external: [...external] });
}

/**
 * Writes each module the function loads lazily into `<outDir>/node_modules/<package>/`, where its `import()` finds it:
 * the package's own entry as `index.mjs`, a subpath as a file of its own, and a package.json whose exports name them.
 */
export async function bundleLazyModules(functionName: LambdaFunctionName, outDir: string): Promise<void> {
  const exportsOf = new Map<string, Record<string, string>>();
  for (const specifier of LAZY_MODULES[functionName]) {
    const { name, subpath } = packageOf(specifier);
    const file = subpath === '.' ? 'index.mjs' : `${subpath.slice(2).replaceAll('/', '-')}.mjs`;
    // Named re-exports, listed from the module itself: `export *` of a CommonJS module would re-export nothing.
    const names = Object.keys(createRequire(path.join(PROJECT_ROOT, 'package.json'))(specifier) as object).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default');
    const contents = `export { ${names.join(', ')} } from '${specifier}';`;
    // S3's client imports the event-stream serde (for SelectObjectContent) at its top: a lazy module may carry it, since
    // only its first use pays for loading it, where the shim keeps it out of every cold start (infra/shims).
    const { '@smithy/core/event-streams': _eventStreams, ...alias } = BUNDLING.alias;
    await build({ ...options(), alias, stdin: { contents, resolveDir: PROJECT_ROOT, loader: 'js' }, outfile: path.join(outDir, 'node_modules', name, file) });
    exportsOf.set(name, { ...exportsOf.get(name), [subpath]: `./${file}` });
  }
  for (const [name, exports] of exportsOf) {
    await writeFile(path.join(outDir, 'node_modules', name, 'package.json'), `${JSON.stringify({ name, type: 'module', exports })}\n`);
  }
}

/** Writes each Lambda function to <outDir>/<name>/ exactly as the CDK stack packages it. */
export async function buildFunctions(outDir = path.join(PROJECT_ROOT, 'dist')): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  for (const [name, entry] of Object.entries(LAMBDA_FUNCTIONS) as [LambdaFunctionName, string][]) {
    outputs[name] = path.join(outDir, name, 'index.mjs');
    await bundleEntry(entry, outputs[name], LAZY_EXTERNALS);
    await bundleLazyModules(name, path.join(outDir, name));
  }
  return outputs;
}

const invokedAs = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invokedAs === path.resolve(import.meta.filename)) {
  // `tsx infra/build.ts --lazy-modules-only FUNCTION DIR`: the CDK stack's afterBundling hook.
  const only = process.argv.indexOf('--lazy-modules-only');
  if (only >= 0) {
    const [functionName, dir] = [process.argv[only + 1] as LambdaFunctionName, process.argv[only + 2]!];
    if (!(functionName in LAZY_MODULES)) throw new Error(`--lazy-modules-only: no function ${functionName}`);
    await mkdir(dir, { recursive: true });
    await bundleLazyModules(functionName, dir);
  } else {
    const outputs = await buildFunctions();
    for (const [name, file] of Object.entries(outputs)) {
      console.warn(`${name}: ${path.relative(PROJECT_ROOT, file)} (${((await stat(file)).size / 1024).toFixed(1)} KiB, plus ${LAZY_MODULES[name as LambdaFunctionName].join(', ')} loaded on first use)`);
    }
  }
}
