/** RFC 7636 Proof Key for Code Exchange, S256 only (OAuth 2.1 §4.1.1). */
import { createHash, randomBytes } from 'node:crypto';
import { PKCENotSupportedError } from './errors.js';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.js';

export interface PKCEPair {
  /** Kept secret by the client until the token request (RFC 7636 §4.1). */
  readonly codeVerifier: string;
  /** Sent in the authorization request (RFC 7636 §4.2). */
  readonly codeChallenge: string;
  readonly codeChallengeMethod: 'S256';
}

/**
 * A code verifier from `byteLength` random bytes, base64url: 32 bytes give 43 characters, 96 give
 * 128 (RFC 7636 §4.1 allows 43–128; §7.1 asks for 32 bytes of entropy at least).
 */
export function generateCodeVerifier(byteLength = 32): string {
  if (!Number.isInteger(byteLength) || byteLength < 32 || byteLength > 96) {
    throw new RangeError('PKCE code verifier needs 32 to 96 random bytes');
  }
  return randomBytes(byteLength).toString('base64url');
}

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export function codeChallengeS256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

export function generatePKCE(byteLength = 32): PKCEPair {
  const codeVerifier = generateCodeVerifier(byteLength);
  return { codeVerifier, codeChallenge: codeChallengeS256(codeVerifier), codeChallengeMethod: 'S256' };
}

export interface PKCEPolicy {
  /**
   * Accept an authorization server whose metadata omits `code_challenge_methods_supported`
   * (some ASes support S256 without saying so). One that lists methods without S256 is always refused.
   */
  readonly allowMissingS256?: boolean;
}

/**
 * MCP authorization (2025-11-25) "Authorization Code Protection": refuse an authorization server
 * that does not advertise S256, and, unless `allowMissingS256`, one that advertises nothing.
 */
export function assertS256Supported(
  metadata: Pick<AuthorizationServerMetadata, 'issuer' | 'code_challenge_methods_supported'>,
  policy: PKCEPolicy = {},
): void {
  const methods = metadata.code_challenge_methods_supported;
  if (methods === undefined) {
    if (policy.allowMissingS256) return;
    throw new PKCENotSupportedError(metadata.issuer, undefined);
  }
  if (!methods.includes('S256')) throw new PKCENotSupportedError(metadata.issuer, methods);
}
