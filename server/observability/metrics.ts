import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSource {
  stats(): { users: number; connectedClients: number };
}

/** Prometheus metrics for MCP itself: users, connections, tool calls, config changes. */
export interface Metrics {
  readonly registry: Registry;
  readonly toolCallDuration: Histogram<'outcome'>;
  readonly configChanges: Counter<'outcome'>;
}

export function createMetrics(source: () => MetricsSource | undefined): Metrics {
  const registry = new Registry();
  new Gauge({
    name: 'mcp_users',
    help: 'Users with MCP connections open in this sidecar',
    registers: [registry],
    collect() {
      this.set(source()?.stats().users ?? 0);
    },
  });
  new Gauge({
    name: 'mcp_connected_clients',
    help: 'Open (user, server) MCP connections',
    registers: [registry],
    collect() {
      this.set(source()?.stats().connectedClients ?? 0);
    },
  });
  const toolCallDuration = new Histogram({
    name: 'mcp_tool_call_duration_seconds',
    help: 'Tool calls made for users, by outcome (ok, tool_error, failed)',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const configChanges = new Counter({
    name: 'mcp_config_changes_total',
    help: 'Configuration updates, by outcome (applied, rejected)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, toolCallDuration, configChanges };
}
