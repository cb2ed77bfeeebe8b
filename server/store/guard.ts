import { StoreClosedError, StoreError, StoreUnavailableError } from './errors.js';

/** Runs one backend operation: refuses after close, and turns any driver failure into `StoreUnavailableError`. */
export type Guard = <R>(operation: string, run: () => Promise<R>) => Promise<R>;

export function makeGuard(backend: string, where: string, isClosed: () => boolean): Guard {
  return async (operation, run) => {
    if (isClosed()) throw new StoreClosedError(operation);
    try {
      return await run();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreUnavailableError(backend, where, operation, { cause: error });
    }
  };
}
