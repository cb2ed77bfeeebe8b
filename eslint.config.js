// ESLint 10 flat config: the recommended JavaScript and TypeScript rules, the promise rules that need
// types, each folder's face, and Prettier's config last so no rule argues with the formatter
// (`make check-style` runs ESLint, Prettier and the shim's golangci-lint).
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Folders whose `index.ts` is their face: code in other server folders imports them only through it. */
const FACES = ['mcp', 'oauth', 'outbound', 'store'];

/** `no-restricted-imports` for code in `folder` (undefined: a file directly in server/). */
function facesRule(folder) {
  return [
    'error',
    {
      patterns: FACES.filter((face) => face !== folder).map((face) => ({
        regex: `^(\\./|(\\.\\./)+)${face}/(?!index\\.js$)`,
        message: `Import server/${face}/ through its face, server/${face}/index.ts (export it there if it is missing).`,
      })),
    },
  ];
}

/** Every folder of server/ (the shim's Go aside): a new one is held to the faces without being listed here. */
const SERVER_FOLDERS = readdirSync(new URL('./server/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'shim')
  .map((entry) => entry.name);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'coverage/',
      'tests/conformance/results/',
      'bench/results/',
      'server/shim/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  { files: ['webapp/src/**'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An unawaited promise loses its rejection; a promise where a callback's result is ignored loses it too.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Specs and their harness read untyped JSON bodies and drive pages in a browser.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['server/*.ts'], rules: { 'no-restricted-imports': facesRule(undefined) } },
  ...SERVER_FOLDERS.map((folder) => ({
    files: [`server/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': facesRule(folder) },
  })),
  prettier,
  {
    // One print width: Prettier wraps code at 120 and leaves comments and strings whole; this holds comments to it
    // (strings, template literals, regular expressions and URLs may run on: breaking them would change them).
    rules: {
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
);
