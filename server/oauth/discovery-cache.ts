import { discoverAuthorization, type AuthorizationDiscovery, type AuthorizationDiscoveryOptions } from './discovery.js';

const TTL_MS = 10 * 60_000;
/**
 * Entries kept at most; the least recently used goes first. A server's challenge names the metadata URL, so keys come
 * from outside.
 */
export const DISCOVERY_CACHE_ENTRIES = 256;

export interface DiscoveryRequest {
  readonly serverURL: string;
  /** The `resource_metadata` of the server's own challenge. */
  readonly resourceMetadataURL?: string;
  readonly pinnedIssuer?: AuthorizationDiscoveryOptions['pinnedIssuer'];
}

/** Discovery results per server (and metadata hint and pinned issuer), shared by all users, for ten minutes. */
export class DiscoveryCache {
  private readonly entries = new Map<string, { at: number; discovery: Promise<AuthorizationDiscovery> }>();

  constructor(
    private readonly options: AuthorizationDiscoveryOptions,
    private readonly now: () => number = Date.now,
    private readonly capacity = DISCOVERY_CACHE_ENTRIES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(request: DiscoveryRequest): Promise<AuthorizationDiscovery> {
    const { serverURL, resourceMetadataURL, pinnedIssuer } = request;
    const key = JSON.stringify([serverURL, resourceMetadataURL ?? '', pinnedIssuer?.issuer ?? '']);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry && this.now() - entry.at < TTL_MS) {
      this.entries.set(key, entry); // most recently used last
      return entry.discovery;
    }
    const discovery = discoverAuthorization(serverURL, {
      ...this.options,
      ...(resourceMetadataURL && { resourceMetadataURL }),
      ...(pinnedIssuer && { pinnedIssuer }),
    });
    this.entries.set(key, { at: this.now(), discovery });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    // A failure is not cached: the next attempt discovers again.
    discovery.catch(() => {
      if (this.entries.get(key)?.discovery === discovery) this.entries.delete(key);
    });
    return discovery;
  }

  clear(): void {
    this.entries.clear();
  }
}
