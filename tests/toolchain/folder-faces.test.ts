import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

// The project's own eslint.config.js linting made-up files at real paths: what `make check-style` holds each
// folder to. The rules that need types are off here (the files exist only in memory, outside the TS project).
const typeAware = [
  '@typescript-eslint/no-floating-promises',
  '@typescript-eslint/no-misused-promises',
  '@typescript-eslint/await-thenable',
  '@typescript-eslint/only-throw-error',
];
const withoutTypes = Object.fromEntries(typeAware.map((rule) => [rule, 'off' as const]));
const lint = new ESLint({
  overrideConfig: { rules: withoutTypes, languageOptions: { parserOptions: { projectService: false } } },
});

describe('folder faces (ESLint no-restricted-imports)', () => {
  it.each([
    ['server/http/routes/example.ts', "import { ClientManager } from '../../mcp/client-manager.js';\n"],
    ['server/mattermost/example.ts', "import { OAuthError } from '../oauth/errors.js';\n"],
    ['server/sidecar-example.ts', "import type { Store } from './store/types.js';\n"],
    ['server/oauth/example.ts', "import type { FetchLike } from '../outbound/fetch-like.js';\n"],
  ])('refuses %s reaching into another folder past its index.ts', async (filePath, code) => {
    const [result] = await lint.lintText(code, { filePath });
    const messages = (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message).toMatch(/through its face, server\/(mcp|oauth|outbound|store)\/index\.ts/);
  });

  it.each([
    ['server/http/routes/example.ts', "import { ClientManager } from '../../mcp/index.js';\n"],
    ['server/mcp/example.ts', "import { Client } from './client.js';\n"],
    ['server/oauth/example.ts', "import { OAuthError } from './errors.js';\n"],
    ['tests/mcp/example.test.ts', "import { Client } from '../../server/mcp/client.js';\n"],
  ])('lets %s import through a face, inside its own folder, or from a spec', async (filePath, code) => {
    const [result] = await lint.lintText(code, { filePath });
    expect((result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });
});
