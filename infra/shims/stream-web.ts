/**
 * Stands in for `node:stream/web` in the Lambda bundles (BUNDLING.alias).
 * @middy/core imports ReadableStream from it at load, only to test a streamed
 * response with `instanceof`; the real module costs every cold start 4–6 ms.
 * Node's global ReadableStream is the same class, loaded on first access,
 * which here means on the first `instanceof`, and never on the bridge's paths.
 * Any other import from `node:stream/web` fails the build (no such export).
 */
export const ReadableStream = class {
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof globalThis.ReadableStream;
  }
};
