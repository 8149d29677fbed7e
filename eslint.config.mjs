// pgperf's lint gate: the recommended JavaScript and TypeScript rules, plus the type-aware rules that catch a
// forgotten await or a promise passed where a plain value is expected (the LSP handlers and the EXPLAIN/benchmark
// sessions are async throughout). No style rules: Prettier (.prettierrc.json) owns the layout.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The folders tsconfig.json type-checks: only their .ts files get the type-aware rules.
const typed = ['server/src', 'client/src', 'cli', 'database', 'render', 'protocol', 'scripts', 'test', 'bench'].map((d) => `${d}/**/*.ts`);

export default defineConfig(
  globalIgnores([
    'dist/',
    'dist-pkg/',
    'dist-e2e/',
    'test-results/',
    '.bench-out/',
    // User code that pgperf lints, kept as a user would write it: tests and the README read findings at its offsets.
    'examples/',
    'test/e2e/fixtures/',
  ]),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Prettier wraps code at 160 columns but leaves comments alone; long strings and patterns stay whole (grep finds them).
    rules: {
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // bin/pgperf.js is CommonJS: it requires the bundles in dist/ at run time.
    files: ['bin/**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests and benchmarks read JSON reports and protocol payloads field by field.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The webview scripts run in the EXPLAIN and benchmark panels (a browser, with VS Code's acquireVsCodeApi).
    files: ['client/media/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, acquireVsCodeApi: 'readonly' } },
  },
  {
    files: typed,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // An object in a message or a report cell would read "[object Object]"; a thrown non-Error has no stack.
      '@typescript-eslint/no-base-to-string': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/require-array-sort-compare': ['error', { ignoreStringArrays: true }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    rules: {
      // `_name` marks a parameter or binding kept on purpose (a callback's position, a destructured rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
);
