/**
 * Tool lists shaped like real MCP servers' (issue trackers, wikis): a description of a few sentences and
 * an input schema of several documented properties, about 1 KB of JSON per tool. Per-user copies of these
 * are what grows with the number of users, so the benchmarks list realistic ones rather than `echo`.
 */
import type { TestTool } from '../tests/support/mcp-test-server.js';
import { echoTool } from '../tests/support/mcp-test-server.js';

const VERBS = ['search', 'get', 'create', 'update', 'list', 'close', 'comment_on', 'assign', 'label', 'link'];
const NOUNS = ['issues', 'pages', 'pull_requests', 'milestones', 'projects'];

/** `count` tools (plus `echo`), deterministic, each with a schema of six properties. */
export function realisticTools(count: number): TestTool[] {
  const tools: TestTool[] = [echoTool];
  for (let i = 0; i < count; i++) {
    const verb = VERBS[i % VERBS.length]!;
    const noun = NOUNS[Math.floor(i / VERBS.length) % NOUNS.length]!;
    tools.push({
      name: `${verb}_${noun}_${i}`,
      description:
        `${verb.replace('_', ' ')} ${noun.replace('_', ' ')} in the workspace the user can see. ` +
        'Results are ordered by last update; use the cursor from a previous answer to read the next page. ' +
        'Fields the user may not see are left out.',
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'Free text, matched against titles and bodies; quotes make a phrase.' },
          project: {
            type: 'string',
            description: 'Project key, e.g. "MM"; all projects the user can see when omitted.',
          },
          state: {
            type: 'string',
            enum: ['open', 'closed', 'all'],
            description: 'Which items to include (default open).',
          },
          labels: {
            type: 'array',
            items: { type: 'string' },
            description: 'Only items carrying every one of these labels.',
          },
          limit: {
            type: 'integer',
            minimum: 1,
            maximum: 100,
            description: 'Largest number of items to return (default 20).',
          },
          cursor: { type: 'string', description: 'Opaque cursor from the previous page.' },
        },
        required: ['query'],
      },
      run: () => ({ content: [{ type: 'text', text: `${verb} ${noun}: nothing found` }] }),
    });
  }
  return tools;
}
