/**
 * Jest reporter of the end-to-end suite: when a spec file has failures, prints the end of what the
 * Mattermost server (and so the plugin's shim and sidecar) logged while that file ran.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

const LINES = 80;

export default class ServerLogReporter {
  /** @type {Map<string, number>} spec path → log size when it started */
  #offsets = new Map();

  #logFile() {
    const state = process.env.MCP_E2E_STATE;
    if (!state) return undefined;
    try {
      return JSON.parse(readFileSync(state, 'utf8')).logFile;
    } catch {
      return undefined;
    }
  }

  onTestFileStart(test) {
    const file = this.#logFile();
    if (file) this.#offsets.set(test.path, statSync(file, { throwIfNoEntry: false })?.size ?? 0);
  }

  onTestFileResult(test, result) {
    const file = this.#logFile();
    if (!file || (result.numFailingTests === 0 && !result.testExecError)) return;
    const from = this.#offsets.get(test.path) ?? 0;
    const size = statSync(file).size;
    const buffer = Buffer.alloc(size - from);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      closeSync(fd);
    }
    const lines = buffer.toString('utf8').trimEnd().split('\n');
    process.stderr.write(
      `\nMattermost log while ${test.path.replace(/.*\/tests\//, 'tests/')} ran (last ${Math.min(LINES, lines.length)} of ${lines.length} lines, ${file}):\n`,
    );
    process.stderr.write(`${lines.slice(-LINES).join('\n')}\n\n`);
  }
}
