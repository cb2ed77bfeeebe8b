import { createHash } from 'node:crypto';

/** LLM providers accept tool names of at most 64 characters from this alphabet. */
export const MAX_TOOL_NAME_LENGTH = 64;
export const TOOL_NAME_SEPARATOR = '__';
const HASH_LENGTH = 8;

export interface ToolRef {
  readonly serverName: string;
  readonly toolName: string;
}

/** Replaces every run of characters outside [A-Za-z0-9_-] with one `_`, trimming `_` at the ends. */
export function sanitizeNamePart(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
}

function hashOf(ref: ToolRef, length: number): string {
  return createHash('sha256').update(ref.serverName).update('\0').update(ref.toolName).digest('hex').slice(0, length);
}

/** `<server>__<tool>` sanitised, before collision handling and length capping. */
export function baseToolName(ref: ToolRef): string {
  const server = sanitizeNamePart(ref.serverName) || 'mcp';
  const tool = sanitizeNamePart(ref.toolName) || 'tool';
  return `${server}${TOOL_NAME_SEPARATOR}${tool}`;
}

function hashedToolName(ref: ToolRef, hashLength: number): string {
  const suffix = `_${hashOf(ref, hashLength)}`;
  const base = baseToolName(ref)
    .slice(0, MAX_TOOL_NAME_LENGTH - suffix.length)
    .replace(/_+$/, '');
  return `${base}${suffix}`;
}

/**
 * Maps (server, tool) pairs to names an LLM accepts and back. A name keeps its readable
 * `<server>__<tool>` form unless it had to be shortened, was altered by sanitising, or collides with
 * another pair's; then it gets a hash suffix of the exact pair, so the result does not depend on
 * the order tools were listed in.
 */
export class ToolNameMap {
  private readonly byExposed = new Map<string, ToolRef>();
  private readonly byRef = new Map<string, string>();

  constructor(refs: Iterable<ToolRef>) {
    const unique = new Map<string, ToolRef>();
    for (const ref of refs) unique.set(refKey(ref), ref);
    const baseCounts = new Map<string, number>();
    for (const ref of unique.values()) {
      const base = baseToolName(ref);
      baseCounts.set(base, (baseCounts.get(base) ?? 0) + 1);
    }
    const plain: ToolRef[] = [];
    const hashed: ToolRef[] = [];
    for (const ref of unique.values()) {
      const base = baseToolName(ref);
      const exact = `${ref.serverName}${TOOL_NAME_SEPARATOR}${ref.toolName}` === base;
      if (exact && base.length <= MAX_TOOL_NAME_LENGTH && baseCounts.get(base) === 1) plain.push(ref);
      else hashed.push(ref);
    }
    for (const ref of plain) this.add(baseToolName(ref), ref);
    for (const ref of hashed) {
      // Lengthen the hash on the (astronomically rare) clash with a name already given out.
      let length = HASH_LENGTH;
      let name = hashedToolName(ref, length);
      while (this.byExposed.has(name) && length < 40) name = hashedToolName(ref, (length += 4));
      this.add(name, ref);
    }
  }

  private add(name: string, ref: ToolRef): void {
    this.byExposed.set(name, ref);
    this.byRef.set(refKey(ref), name);
  }

  exposedName(ref: ToolRef): string | undefined {
    return this.byRef.get(refKey(ref));
  }

  resolve(exposedName: string): ToolRef | undefined {
    return this.byExposed.get(exposedName);
  }

  get size(): number {
    return this.byExposed.size;
  }
}

function refKey(ref: ToolRef): string {
  return `${ref.serverName}\0${ref.toolName}`;
}
