import type { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * The two places the client leans on the MCP SDK's internals rather than its API. tests/mcp/sdk-internals.test.ts
 * checks both against the installed SDK and fails on any other version: after an upgrade, re-check them and move
 * this pin.
 */
export const PINNED_SDK_VERSION = '1.32.2';

/**
 * Caches the output schemas and task support of `tools` in an SDK client, as its own `listTools` does (its private
 * `cacheToolMetadata`): a woken session has no listing, yet its tool calls must validate structured content.
 */
export function cacheToolMetadata(sdk: SdkClient, tools: readonly Tool[]): void {
  (sdk as unknown as { cacheToolMetadata(tools: readonly Tool[]): void }).cacheToolMetadata(tools);
}

/** The SDK's SSE transport reports a failed POST as a plain Error carrying the status only in its text. */
const SSE_POST_FAILED = /^Error POSTing to endpoint \(HTTP (\d{3})\)/;

/** The HTTP status of a POST the SDK's SSE transport saw fail, read from the error's text. */
export function ssePostStatus(error: unknown): number | undefined {
  const match = error instanceof Error ? SSE_POST_FAILED.exec(error.message) : null;
  return match ? Number(match[1]) : undefined;
}
