/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles
 * (BUNDLING.alias). The AWS SDK's HTTP protocol loads it with `import()` for
 * operations that stream events, which neither DynamoDB nor Secrets Manager
 * has, so it is never loaded here. Bundled, though, that one `import()` made
 * esbuild wrap the module and the 150-odd @smithy/core modules it reaches,
 * shared with every client, in lazy initialisers, which V8 compiles twice at
 * each cold start. A client with event streams would fail loudly here, not
 * silently: remove the alias to use one.
 */
class EventStreamsNotBundled extends Error {
  constructor() {
    super('@smithy/core/event-streams is not bundled (infra/shims/smithy-event-streams.ts): remove its alias in infra/bundling.ts to use an AWS operation that streams events');
    this.name = 'EventStreamsNotBundled';
  }
}

export class EventStreamSerde {
  constructor() {
    throw new EventStreamsNotBundled();
  }
}

export function eventStreamSerdeProvider(): never {
  throw new EventStreamsNotBundled();
}
