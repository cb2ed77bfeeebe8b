import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { oneLine, plain } from '../../server/mattermost/markdown.js';
import { toolsText } from '../../server/mattermost/command-replies.js';
import type { ServerState } from '../../server/mcp/types.js';

/**
 * What Mattermost turns into a link, mention or emoji in a post's text (webapp `utils/text_formatting.tsx`,
 * `utils/emoticons.tsx`, and the URL rule of its Markdown parser), run over a text node as Mattermost sees it:
 * Markdown escapes resolved, HTML-escaped.
 */
const AUTOLINKS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a URL with a scheme', /[a-z][a-z0-9+.-]*:\/\//i],
  ['a www. link', /www\.[\p{L}\p{N}_-]/iu],
  ['an e-mail address', /(?:^|[^\p{L}\d])[\p{L}\p{Nd}!#$%&'*+\-/=?^_`{|}~.]+@[\p{L}\d.-]+[.]\p{L}{2,5}(?=$|[^\p{L}])/u],
  ['an @mention', /(?:\B|\b_+)@[a-z0-9.\-_]+/i],
  ['a ~channel link', /\B~[a-z0-9.\-_]+/i],
  ['a #hashtag', /(?:^|\W)#\p{L}[\p{L}\d\-_.]*[\p{L}\d]/u],
  ['an :emoji:', /(?<!\w):[\w+-]+:(?!\w)/],
  [
    'a text emoticon',
    /(?:^|\B)(?::-?[)\]([@/|$]|;-?\)|:[`'’]-?\(|:&#x27;\(|:&#39;\(|&lt;\/?3)|(?:^|\B|\b)(?::-?[dpso]|:-[ox]|x-d)(?:$|\b)/i,
  ],
];

/** The text of `markdown` as Mattermost's renderer hands it to its autolinker: escapes resolved, HTML-escaped. */
function textNode(markdown: string): string {
  return markdown
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;')
    .replace(/"/g, '&quot;');
}

/** What a reader sees: escapes resolved, invisible joiners gone. */
function visible(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1').replace(/\u2060/g, '');
}

/** Characters that start Markdown syntax, which must reach the parser escaped. */
function unescapedSyntax(markdown: string): string[] {
  return [...markdown.matchAll(/(\\*)([[\]<>`*_~|#&])/g)].filter((m) => m[1]!.length % 2 === 0).map((m) => m[2]!);
}

const hostileFragment = fc.constantFrom(
  'https://evil.example/x',
  'HTTP://EVIL.EXAMPLE',
  'ftp://x',
  'www.evil.example',
  'WWW.x.y',
  'mallory@evil.example',
  'bob@evil.com',
  'a.b+c@d-e.co',
  '@alice',
  '@channel',
  '@all',
  '_@here',
  '~town-square',
  '~off-topic',
  '#hashtag',
  '#ünïcode',
  ':smile:',
  ':+1:',
  ':white_check_mark:',
  ':)',
  ':-)',
  ';)',
  ':D',
  ':p',
  ':o',
  ':-o',
  ':/',
  ':(',
  ":'(",
  ':|',
  ':$',
  ':@',
  ':]',
  ':-x',
  'x-d',
  'X-D',
  '<3',
  '</3',
  '&lt;3',
  '[click](https://evil.example)',
  '![img](https://evil.example/a.png)',
  '<https://evil.example>',
  '# Heading',
  '| a | b |',
  '---',
  '**bold**',
  '`code`',
  '\\',
  '&amp;',
  ' ',
  '.',
  ':',
  '@',
  '~',
  '#',
  '/',
  '-',
);
const hostileText = fc
  .array(fc.oneof(hostileFragment, fc.string(), fc.string({ unit: 'grapheme-composite' })), { maxLength: 12 })
  .map((parts) => parts.join(''));

describe('untrusted text in a post (tool descriptions, error reasons)', () => {
  it('renders no link, mention, channel link, hashtag or emoji for any text, and shows the same characters', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const rendered = plain(text, 10_000);
        const node = textNode(rendered);
        for (const [what, pattern] of AUTOLINKS)
          expect({ what, match: node.match(pattern)?.[0] }).toEqual({ what, match: undefined });
        expect(unescapedSyntax(rendered)).toEqual([]);
        expect(visible(rendered)).toBe(oneLine(text, 10_000));
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['a bare URL', 'See https://evil.example/login now'],
    ['a www. address', 'Visit www.evil.example'],
    ['an e-mail address', 'Write to mallory@evil.com'],
    ['an :emoji: and emoticons', 'Done :white_check_mark: :) <3'],
    ['a mention and a channel link', 'Ask @channel in ~town-square'],
    ['a Markdown link and image', '[Reset your password](https://evil.example) ![x](https://evil.example/p.png)'],
  ])('keeps %s as plain text in `/mcp tools`', (_what, description) => {
    const state: ServerState = {
      serverName: 'wiki',
      serverOrigin: 'https://wiki.example.com',
      status: 'connected',
      tools: [{ name: 'wiki__search', serverName: 'wiki', toolName: 'search', description, inputSchema: {} }],
    };
    const line = toolsText([state], undefined)
      .split('\n')
      .find((l) => l.startsWith('- `wiki__search`'))!;
    const node = textNode(line.slice('- `wiki__search`: '.length));
    for (const [what, pattern] of AUTOLINKS)
      expect({ what, match: node.match(pattern)?.[0] }).toEqual({ what, match: undefined });
    expect(visible(line)).toBe(`- \`wiki__search\`: ${description}`);
  });
});
