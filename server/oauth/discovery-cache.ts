import { discoverAuthorization, type AuthorizationDiscovery, type AuthorizationDiscoveryOptions } from './discovery.js';

const TTL_MS = 10 * 60_000;

/** Discovery results per server (and metadata hint), shared by all users, for ten minutes. */
export class DiscoveryCache {
  private readonly entries = new Map<string, { at: number; discovery: Promise<AuthorizationDiscovery> }>();

  constructor(private readonly options: AuthorizationDiscoveryOptions, private readonly now: () => number = Date.now) {}

  get(serverURL: string, resourceMetadataURL?: string): Promise<AuthorizationDiscovery> {
    const key = `${serverURL} ${resourceMetadataURL ?? ''}`;
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.at < TTL_MS) return entry.discovery;
    const discovery = discoverAuthorization(serverURL, { ...this.options, ...(resourceMetadataURL && { resourceMetadataURL }) });
    this.entries.set(key, { at: this.now(), discovery });
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
