/** Exponential backoff with full jitter, for retrying a failed server without hammering it. */
export function backoffDelayMs(attempt: number, baseMs = 1_000, maxMs = 60_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
