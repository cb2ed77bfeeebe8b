/** Small self-contained HTML pages for the browser window that goes through an OAuth flow. */

function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, message: string, closeSoon: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#3f4350}h1{font-size:1.4rem}</style>
</head><body><h1>${escapeHTML(title)}</h1><p>${escapeHTML(message)}</p>
${closeSoon ? '<script>setTimeout(function(){window.close()},1500)</script>' : ''}
</body></html>`;
}

export function connectedPage(serverName: string): string {
  return page('Account connected', `Your account is connected to ${serverName}. You can close this window and go back to Mattermost.`, true);
}

export function failedPage(message: string): string {
  return page('Authorization failed', message, false);
}
