import { readFile } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { PROJECT_ROOT } from '../infra/bundling';

/** The snippets users paste into Botpress Studio, by file name in `botpress/`. */
export type SnippetName = 'start-handoff' | 'forward-message' | 'end-handoff' | 'webhook-handler';

/** What Botpress's Execute Code card and triggers put in scope. */
export interface SnippetScope {
  readonly axios: unknown;
  readonly client: unknown;
  readonly event: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly conversation: Record<string, unknown>;
  readonly workflow: Record<string, unknown>;
  readonly console?: Pick<Console, 'log' | 'warn' | 'error'>;
}

const sources = new Map<SnippetName, Promise<vm.Script>>();

/**
 * Runs one shipped snippet, unchanged, the way Botpress runs Execute Code: as
 * the body of an async function whose free variables are the scope above.
 * Used by the end-to-end tests and the sandbox, so that what they exercise is
 * exactly the file a user pastes.
 */
export async function runBotpressSnippet(name: SnippetName, scope: SnippetScope): Promise<void> {
  let script = sources.get(name);
  if (!script) {
    script = readFile(path.join(PROJECT_ROOT, 'botpress', `${name}.js`), 'utf8').then(
      (code) => new vm.Script(`(async () => {\n${code}\n})()`, { filename: `botpress/${name}.js`, lineOffset: -1 }),
    );
    sources.set(name, script);
  }
  const context = vm.createContext({ console, ...scope, URLSearchParams, setTimeout, Date, JSON, Promise });
  await ((await script).runInContext(context) as Promise<void>);
}
