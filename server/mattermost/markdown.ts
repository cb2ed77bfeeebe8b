/** Markdown helpers for replies Mattermost renders. Text from MCP servers is untrusted: it is escaped. */

const SPECIAL = /[\\`*_~[\]<>|#&]/g;

/** Escapes the characters that would make text bold, code, a link, an HTML tag or entity, or a table cell break. */
export function escapeMarkdown(text: string): string {
  return text.replace(SPECIAL, (c) => `\\${c}`);
}

/** U+2060 WORD JOINER: invisible, and no letter, digit or space to any of Mattermost's autolink patterns. */
const JOINER = '\u2060';

/**
 * Breaks what Mattermost would turn into a link, mention or emoji in a post (its webapp's `text_formatting` and
 * `emoticons`, and its Markdown parser's URL rule) with an invisible joiner, so the text reads the same: after
 * `:` (URL schemes, `:emoji:`, `:)`), `;` (`;)`), `@` (mentions, e-mail addresses), `~` (channel links), `#`
 * (hashtags), `<` (`<3`) and `$` (its `$MM_…$` placeholders), before a `.` inside a word (`www.`, domains), and inside
 * `x-d`.
 */
export function defuseAutolinks(text: string): string {
  return text
    .replace(/[:;@~#<$]/g, `$&${JOINER}`)
    .replace(/\.(?=[\p{L}\p{N}_-])/gu, `${JOINER}.`)
    .replace(/(x)-(d)/gi, `$1-${JOINER}$2`);
}

/** One line of at most `max` characters: newlines and runs of spaces collapse, the rest is cut with "…". */
export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Untrusted text for a table cell or a list item: one line, escaped, and nothing Mattermost would link. */
export function plain(text: string, max = 300): string {
  return escapeMarkdown(defuseAutolinks(oneLine(text, max)));
}

/** `name` in bold, escaped. */
export function bold(name: string): string {
  return `**${escapeMarkdown(name)}**`;
}

/** `text` as inline code; backticks inside get a longer fence (CommonMark §6.1). */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/**
 * Makes a plugin-relative URL (`/plugins/...`) absolute against the site URL, since a link in a post
 * needs one. Undefined for anything that is not then an http(s) URL.
 */
export function absoluteURL(url: string, siteURL: string | undefined): string | undefined {
  let resolved: URL;
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(url)) resolved = new URL(url);
    else if (url.startsWith('/') && !url.startsWith('//') && siteURL)
      resolved = new URL(`${siteURL.replace(/\/+$/, '')}${url}`);
    else return undefined;
  } catch {
    return undefined;
  }
  return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : undefined;
}

/** A Markdown link; characters that would end the link target are percent-encoded. */
export function link(text: string, url: string): string {
  return `[${escapeMarkdown(text)}](${url.replace(/[()\s<>]/g, (c) => encodeURIComponent(c))})`;
}
