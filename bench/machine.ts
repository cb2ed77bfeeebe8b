/** The machine a run happened on, for the report (the figures mean little without it). */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly openFilesLimit: string;
  readonly loadAverageAtStart: readonly number[];
  loadAverageAtEnd?: readonly number[];
}

export function describeMachine(): MachineInfo {
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    openFilesLimit: openFilesLimit(),
    loadAverageAtStart: loadavg().map(round2),
  };
}

export function loadAverageNow(): readonly number[] {
  return loadavg().map(round2);
}

function openFilesLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return (
      line
        ?.replace(/^Max open files\s+/, '')
        .trim()
        .split(/\s+/)[0] ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
