import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpClientError } from './errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * How much one server's tools/list may hold, all pages together. Each user's client parses the listing (shared
 * afterwards only when equal), so without bounds one hostile server paging 15 MiB answers took a sidecar from
 * 89 MB to 1.75 GB in a single listing. The defaults leave room for large real servers (GitHub's ~100 tools
 * list in ~200 KiB); sizes are UTF-8 bytes of the JSON.
 */
export interface ToolListLimits {
  /** The whole listing; also the most one tools/list answer may send before it is cut off. */
  readonly maxListBytes: number;
  readonly maxTools: number;
  /** One tool's description. */
  readonly maxDescriptionBytes: number;
  /** One tool's input and output schemas together. */
  readonly maxSchemaBytes: number;
  /** Pages followed (`nextCursor`) before the listing is refused as endless. */
  readonly maxPages: number;
}

export const DEFAULT_TOOL_LIST_LIMITS: ToolListLimits = Object.freeze({
  maxListBytes: 8 * MiB,
  maxTools: 1_000,
  maxDescriptionBytes: 8 * KiB,
  maxSchemaBytes: 64 * KiB,
  maxPages: 50,
});

/** The server's tool list went past one of the bounds: none of its tools are offered, the other servers' are. */
export class ToolListTooLargeError extends McpClientError {
  readonly code = 'ERR_MCP_TOOL_LIST_TOO_LARGE';
  readonly category = 'upstream';
  constructor(
    readonly serverName: string,
    readonly reason: string,
  ) {
    super(
      `Server ${serverName}: ${reason}; the plugin refused its tools. Ask whoever runs the server to offer fewer or smaller tools.`,
    );
  }
}

/** Counts one listing page by page and refuses it at the first bound it passes. */
export class ToolListBudget {
  private bytes = 0;
  private tools = 0;
  private pages = 0;

  constructor(
    private readonly serverName: string,
    private readonly limits: ToolListLimits = DEFAULT_TOOL_LIST_LIMITS,
  ) {}

  /** Takes the next page's tools; `hasMore` when it named a next page. */
  addPage(tools: readonly Tool[], hasMore: boolean): void {
    this.pages++;
    this.tools += tools.length;
    if (this.tools > this.limits.maxTools)
      throw this.refuse(`it lists more than ${this.limits.maxTools.toLocaleString('en-US')} tools`);
    for (const tool of tools) {
      if (byteLength(tool.description ?? '') > this.limits.maxDescriptionBytes) {
        throw this.refuse(
          `the description of its tool ${shown(tool.name)} is larger than ${size(this.limits.maxDescriptionBytes)}`,
        );
      }
      if (jsonBytes(tool.inputSchema) + jsonBytes(tool.outputSchema) > this.limits.maxSchemaBytes) {
        throw this.refuse(
          `the schemas of its tool ${shown(tool.name)} are larger than ${size(this.limits.maxSchemaBytes)}`,
        );
      }
      this.bytes += jsonBytes(tool);
      if (this.bytes > this.limits.maxListBytes) throw this.tooManyBytes();
    }
    if (hasMore && this.pages >= this.limits.maxPages)
      throw this.refuse(`its tool list goes on past ${this.limits.maxPages} pages`);
  }

  /** For an answer cut off because it alone was larger than the whole listing may be. */
  tooManyBytes(): ToolListTooLargeError {
    return this.refuse(`its tool list is larger than ${size(this.limits.maxListBytes)}`);
  }

  private refuse(reason: string): ToolListTooLargeError {
    return new ToolListTooLargeError(this.serverName, reason);
  }
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : byteLength(JSON.stringify(value));
}

function size(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${Math.round(bytes / KiB)} KiB`;
}

/** A tool name from the server, fit for a message: one line, at most 64 characters. */
function shown(name: string): string {
  // eslint-disable-next-line no-control-regex
  const line = name.replace(/[\x00-\x1f\x7f\s]+/g, ' ').trim();
  return line.length > 64 ? `${line.slice(0, 63)}…` : line;
}
