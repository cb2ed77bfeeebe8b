/** Small self-contained HTML pages for the browser window that goes through an OAuth flow. */
import { createHash } from 'node:crypto';

const CLOSE_SOON = 'setTimeout(function(){window.close()},1500)';

/**
 * Headers every page goes out with: no MIME sniffing, and a CSP that allows the page's own inline style and its one
 * inline script (by hash) and nothing else: no other script, no request out, no framing.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${createHash('sha256').update(CLOSE_SOON).digest('base64')}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'Referrer-Policy': 'no-referrer',
};

function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, message: string, closeSoon: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#3f4350}h1{font-size:1.4rem}</style>
</head><body><h1>${escapeHTML(title)}</h1><p>${escapeHTML(message)}</p>
${closeSoon ? `<script>${CLOSE_SOON}</script>` : ''}
</body></html>`;
}

export function connectedPage(serverName: string): string {
  return page(
    'Account connected',
    `Your account is connected to ${serverName}. You can close this window and go back to Mattermost.`,
    true,
  );
}

export function nothingToConnectPage(serverName: string): string {
  return page(
    'Nothing to connect',
    `${serverName} needs no connection: it works without signing in, so its tools are already available to you in Mattermost. You can close this window.`,
    false,
  );
}

export function failedPage(message: string): string {
  return page('Authorization failed', message, false);
}
