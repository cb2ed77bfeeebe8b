import { RecordDecryptionError, type RecordStore } from '../store/index.js';
import { OAUTH_SESSION_TTL_MS, sessionKey, type OAuthSession } from './records.js';

/** Authorizations a user may have begun and not finished; starting one more expires the oldest. */
export const MAX_PENDING_FLOWS_PER_USER = 10;

/** The states of one user's pending flows, oldest first. */
interface FlowIndex {
  readonly flows: ReadonlyArray<{ readonly state: string; readonly createdAt: number }>;
}

/**
 * Never a session key: those always hold a ':' between user and state, which `encodeURIComponent` leaves out of either
 * part.
 */
const indexKey = (userId: string): string => `pending/${encodeURIComponent(userId)}`;

/**
 * The pending authorization requests (single-use `state`, ten minutes), at most `MAX_PENDING_FLOWS_PER_USER` per
 * user: a GET a hostile page can trigger over and over must not grow the store. A user's additions run one at a
 * time on this sidecar; across replicas a lost update only leaves a flow to its ten-minute expiry.
 */
export class PendingFlows {
  private readonly adding = new Map<string, Promise<void>>();

  constructor(
    private readonly sessions: RecordStore<OAuthSession>,
    private readonly indexes: RecordStore<FlowIndex>,
    private readonly now: () => number,
  ) {}

  async add(session: OAuthSession): Promise<void> {
    await this.sessions.set(sessionKey(session.userId, session.state), session, OAUTH_SESSION_TTL_MS);
    const expired = await this.indexed(session);
    await Promise.all(expired.map((state) => this.sessions.delete(sessionKey(session.userId, state))));
  }

  /** Adds the flow to its user's index, one at a time per user; returns the states that fell off it. */
  private indexed(session: OAuthSession): Promise<string[]> {
    const userId = session.userId;
    const done = (this.adding.get(userId) ?? Promise.resolve()).then(() => this.index(session));
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.adding.set(userId, settled);
    void settled.then(() => {
      if (this.adding.get(userId) === settled) this.adding.delete(userId);
    });
    return done;
  }

  private async index(session: OAuthSession): Promise<string[]> {
    const key = indexKey(session.userId);
    // An index sealed with a lost key only lists flows that cannot be finished either: start a new one.
    const stored = await this.indexes.get(key).catch((error: unknown) => {
      if (error instanceof RecordDecryptionError) return undefined;
      throw error;
    });
    const live = (stored?.flows ?? []).filter((flow) => this.now() - flow.createdAt < OAUTH_SESSION_TTL_MS);
    const flows = [...live, { state: session.state, createdAt: session.createdAt }];
    const expired = flows.splice(0, Math.max(0, flows.length - MAX_PENDING_FLOWS_PER_USER));
    await this.indexes.set(key, { flows }, OAUTH_SESSION_TTL_MS);
    return expired.map((flow) => flow.state);
  }
}
