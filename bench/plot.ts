/** docs/benchmarks.svg: hand-drawn bars (no plotting library) for the goals, tool-call latency and the store. */
import { goals, met } from './goals.js';
import type { BenchResults } from './results.js';

const WIDTH = 860;
const LABEL = 300;
const BAR_MAX = 440;
const ROW = 26;
const GREEN = '#2e7d32';
const RED = '#c62828';
const GREY = '#9e9e9e';
const BLUE = '#1565c0';

export function renderPlot(results: BenchResults): string {
  const parts: string[] = [];
  let y = 30;
  const text = (x: number, ty: number, content: string, attrs = '') =>
    parts.push(`<text x="${x}" y="${ty}" ${attrs}>${escape(content)}</text>`);
  const bar = (x: number, by: number, width: number, color: string) =>
    parts.push(`<rect x="${x}" y="${by}" width="${Math.max(1, width).toFixed(1)}" height="16" fill="${color}"/>`);

  text(10, y, 'Goals: measured ÷ limit (the dashed line is the goal; shorter is better)', 'font-weight="bold"');
  y += 14;
  const scored = goals(results);
  const fractions = scored
    .filter((g) => g.unit !== 'errors' && g.measured !== undefined)
    .map((g) => g.measured! / g.limit);
  const scaleMax = Math.max(2, ...fractions);
  const top = y;
  for (const goal of scored) {
    y += ROW;
    text(10, y + 12, goal.name);
    if (goal.measured === undefined) {
      text(LABEL, y + 12, `not measured: ${goal.missing ?? ''}`.slice(0, 80), `fill="${RED}"`);
    } else if (goal.unit === 'errors') {
      text(
        LABEL,
        y + 12,
        `${goal.measured} ${goal.measured === 1 ? 'error' : 'errors'} (goal: none)`,
        `fill="${met(goal) ? GREEN : RED}"`,
      );
    } else {
      const fraction = goal.measured / goal.limit;
      bar(LABEL, y, (fraction / scaleMax) * BAR_MAX, met(goal) ? GREEN : RED);
      text(
        LABEL + (fraction / scaleMax) * BAR_MAX + 6,
        y + 12,
        `${format(goal.measured, goal.unit)} vs ≤ ${format(goal.limit, goal.unit)}`,
      );
    }
  }
  const goalX = LABEL + BAR_MAX / scaleMax;
  parts.push(
    `<line x1="${goalX}" y1="${top + 20}" x2="${goalX}" y2="${y + 20}" stroke="#000" stroke-dasharray="4 3"/>`,
  );
  y += 50;

  if (results.toolCall.ok) {
    const local = results.toolCall.value.local;
    text(
      10,
      y,
      'Tool call, p50 latency (ms): raw SDK → in-process ClientManager → sidecar HTTP API',
      'font-weight="bold"',
    );
    y += 10;
    const max = Math.max(local.raw.p50, local.manager.p50, local.sidecar.p50);
    for (const [name, summary, color] of [
      ['raw SDK callTool (baseline)', local.raw, GREY],
      ['ClientManager.callTool', local.manager, BLUE],
      ['POST /api/v1/tools/call', local.sidecar, BLUE],
    ] as const) {
      y += ROW;
      text(10, y + 12, name);
      bar(LABEL, y, (summary.p50 / max) * BAR_MAX * 0.8, color);
      text(
        LABEL + (summary.p50 / max) * BAR_MAX * 0.8 + 6,
        y + 12,
        `${summary.p50.toFixed(2)} ms (${(summary.p50 / local.raw.p50).toFixed(2)}×)`,
      );
    }
    y += 50;
  }

  if (results.store.ok) {
    const backends = results.store.value.backends.filter((b) => b.write && b.read);
    text(
      10,
      y,
      'Store: token operations per second, one at a time (sealed tokens vs unsealed records)',
      'font-weight="bold"',
    );
    y += 10;
    const max = Math.max(
      ...backends.flatMap((b) => [b.write!.plain.sequential.perSecond, b.read!.plain.sequential.perSecond]),
    );
    for (const b of backends) {
      for (const [op, figures] of [
        ['write', b.write!],
        ['read', b.read!],
      ] as const) {
        for (const [kind, color] of [
          ['sealed', BLUE],
          ['plain', GREY],
        ] as const) {
          y += ROW - 6;
          const perSecond = figures[kind].sequential.perSecond;
          text(10, y + 12, `${b.backend} ${op} ${kind === 'sealed' ? 'token (sealed)' : 'unsealed (baseline)'}`);
          bar(LABEL, y, (perSecond / max) * BAR_MAX * 0.8, color);
          text(
            LABEL + (perSecond / max) * BAR_MAX * 0.8 + 6,
            y + 12,
            `${Math.round(perSecond).toLocaleString('en-US')}/s`,
          );
        }
      }
      y += 8;
    }
    y += 30;
  }

  text(
    10,
    y,
    `${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}, ${results.startedAt}`,
    `fill="${GREY}"`,
  );
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

export function format(value: number, unit: string): string {
  if (unit === '×') return `${value.toFixed(2)}×`;
  if (unit === 'ms') return `${value < 1 ? value.toFixed(3) : value.toFixed(1)} ms`;
  if (unit === 'MiB') return `${Math.round(value)} MiB`;
  return `${value} ${unit}`;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
