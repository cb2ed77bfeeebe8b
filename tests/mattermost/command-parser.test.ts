import { describe, expect, it } from '@jest/globals';
import { parseCommand, serverNameArgument, tokenize } from '../../server/mattermost/command-parser.js';

describe('parseCommand', () => {
  it('drops the trigger and lower-cases the subcommand', () => {
    expect(parseCommand('/mcp STATUS')).toEqual({ subcommand: 'status', args: [] });
    expect(parseCommand('/mcp')).toEqual({ subcommand: '', args: [] });
  });

  it.each([
    ['/mcp connect "Team Wiki"', ['Team Wiki']],
    ["/mcp connect 'Team Wiki'", ['Team Wiki']],
    ['/mcp connect “Team Wiki”', ['Team Wiki']],
    ['/mcp connect "Team Wiki', ['Team Wiki']],
    ['/mcp connect   wiki  ', ['wiki']],
    ['/mcp connect ""', ['']],
  ])('reads %j as one server name', (line, args) => {
    expect(parseCommand(line).args).toEqual(args);
  });

  it('keeps quoted spaces but joins unquoted words into one server name', () => {
    expect(tokenize('connect "a  b" c')).toEqual(['connect', 'a  b', 'c']);
    expect(serverNameArgument(parseCommand('/mcp connect Team Wiki').args)).toBe('Team Wiki');
  });
});
