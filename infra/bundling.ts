import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda functions and their entry points. The stack, the build and the benchmark all read this list. */
export const LAMBDA_FUNCTIONS = {
  'slack-events': 'functions/slack-events/handler.ts',
  'botpress-callbacks': 'functions/botpress-callbacks/handler.ts',
  delivery: 'functions/delivery/handler.ts',
} as const;

/** The functions behind the HTTP API; the delivery function is fed by the queue instead. */
export const HTTP_FUNCTIONS = ['slack-events', 'botpress-callbacks'] as const satisfies readonly LambdaFunctionName[];
export type HttpFunctionName = (typeof HTTP_FUNCTIONS)[number];

export type LambdaFunctionName = keyof typeof LAMBDA_FUNCTIONS;

/**
 * Sized for Slack's 3-second answer, cold start included: memory buys CPU on
 * Lambda, and init (module load) is CPU-bound. The Botpress side has no such
 * limit but waits for Slack's API, so it gets more time and less memory; the
 * delivery function waits on Botpress and Slack outside anyone's time limit.
 * The benchmark starts node with the heap limits Lambda derives from these sizes.
 */
export const FUNCTION_SIZING: Readonly<Record<LambdaFunctionName, { readonly memoryMb: number; readonly timeoutSeconds: number }>> = {
  'slack-events': { memoryMb: 1024, timeoutSeconds: 6 },
  'botpress-callbacks': { memoryMb: 512, timeoutSeconds: 10 },
  // One job a batch (DELIVERY_QUEUE), which takes at most JOB_BUDGET_MS (25 s): a Botpress POST, a notice, the ledger.
  delivery: { memoryMb: 512, timeoutSeconds: 30 },
};

/**
 * The delivery queue's shape, shared by the stack and `npm start`'s embedded
 * queue. The visibility timeout is AWS's advice for a Lambda event source, six
 * times the function's timeout: a failed message comes back sooner, after its
 * own delay (ChangeMessageVisibility); only one whose invocation died waits this
 * long. The bridge moves what it gives up on to the dead-letter queue itself,
 * with the reason; its maxReceiveCount is derived from the retries
 * (shared/aws/delivery-retries.ts), so that the bridge always gives up first.
 */
export const DELIVERY_QUEUE = {
  visibilityTimeoutSeconds: 6 * FUNCTION_SIZING.delivery.timeoutSeconds,
  retentionSeconds: 4 * 24 * 3600,
  // Two weeks, SQS's longest: time for a person to fix the cause and redrive.
  deadLetterRetentionSeconds: 14 * 24 * 3600,
  // One message per invocation. A batch holds several conversations, which Powertools' FIFO processor takes one after
  // the other, so the last waits for all the others' Botpress calls; Lambda instead runs one invocation per active
  // message group at once. Locally, 16 conversations: end-to-end p99 26 ms with 1, 71 ms with 10 (bench/README.md).
  batchSize: 1,
  // Delivery invocations at once, at most (the event source's maximum concurrency): a burst of deliveries leaves
  // the account's concurrency (10 in a new account) to the Slack function, which must answer in 3 s. Slack takes
  // about one post a second per channel anyway.
  maxConcurrency: 5,
} as const;

/** The reminders' delay queue (shared/aws/reminder-queue.ts): standard, its messages waiting a delay each. */
export const REMINDER_QUEUE = {
  visibilityTimeoutSeconds: 6 * FUNCTION_SIZING.delivery.timeoutSeconds,
  // A reminder older than a day is of no use to anyone.
  retentionSeconds: 24 * 3600,
  // A reminder that cannot be handed on after this many tries goes to its dead-letter queue, with an alarm.
  maxReceiveCount: 10,
  deadLetterRetentionSeconds: 4 * 24 * 3600,
  batchSize: 10,
  // Handing reminders on is a send each: two at once are plenty, the lowest Lambda allows.
  maxConcurrency: 2,
} as const;

/**
 * Packages each function imports only on first use (`await import(...)`),
 * bundled into a file of their own beside the function, in
 * `node_modules/<name>/index.mjs`. Within the main bundle they would still be
 * parsed at every cold start even when never evaluated; @slack/web-api is a
 * sixth of the bundle, and ignored Slack events, the most common kind, never
 * need it; S3 is for the replies and links that carry a file; the Tracer
 * and the X-Ray SDK only for tracing, off unless asked. A package's subpath
 * (`…/middleware`) goes in a file of its own beside the package's. Each
 * function ships the ones it uses; all are kept out of every main bundle.
 */
const TRACING = ['@aws-lambda-powertools/tracer', '@aws-lambda-powertools/tracer/middleware'] as const;
export const LAZY_MODULES = {
  'slack-events': ['@slack/web-api', ...TRACING],
  'botpress-callbacks': ['@slack/web-api', '@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner', ...TRACING],
  delivery: ['@slack/web-api', '@aws-sdk/client-s3', ...TRACING],
} as const satisfies Record<LambdaFunctionName, readonly string[]>;

/** A module's package (`@scope/name` or `name`) and its subpath within it (`''`, or `./middleware`). */
export function packageOf(specifier: string): { readonly name: string; readonly subpath: string } {
  const parts = specifier.split('/');
  const length = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(length).join('/');
  return { name: parts.slice(0, length).join('/'), subpath: rest ? `./${rest}` : '.' };
}

/** What no main bundle includes: every lazily loaded package. */
export const LAZY_EXTERNALS: readonly string[] = [...new Set(Object.values(LAZY_MODULES).flat())];

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
  // Not keepNames (3 ms more at the Botpress function's cold start): error classes name themselves, and stack frames are
  // named from the source maps (shared/platform/source-maps.ts).
  keepNames: false,
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
