import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ToolNameMap } from './tool-names.js';
import type { UserTool } from './types.js';

/** A user's tools from every connected server under the names the LLM sees, and the map back. */
export interface ToolCatalog {
  readonly names: ToolNameMap;
  readonly tools: readonly UserTool[];
}

/** One connected server's tool list, in the user's server order. */
export interface ServerTools {
  readonly serverName: string;
  readonly tools: readonly Tool[];
}

/** Names every tool (see `ToolNameMap`) and lists them as `UserTool`s; frozen, so it can be shared. */
export function buildToolCatalog(servers: readonly ServerTools[]): ToolCatalog {
  const names = new ToolNameMap(
    servers.flatMap((s) => s.tools.map((t) => ({ serverName: s.serverName, toolName: t.name }))),
  );
  const tools = servers.flatMap((s) =>
    s.tools.map((tool): UserTool =>
      Object.freeze({
        name: names.exposedName({ serverName: s.serverName, toolName: tool.name }) ?? tool.name,
        serverName: s.serverName,
        toolName: tool.name,
        description: tool.description ?? '',
        inputSchema: tool.inputSchema as Record<string, unknown>,
        ...(tool.annotations && { annotations: tool.annotations }),
      }),
    ),
  );
  return Object.freeze({ names, tools: Object.freeze(tools) });
}

/**
 * One catalog per distinct combination of (server, tool list) across a manager's users. With the tool
 * lists shared (`SharedToolLists`), users of the same servers get the same catalog instead of a name map
 * and `UserTool` objects of their own (~15 KB per user for 60 tools). Keyed by the identity of the shared
 * lists, and forgotten once no user holds the catalog.
 */
export class SharedToolCatalogs {
  private readonly listIds = new WeakMap<readonly Tool[], number>();
  private nextListId = 0;
  private readonly catalogs = new Map<string, WeakRef<ToolCatalog>>();
  private readonly forget = new FinalizationRegistry<string>((key) => {
    if (!this.catalogs.get(key)?.deref()) this.catalogs.delete(key);
  });

  catalog(servers: readonly ServerTools[]): ToolCatalog {
    const key = servers.map((s) => `${s.serverName}\0${this.listId(s.tools)}`).join('\u0001');
    const known = this.catalogs.get(key)?.deref();
    if (known) return known;
    const built = buildToolCatalog(servers);
    this.catalogs.set(key, new WeakRef(built));
    this.forget.register(built, key);
    return built;
  }

  /** Distinct catalogs currently kept. */
  get size(): number {
    return this.catalogs.size;
  }

  private listId(tools: readonly Tool[]): number {
    let id = this.listIds.get(tools);
    if (id === undefined) this.listIds.set(tools, (id = this.nextListId++));
    return id;
  }
}
