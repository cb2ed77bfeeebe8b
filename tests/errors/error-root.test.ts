import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { ERROR_CATEGORIES, PluginError } from '../../server/errors/plugin-error.js';

const SERVER = fileURLToPath(new URL('../../server/', import.meta.url));
/** Programs, not modules: importing them starts something. */
const ENTRY_POINTS = new Set(['main.ts', 'cli/conformance-client.ts', 'store/generate-key.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'shim' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const modules = sources(SERVER).filter((path) => !ENTRY_POINTS.has(relative(SERVER, path)));

/** Every class any module under server/ exports whose instances are Errors, by `module: name`. */
async function exportedErrorClasses(): Promise<Map<string, abstract new (...args: never[]) => unknown>> {
  const found = new Map<string, abstract new (...args: never[]) => unknown>();
  for (const path of modules) {
    const exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value === 'function' && value.prototype instanceof Error)
        found.set(`${relative(SERVER, path)}: ${name}`, value as abstract new (...args: never[]) => unknown);
    }
  }
  return found;
}

describe('one error root', () => {
  it('has every exported error class in server/ extend PluginError', async () => {
    const classes = await exportedErrorClasses();
    // The enumeration itself works: it finds the classes of every folder.
    for (const known of [
      'mcp/errors.ts: ToolCallError',
      'outbound/response-limits.ts: ResponseTooLargeError',
      'oauth/errors.ts: OAuthTokenError',
      'oauth/callback-errors.ts: MixUpError',
      'store/errors.ts: StoreUnavailableError',
      'mattermost/errors.ts: ShimChannelError',
      'config/errors.ts: ConfigValidationError',
      'http/errors.ts: HttpError',
    ])
      expect(classes.has(known)).toBe(true);
    expect(classes.size).toBeGreaterThanOrEqual(50);
    const outside = [...classes]
      .filter(([, type]) => type !== PluginError && !(type.prototype instanceof PluginError))
      .map(([name]) => name);
    expect(outside).toEqual([]);
  });

  it('has no class in server/ extend Error itself but the root (exported or not)', () => {
    const direct = modules.flatMap((path) =>
      [...readFileSync(path, 'utf8').matchAll(/class\s+(\w+)(?:<[^>]*>)?\s+extends\s+Error\b/g)].map(
        (match) => `${relative(SERVER, path)}: ${match[1]}`,
      ),
    );
    expect(direct).toEqual(['errors/plugin-error.ts: PluginError']);
  });

  it('names each error after its class and keeps the cause', () => {
    class ExampleError extends PluginError {
      readonly code = 'ERR_EXAMPLE';
      readonly category = 'internal';
    }
    const cause = new Error('under it');
    const error = new ExampleError('what to do', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ExampleError');
    expect(error.cause).toBe(cause);
    expect(ERROR_CATEGORIES).toContain(error.category);
  });
});
