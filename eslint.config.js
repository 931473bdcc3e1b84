import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The architecture's one rule (README, "How it is built"): arrows point down.
 * functions/ -> shared/domain/ -> the ports it declares; the adapters
 * (shared/slack, shared/botpress, shared/aws) implement them, and
 * shared/platform is the ground everyone stands on. Each folder lists what it
 * may not import; test/architecture.test.ts plants a violation in each to
 * show the rule catches it.
 */
const ADAPTER_PACKAGES = { slack: '@slack/*', botpress: '@botpress/*', aws: '@aws-sdk/*' };
const relativeInto = (folders) => `^(\\.\\.?/)+(${folders.join('|')})(/|$)`;
const layer = (files, { folders, packages }) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...(folders.length > 0 ? [{ regex: relativeInto(folders), message: 'Arrows point down (eslint.config.js): this folder may not import that one.' }] : []),
          ...(packages.length > 0 ? [{ group: packages, message: 'Only the adapter for this service may import its SDK (eslint.config.js).' }] : []),
        ],
      },
    ],
  },
});
const OUTSIDE_SHARED = ['functions', 'local', 'infra', 'bench', 'test'];
export const LAYERS = [
  layer(['shared/platform/**/*.ts'], { folders: ['domain', 'slack', 'botpress', 'aws', ...OUTSIDE_SHARED], packages: Object.values(ADAPTER_PACKAGES) }),
  layer(['shared/domain/**/*.ts'], { folders: ['slack', 'botpress', 'aws', ...OUTSIDE_SHARED], packages: Object.values(ADAPTER_PACKAGES) }),
  layer(['shared/slack/**/*.ts'], { folders: ['botpress', 'aws', ...OUTSIDE_SHARED], packages: [ADAPTER_PACKAGES.botpress, ADAPTER_PACKAGES.aws] }),
  layer(['shared/botpress/**/*.ts'], { folders: ['slack', 'aws', ...OUTSIDE_SHARED], packages: [ADAPTER_PACKAGES.slack, ADAPTER_PACKAGES.aws] }),
  layer(['shared/aws/**/*.ts'], { folders: ['slack', 'botpress', ...OUTSIDE_SHARED], packages: [ADAPTER_PACKAGES.slack, ADAPTER_PACKAGES.botpress] }),
  layer(['functions/**/*.ts'], { folders: ['local', 'infra', 'bench', 'test'], packages: [] }),
];

/** The domain speaks in its own words: no Web API method, no Slack markup or Block Kit in its strings. */
export const DESK_WORDS = [
  { selector: 'Literal[value=/^(chat|files|users|reactions|views|conversations)\\.[a-zA-Z]+$/]', message: 'A Web API method name belongs in the desk adapter (shared/slack).' },
  { selector: 'Literal[value=/<[@!#]|:[a-z0-9_+-]+: |^(mrkdwn|plain_text)$/]', message: 'Slack markup belongs in shared/slack/render.' },
  { selector: 'TemplateElement[value.raw=/<[@!#]|:[a-z0-9_+-]+: /]', message: 'Slack markup belongs in shared/slack/render.' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'coverage/', '.data/', 'test/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['shared/**/*.ts', 'functions/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // S3's client and presigner are LAZY_MODULES (infra/bundling.ts): bundled apart, so their import() wraps nothing.
          selector: 'ImportExpression[source.value=/^@aws-sdk\\/(?!client-s3$|s3-request-presigner$)/]',
          message:
            'Import the AWS SDK statically: an import() makes esbuild wrap the package, and every SDK module it shares with the other clients, in lazy initialisers that V8 compiles twice at each cold start (README, Performance).',
        },
      ],
    },
  },
  ...LAYERS,
  { files: ['shared/domain/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...DESK_WORDS] } },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['local/**/*.mjs', 'bench/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Pasted into Botpress Studio, which runs each as an async function body with these in scope.
    files: ['botpress/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { axios: 'readonly', client: 'readonly', event: 'readonly', env: 'readonly', conversation: 'readonly', workflow: 'readonly', console: 'readonly', setTimeout: 'readonly' },
    },
    rules: { 'no-console': 'off' },
  },
);
