import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda functions and their entry points. The stack, the build and the benchmark all read this list. */
export const LAMBDA_FUNCTIONS = {
  'slack-events': 'functions/slack-events/handler.ts',
  'botpress-callbacks': 'functions/botpress-callbacks/handler.ts',
} as const;

export type LambdaFunctionName = keyof typeof LAMBDA_FUNCTIONS;

/**
 * Sized for Slack's 3-second answer, cold start included: memory buys CPU on
 * Lambda, and init (module load) is CPU-bound. The Botpress side has no such
 * limit but waits for Slack's API, so it gets more time and less memory.
 * The benchmark starts node with the heap limits Lambda derives from these sizes.
 */
export const FUNCTION_SIZING: Readonly<Record<LambdaFunctionName, { readonly memoryMb: number; readonly timeoutSeconds: number }>> = {
  'slack-events': { memoryMb: 1024, timeoutSeconds: 6 },
  'botpress-callbacks': { memoryMb: 512, timeoutSeconds: 10 },
};

/**
 * Packages each function imports only on first use (`await import(...)`),
 * bundled into a file of their own beside the function, in
 * `node_modules/<name>/index.mjs`. Within the main bundle they would still be
 * parsed at every cold start even when never evaluated; @slack/web-api is a
 * sixth of the bundle, and ignored Slack events, the most common kind, never need it.
 */
export const LAZY_MODULES = ['@slack/web-api'] as const;

/**
 * The one set of bundling choices, shared by `npm run build` and the CDK
 * stack so that what is measured is what is deployed:
 * ESM for Node.js 24 (Lambda's nodejs24.x), minified, every dependency bundled (tree-shaken, and
 * no dependence on the SDK version the runtime happens to ship), and a
 * `require` shim for the CommonJS packages inside an ESM bundle.
 */
export const BUNDLING = {
  target: 'node24',
  format: 'esm',
  platform: 'node',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  legalComments: 'none',
  banner: "import { createRequire as __bridgeCreateRequire } from 'module'; const require = __bridgeCreateRequire(import.meta.url);",
  // Imports bundled as something lighter; the shim says why.
  alias: {
    'node:stream/web': path.join(PROJECT_ROOT, 'infra/shims/stream-web.ts'),
    '@aws-sdk/credential-provider-node': path.join(PROJECT_ROOT, 'infra/shims/aws-credentials.ts'),
    '@smithy/core/event-streams': path.join(PROJECT_ROOT, 'infra/shims/smithy-event-streams.ts'),
  },
} as const;
