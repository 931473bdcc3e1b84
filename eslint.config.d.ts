import type { Linter } from 'eslint';

/** The architecture's layers as lint rules, for test/architecture.test.ts. */
export declare const LAYERS: Linter.Config[];
/** The desk's words the domain may not use. */
export declare const DESK_WORDS: { selector: string; message: string }[];
declare const config: Linter.Config[];
export default config;
