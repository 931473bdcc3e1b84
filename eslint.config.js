import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
