// The requests the sidecar sends to MCP servers: the layers each goes through, and the one function that stacks them.
export type { FetchLike } from './fetch-like.js';
export { serverFetch, type ClientAuthHooks, type ServerFetchLayers, type ServerGuard } from './pipeline.js';
export { withServerHeaders } from './request-headers.js';
export { withDeadline } from './deadline.js';
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_SSE_EVENT_BYTES,
  ResponseTooLargeError,
  isToolListRequest,
  withResponseLimits,
  type ResponseLimits,
} from './response-limits.js';
export {
  CircuitBreaker,
  DEFAULT_FAILURE_THRESHOLD,
  type BreakerState,
  type CircuitBreakerOptions,
  type Outcome,
  type RunOptions,
} from './circuit-breaker.js';
export { linkedSignal, type LinkedSignal } from './linked-signal.js';
