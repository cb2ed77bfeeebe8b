import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCallResult } from '../mcp/index.js';

type ContentBlock = CallToolResult['content'][number];

/** `1.2 KiB`: a size for people, from a byte count. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Decoded size of base64 data without decoding it. */
export function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** What one content block says in text: its text, or a description of what it carries. */
function describeBlock(block: ContentBlock): string | undefined {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
      return `[image: ${block.mimeType}, ${formatBytes(base64Bytes(block.data))}]`;
    case 'audio':
      return `[audio: ${block.mimeType}, ${formatBytes(base64Bytes(block.data))}]`;
    case 'resource': {
      const { resource } = block;
      if ('text' in resource && typeof resource.text === 'string') return resource.text;
      const details = [
        resource.mimeType,
        'blob' in resource && typeof resource.blob === 'string' ? formatBytes(base64Bytes(resource.blob)) : undefined,
      ].filter(Boolean);
      return `[resource: ${resource.uri}${details.length > 0 ? ` (${details.join(', ')})` : ''}]`;
    }
    case 'resource_link':
      return `${block.name}: ${block.uri}`;
    default:
      return undefined;
  }
}

/** Whether a text block already is the structured content serialized (MCP asks servers to send both). */
function isSerialized(text: string, structured: Record<string, unknown>): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(structured);
  } catch {
    return false;
  }
}

/**
 * A tool result for MCP clients that read only text (the Agents plugin keeps text content alone): one
 * text block first saying everything, images, audio, blobs and structured content described in it,
 * then the server's other content blocks unchanged for clients that show more.
 */
export function textFirstResult(result: ToolCallResult): CallToolResult {
  const content = result.content;
  const lines = content.map(describeBlock).filter((line): line is string => line !== undefined);
  const structured = result.structuredContent;
  if (structured && !content.some((block) => block.type === 'text' && isSerialized(block.text, structured)))
    lines.push(JSON.stringify(structured));
  const text =
    lines.join('\n') || (result.isError ? 'The tool failed without saying why.' : 'The tool returned no content.');
  return {
    content: [{ type: 'text', text }, ...content.filter((block) => block.type !== 'text')],
    ...(structured ? { structuredContent: structured } : {}),
    ...(result.isError ? { isError: true } : {}),
  };
}

/** An error result: what the bot shows the user, in text. */
export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
