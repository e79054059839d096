// ESLint: the recommended JavaScript and TypeScript rules, plus the type-aware rules that catch
// promises nobody awaits or handles (a dropped rejection is a silent failure in a CLI).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** bin/ from the top: commands -> up -> canary -> load -> deploy -> secrets storage, kube -> cli. */
function layerZones() {
  const below = {
    commands: [],
    up: ['commands'],
    canary: ['commands', 'up', 'dev'],
    load: ['commands', 'up', 'canary', 'dev'],
    dev: ['commands', 'up', 'canary', 'load', 'deploy', 'kube'],
    deploy: ['commands', 'up', 'canary', 'load', 'dev', 'secrets/commands.ts'],
    secrets: ['commands', 'up', 'canary', 'load', 'dev', 'deploy', 'kube'],
    kube: ['commands', 'up', 'canary', 'load', 'dev', 'deploy', 'secrets'],
    cli: ['commands', 'up', 'canary', 'load', 'dev', 'deploy', 'secrets', 'kube'],
  };
  return [
    { target: './app', from: ['./bin', './infra'], message: 'app/ imports neither bin/ nor infra/' },
    { target: './infra', from: './bin', message: 'infra/ never imports bin/' },
    ...Object.entries(below)
      .filter(([, above]) => above.length > 0)
      .map(([layer, above]) => ({
        target: `./bin/${layer}`,
        from: above.map((a) => `./bin/${a}`),
        message: `bin/${layer} sits below ${above.join(', ')}: move the shared part down (docs/architecture.md)`,
      })),
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'dist/', 'coverage/', '.qctl/', 'app/page/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Text rules, the YAML writer and terminal output match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // The layers read one way (docs/architecture.md): an import circle or an upward import is a
    // layering mistake. Type imports count too: an engine knows nothing of the command above it.
    files: ['app/**/*.ts', 'bin/**/*.ts', 'infra/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()], 'import-x/extensions': ['.ts'] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones() }],
    },
  },
  {
    // Tests dig into parsed JSON and YAML of any shape.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
);
