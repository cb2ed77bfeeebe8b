import type { HostStore } from '../registry';

declare global {
  interface Window {
    /** Mattermost's subpath (e.g. "/chat") when it is served below the origin. */
    basename?: string;
  }
}

let store: HostStore | undefined;

export function setHostStore(next: HostStore | undefined): void {
  store = next;
}

/** Where this browser reaches Mattermost: same origin as the page, so cookies and CSRF work. */
export function browserSiteURL(): string {
  return window.location.origin + (window.basename ?? '').replace(/\/+$/, '');
}

/** The configured Site URL (what the server builds its own URLs from), else the browser's. */
export function configuredSiteURL(adminSiteURL?: string): string {
  const configured = adminSiteURL || store?.getState().entities?.general?.config?.SiteURL;
  return (configured || browserSiteURL()).replace(/\/+$/, '');
}
