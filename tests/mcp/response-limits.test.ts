import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { EventBoundaryCounter, ResponseTooLargeError, eventSizeLimit } from '../../server/outbound/response-limits.js';

/**
 * The definition, byte by byte: a "\n" after "\n" or after "\n\r" ends an event and counts 0; every other byte
 * adds 1; each chunk reports the most the count reached in it.
 */
function naiveCounts(chunks: readonly Uint8Array[]): number[] {
  let since = 0;
  let previous = -1;
  let beforePrevious = -1;
  return chunks.map((chunk) => {
    let largest = 0;
    for (const byte of chunk) {
      const boundary = byte === 0x0a && (previous === 0x0a || (previous === 0x0d && beforePrevious === 0x0a));
      since = boundary ? 0 : since + 1;
      largest = Math.max(largest, since);
      beforePrevious = previous;
      previous = byte;
    }
    return chunk.length === 0 ? since : largest;
  });
}

// Bytes drawn mostly from the ones that matter, so boundaries of both kinds occur often.
const sseByte = fc.oneof(fc.constant(0x0a), fc.constant(0x0d), fc.constant(0x61), fc.integer({ min: 0, max: 255 }));
const chunks = fc.array(
  fc
    .uint8Array({ minLength: 0, maxLength: 12 })
    .chain((a) => fc.array(sseByte, { minLength: a.length, maxLength: a.length }).map((b) => Uint8Array.from(b))),
  { maxLength: 12 },
);

describe('the size of an SSE event', () => {
  it('is counted, however the stream is cut into chunks, exactly as byte by byte', () => {
    fc.assert(
      fc.property(chunks, (parts) => {
        const counter = new EventBoundaryCounter();
        expect(parts.map((part) => counter.push(part))).toEqual(naiveCounts(parts));
      }),
      { numRuns: 2_000 },
    );
  });

  it('lets events within the bound through and refuses one beyond it, even one a chunk holds whole', async () => {
    const encoder = new TextEncoder();
    const read = async (text: string, limit: number) => {
      const body = new Blob([encoder.encode(text)]).stream().pipeThrough(eventSizeLimit(limit));
      return new Response(body).text();
    };
    const small = `data: ${'x'.repeat(40)}\n\n`.repeat(50);
    expect(await read(small, 60)).toBe(small);
    const crlf = `data: ${'x'.repeat(40)}\r\n\r\n`.repeat(3);
    expect(await read(crlf, 60)).toBe(crlf);
    await expect(read(`${small}data: ${'y'.repeat(100)}\n\n`, 60)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });
});
