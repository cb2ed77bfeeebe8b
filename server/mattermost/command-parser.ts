/** A parsed `/mcp <subcommand> <args…>` line. */
export interface ParsedCommand {
  /** Lower-cased; empty for a bare `/mcp`. */
  readonly subcommand: string;
  readonly args: readonly string[];
}

// Straight and typographic quotes (clients may "smarten" what the user typed).
const QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '„': '“', '‘': '’' };

/**
 * Splits a command line into words; a quoted part ("Team Wiki") is one word. An unterminated quote
 * runs to the end of the line. The trigger (`/mcp`) is dropped.
 */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let closing: string | undefined;
  for (const char of line) {
    if (closing !== undefined) {
      if (char === closing) closing = undefined;
      else current += char;
    } else if (char in QUOTES) {
      closing = QUOTES[char];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

export function parseCommand(line: string): ParsedCommand {
  const words = tokenize(line);
  if (words[0]?.startsWith('/')) words.shift();
  const [subcommand = '', ...args] = words;
  return { subcommand: subcommand.toLowerCase(), args };
}

/** The server name argument: the quoted word, or every remaining word joined (`/mcp connect Team Wiki`). */
export function serverNameArgument(args: readonly string[]): string {
  return args.join(' ').trim();
}
