/**
 * `WWW-Authenticate` (RFC 9110 §11.6.1) as a list of challenges, and the Bearer parameters of
 * RFC 6750 §3 and RFC 9728 §5.1 read from it. A single left-to-right scan: no regular expression,
 * linear time, never throws except `ChallengeTooLongError` for input over the limit. Malformed parts
 * are skipped up to the next comma, so one bad parameter does not hide the others.
 */
import { ChallengeTooLongError } from './errors.js';

/** Longest header (all lines together) the parser accepts. */
export const MAX_WWW_AUTHENTICATE_LENGTH = 8 * 1024;

export interface Challenge {
  /** The auth scheme, lower-cased (RFC 9110 §11.1: schemes are case-insensitive). */
  readonly scheme: string;
  /** The token68 form (`Basic dXNlcg==`), when the challenge uses it instead of parameters. */
  readonly token68?: string;
  /** Parameters by lower-cased name, values unquoted; the first of a repeated name wins. */
  readonly params: Readonly<Record<string, string>>;
}

/** The parameters an MCP client acts on, with their RFC names. */
export interface BearerChallenge {
  /** `bearer`, or `dpop` when only a DPoP challenge names the metadata. */
  readonly scheme: string;
  readonly realm?: string;
  /** RFC 6750 §3: space-separated scopes the resource requires. */
  readonly scope?: string;
  /** RFC 6750 §3.1: `invalid_request`, `invalid_token` or `insufficient_scope`. */
  readonly error?: string;
  readonly error_description?: string;
  readonly error_uri?: string;
  /** RFC 9728 §5.1: where the protected resource metadata is. */
  readonly resource_metadata?: string;
}

type HeaderInput = string | readonly string[] | null | undefined;

/** Parses one or several header lines into challenges, in order. */
export function parseWWWAuthenticate(header: HeaderInput): Challenge[] {
  const lines = header == null ? [] : typeof header === 'string' ? [header] : header;
  const length = lines.reduce((sum, line) => sum + String(line).length, 0);
  if (length > MAX_WWW_AUTHENTICATE_LENGTH) throw new ChallengeTooLongError(length, MAX_WWW_AUTHENTICATE_LENGTH);
  // Each line on its own, so an unterminated quote in one line cannot swallow the next.
  return lines.flatMap((line) => parseLine(String(line)));
}

/**
 * The challenge to act on: the Bearer one, else the first one naming `resource_metadata`
 * (a DPoP-only server). Undefined when neither is present.
 */
export function findBearerChallenge(challenges: readonly Challenge[]): BearerChallenge | undefined {
  const chosen =
    challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.params.resource_metadata !== undefined);
  if (!chosen) return undefined;
  const p = chosen.params;
  return {
    scheme: chosen.scheme,
    ...(p.realm !== undefined && { realm: p.realm }),
    ...(p.scope !== undefined && { scope: p.scope }),
    ...(p.error !== undefined && { error: p.error }),
    ...(p.error_description !== undefined && { error_description: p.error_description }),
    ...(p.error_uri !== undefined && { error_uri: p.error_uri }),
    ...(p.resource_metadata !== undefined && { resource_metadata: p.resource_metadata }),
  };
}

/** `findBearerChallenge(parseWWWAuthenticate(header))`. */
export function parseBearerChallenge(header: HeaderInput): BearerChallenge | undefined {
  return findBearerChallenge(parseWWWAuthenticate(header));
}

const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// RFC 9110 §5.6.2 tchar.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

// RFC 9110 §11.2 token68 characters (before the trailing "=" padding).
function isToken68Char(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e ||
    c === 0x2b ||
    c === 0x2f
  );
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

interface MutableChallenge {
  scheme: string;
  token68?: string;
  params: Record<string, string>;
}

function parseLine(input: string): Challenge[] {
  const challenges: MutableChallenge[] = [];
  const n = input.length;
  let current: MutableChallenge | undefined;
  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (isWhitespace(c) || c === COMMA) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isTchar(input.charCodeAt(i))) i++;
    if (i === start) {
      i = skipElement(input, i); // not a token: garbage up to the next list comma
      continue;
    }
    const token = input.slice(start, i);
    const afterToken = i;
    i = skipWhitespace(input, i);
    if (current && i < n && input.charCodeAt(i) === EQUALS) {
      i = parseParamValue(input, skipWhitespace(input, i + 1), current, token.toLowerCase());
      continue;
    }
    current = { scheme: token.toLowerCase(), params: Object.create(null) as Record<string, string> };
    challenges.push(current);
    if (i > afterToken && i < n) {
      const end = token68End(input, i);
      if (end !== undefined) {
        current.token68 = input.slice(i, end);
        i = end;
      }
    }
  }
  return challenges;
}

/** Reads `token / quoted-string` at `i`, stores it under `name` unless already set; returns the next index. */
function parseParamValue(input: string, i: number, challenge: MutableChallenge, name: string): number {
  const n = input.length;
  let value: string;
  if (i < n && input.charCodeAt(i) === QUOTE) {
    [value, i] = readQuoted(input, i);
  } else {
    // Lenient: an unquoted value runs to whitespace or comma (tolerates unquoted URLs).
    const start = i;
    while (i < n) {
      const c = input.charCodeAt(i);
      if (c === COMMA || isWhitespace(c) || c === QUOTE) break;
      i++;
    }
    value = input.slice(start, i);
  }
  if (!(name in challenge.params)) challenge.params[name] = value;
  i = skipWhitespace(input, i);
  return i < n && input.charCodeAt(i) !== COMMA ? skipElement(input, i) : i;
}

/** RFC 9110 §5.6.4 quoted-string starting at the opening quote; an unterminated one runs to the end. */
function readQuoted(input: string, i: number): [string, number] {
  const n = input.length;
  let value = '';
  let runStart = ++i;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === QUOTE) {
      return [value + input.slice(runStart, i), i + 1];
    }
    if (c === BACKSLASH && i + 1 < n) {
      value += input.slice(runStart, i) + input[i + 1];
      i += 2;
      runStart = i;
      continue;
    }
    i++;
  }
  return [value + input.slice(runStart, n), n];
}

/** End of a token68 at `i` when it is the whole rest of the element (only whitespace before a comma). */
function token68End(input: string, i: number): number | undefined {
  const n = input.length;
  let j = i;
  while (j < n && isToken68Char(input.charCodeAt(j))) j++;
  if (j === i) return undefined;
  while (j < n && input.charCodeAt(j) === EQUALS) j++;
  const k = skipWhitespace(input, j);
  return k === n || input.charCodeAt(k) === COMMA ? j : undefined;
}

function skipWhitespace(input: string, i: number): number {
  while (i < input.length && isWhitespace(input.charCodeAt(i))) i++;
  return i;
}

/** Skips to the next comma outside a quoted string (recovery after malformed input). */
function skipElement(input: string, i: number): number {
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === COMMA) return i;
    if (c === QUOTE) {
      i = readQuoted(input, i)[1];
      continue;
    }
    i++;
  }
  return n;
}
