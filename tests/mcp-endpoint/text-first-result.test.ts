/** What a text-only MCP client (the Agents plugin keeps text content alone) reads of each kind of tool result. */
import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toToolCallResult } from '../../server/mcp/tool-result.js';
import { base64Bytes, formatBytes, textFirstResult } from '../../server/mcp-endpoint/text-first-result.js';

const relay = (result: CallToolResult) => textFirstResult(toToolCallResult(result));
const bytes = (n: number) => Buffer.alloc(n, 1).toString('base64');

describe('text-first tool results', () => {
  it('keeps a text-only result as it is', () => {
    expect(
      relay({
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      }),
    ).toEqual({ content: [{ type: 'text', text: 'a\nb' }] });
  });

  it('describes audio, blobs and links in the text, in the order the server sent them, and keeps them after it', () => {
    const audio = { type: 'audio' as const, data: bytes(3000), mimeType: 'audio/wav' };
    const blob = {
      type: 'resource' as const,
      resource: { uri: 'file:///report.pdf', mimeType: 'application/pdf', blob: bytes(10) },
    };
    const link = { type: 'resource_link' as const, name: 'spec', uri: 'https://example.com/spec' };
    const result = relay({
      content: [
        { type: 'text', text: 'here' },
        audio,
        blob,
        link,
        { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inline text' } },
      ],
    });
    expect(result.content[0]).toEqual({
      type: 'text',
      text: 'here\n[audio: audio/wav, 2.9 KiB]\n[resource: file:///report.pdf (application/pdf, 10 B)]\nspec: https://example.com/spec\ninline text',
    });
    expect(result.content.slice(1)).toEqual([
      audio,
      blob,
      link,
      { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inline text' } },
    ]);
  });

  it('gives structured content without any text block as JSON text', () => {
    expect(relay({ content: [], structuredContent: { temperature: 21 } })).toEqual({
      content: [{ type: 'text', text: '{"temperature":21}' }],
      structuredContent: { temperature: 21 },
    });
  });

  it('says so when a tool returned nothing, or failed without a reason', () => {
    expect(relay({ content: [] })).toEqual({ content: [{ type: 'text', text: 'The tool returned no content.' }] });
    expect(relay({ content: [], isError: true })).toEqual({
      content: [{ type: 'text', text: 'The tool failed without saying why.' }],
      isError: true,
    });
  });

  it('sizes base64 data without decoding it', () => {
    for (const n of [0, 1, 2, 3, 1229, 1024 * 1024 + 5]) expect(base64Bytes(bytes(n))).toBe(n);
    expect([formatBytes(1023), formatBytes(1229), formatBytes(3 * 1024 * 1024)]).toEqual([
      '1023 B',
      '1.2 KiB',
      '3.0 MiB',
    ]);
  });
});
