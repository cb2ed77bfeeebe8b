import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * One copy of each distinct tool list across the clients of a `ClientManager`. A server nearly always gives
 * every user the same list; without this each user's client kept its own parse of it (descriptions and
 * input schemas, ~30 KB for 20 tools). Lists are frozen, so no user's copy can change another's, and
 * forgotten once no client holds them.
 */
export class SharedToolLists {
  private readonly lists = new Map<string, WeakRef<readonly Tool[]>>();
  private readonly forget = new FinalizationRegistry<string>((key) => {
    if (!this.lists.get(key)?.deref()) this.lists.delete(key);
  });

  /** The shared list equal to `tools` (the same array for equal lists), or `tools` itself, frozen, when it is new. */
  intern(tools: readonly Tool[]): readonly Tool[] {
    const key = createHash('sha256').update(JSON.stringify(tools)).digest('base64url');
    const known = this.lists.get(key)?.deref();
    if (known) return known;
    deepFreeze(tools);
    this.lists.set(key, new WeakRef(tools));
    this.forget.register(tools, key);
    return tools;
  }

  /** Distinct lists currently held. */
  get size(): number {
    return this.lists.size;
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
