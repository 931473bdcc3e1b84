import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/*
 * Stack traces that name the TypeScript sources (shared/slack/desk.ts:120:7)
 * rather than the minified bundle (index.mjs:1:84512). Node's
 * --enable-source-maps does it by decoding the bundle's whole source map as
 * the bundle loads: at every cold start, Slack's 3 seconds included
 * (bench/README.md, "Stack traces"). This decodes it (with Node's own
 * SourceMap) when the first stack trace is formatted, which most containers
 * never do, and maps only the bundle's own frames.
 */

/**
 * From now on, stack traces name the sources of `bundleUrl` (a module's
 * import.meta.url) when a source map lies beside it (`<file>.map`); else
 * (run from the sources, as in the tests) they stay as V8 writes them.
 */
export function mapStackTracesOf(bundleUrl: string): void {
  if (!bundleUrl.startsWith('file:')) return;
  const bundle = fileURLToPath(bundleUrl);
  // One stat at load. Run from the sources there is no map, and stack traces stay as the test runner maps them.
  if (!existsSync(`${bundle}.map`)) return;
  let map: SourceMap | null | undefined;
  const sourceMap = (): SourceMap | null => {
    if (map !== undefined) return map;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
    return map;
  };
  /** The original of a generated position, or nothing when the map has none for it. */
  const originalAt = (line: number | null, column: number | null) => {
    if (line === null || column === null) return undefined;
    const entry = sourceMap()?.findEntry(line - 1, column - 1);
    return entry && 'originalSource' in entry ? (entry as typeof entry & { readonly name?: string }) : undefined;
  };
  const ours = (site: NodeJS.CallSite | undefined) => site !== undefined && (site.getFileName() === bundle || site.getFileName() === bundleUrl);
  const frameOf = (site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string => {
    if (!ours(site)) return asWritten(site);
    const entry = originalAt(site.getLineNumber(), site.getColumnNumber());
    if (!entry) return asWritten(site);
    const where = `${projectPath(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    // The function's name as its caller wrote it (the map names the identifier called there), as Node does; else V8's.
    const name = (ours(caller) ? originalAt(caller!.getLineNumber(), caller!.getColumnNumber())?.name : undefined) ?? site.getFunctionName();
    return name ? `${name} (${where})` : where;
  };
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => {
    let head: string;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = 'Error';
    }
    return [head, ...sites.map((site, index) => `    at ${frameOf(site, sites[index + 1])}`)].join('\n');
  };
}

/**
 * A source as the project names it (shared/slack/desk.ts, node_modules/…):
 * the map's sources are relative to where the bundle was built, which is
 * another folder for `npm run build`, `cdk deploy` and the tests.
 */
export function projectPath(source: string): string {
  return /(?:^|\/)((?:shared|functions|node_modules)\/.*)$/.exec(source)?.[1] ?? source.replace(/^(\.\.\/)+/, '');
}

/** A frame as V8 writes it in a stack trace (a CallSite formats itself so, though Node's types do not say it). */
const asWritten = (site: NodeJS.CallSite): string => (site as unknown as { toString(): string }).toString();
