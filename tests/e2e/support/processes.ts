/**
 * The plugin's processes as Linux shows them (/proc): Mattermost's child running the Go shim, and
 * the shim's child running the sidecar from the unpacked bundle; the unix sockets they listen on.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The command line, arguments joined by spaces. */
  readonly cmdline: string;
  /** The executable (`/proc/<pid>/exe`), or '' when it cannot be read. */
  readonly exe: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 is the parent pid; the command name (field 2) may hold spaces, so count from its ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      // a zombie, or another user's process
    }
    return { pid, ppid, cmdline, exe };
  } catch {
    return undefined; // exited while we looked
  }
}

export function allProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/** Every process descending from `ancestor`. */
export function descendants(ancestor: number): ProcessInfo[] {
  const all = allProcesses();
  const found: ProcessInfo[] = [];
  const parents = new Set([ancestor]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** The plugin's processes under the Mattermost server `serverPid`: the shim and the sidecar(s). */
export function pluginProcesses(
  serverPid: number,
  bundleDir: string,
): { shims: ProcessInfo[]; sidecars: ProcessInfo[] } {
  const under = descendants(serverPid).filter((p) => p.cmdline.includes(bundleDir) || p.exe.startsWith(bundleDir));
  return { shims: under.filter((p) => p.ppid === serverPid), sidecars: under.filter((p) => p.ppid !== serverPid) };
}

/** Paths of the unix sockets listening under `dir` (/proc/net/unix). */
export function listeningSocketsUnder(dir: string): string[] {
  return (
    readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = __SO_ACCEPTCON (listening)
      .filter((fields) => fields.length >= 8 && fields[3] === '00010000' && fields[7]!.startsWith(dir))
      .map((fields) => fields[7]!)
  );
}
