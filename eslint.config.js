// `npm run lint:es` (part of `npm run lint`, which .ci/run runs): typescript-eslint's recommended
// rules, type-aware where that catches real bugs (a promise nobody awaits or catches). Formatting
// is Prettier's (`npm run format:check`), so no style rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      'test-artifacts/',
      'firmware/build/',
      '**/*.min.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-unused-expressions': [
        'error',
        { allowShortCircuit: true, allowTernary: true },
      ],
      // `let x = default; try { x = … } catch { … }` reads fine and is what the code base does.
      'no-useless-assignment': 'off',
      // `let gw; … () => gw?.status() …; gw = new Gateway(…)`: a closure reads it before it is set.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Shipped code states its types: a double cast hides a seam that does not fit.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "TSAsExpression[typeAnnotation.type!='TSUnknownKeyword'] > TSAsExpression[typeAnnotation.type='TSUnknownKeyword']",
          message: '`as unknown as` hides a type that does not fit: fix the seam instead.',
        },
      ],
    },
  },
  {
    // Tests read JSON answers of any shape.
    files: ['test/**/*.ts', 'hil/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The board agent: ES5 for Espruino, files concatenated into one script (a function defined in
    // one file is called from another), globals from the Espruino API (espruino.d.ts).
    files: ['firmware/src/**/*.ts'],
    rules: {
      'no-var': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Declarations of the untyped Espruino API.
    files: ['firmware/src/espruino.d.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain JS (bin/, scripts/, the SQLite SQL child process): Node globals.
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
