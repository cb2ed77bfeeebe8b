/**
 * Keeps one known warning out of the benchmark's output: undici registers an abort listener on the SDK
 * transport's long-lived signal for every POST and removes it only when the request is collected, so a few
 * thousand calls in a row cross Node's 1,500-listener warning (raw SDK clients and the sidecar's alike).
 * Every other warning is printed as usual.
 */
export function quietAbortListenerWarnings(): { readonly suppressed: number } {
  const counter = { suppressed: 0 };
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'MaxListenersExceededWarning' && warning.message.includes('AbortSignal')) counter.suppressed++;
    else console.warn(warning);
  });
  return counter;
}
