import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { MM_USER_ID_HEADER } from '../config/schema.js';
import { HttpError } from './errors.js';

/** Mattermost ids are 26 lower-case base32 characters; accept a little more for tests and bots. */
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Accepts only requests carrying `Authorization: Bearer <activation secret>` (compared in constant
 * time): without it nobody may claim to be a Mattermost user.
 */
export function requireSidecarSecret(secret: string): RequestHandler {
  const expected = digest(secret);
  return (req, _res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      next(new HttpError(401, 'ERR_SIDECAR_SECRET', 'Missing or wrong sidecar secret.'));
      return;
    }
    next();
  };
}

/** The user the trusted shim says the request is for; 401 without one. */
export function requireUser(): RequestHandler {
  return (req, res, next) => {
    const userId = req.header(MM_USER_ID_HEADER);
    if (!userId || !USER_ID.test(userId)) {
      next(new HttpError(401, 'ERR_NO_USER', `Missing or malformed ${MM_USER_ID_HEADER}: log in to Mattermost.`));
      return;
    }
    res.locals.userId = userId;
    next();
  };
}

export function userIdOf(locals: Record<string, unknown>): string {
  return locals.userId as string;
}
