// What a script started, stopped newest first on every way out (success, failure, timeout, signal):
// `npm start`, the integration harness and the workbench driver share this.

/**
 * A stack of cleanups. `stop(announcement)` runs each once, newest first, logs one that fails and
 * goes on with the rest; every later call gets the same promise (a signal during a normal stop
 * does not stop twice). The announcement, when given, is logged once, before the first cleanup.
 * @param {(message: string) => void} log
 */
export function cleanupStack(log) {
  const cleanups = [];
  let stopping;
  return {
    /** @param {() => unknown} cleanup */
    push(cleanup) {
      cleanups.push(cleanup);
    },
    /** True once `stop()` has been called. */
    get stopping() {
      return stopping !== undefined;
    },
    /** @param {string} [announcement] */
    stop(announcement) {
      stopping ??= (async () => {
        if (announcement) log(announcement);
        for (const cleanup of cleanups.splice(0).reverse()) {
          try {
            await cleanup();
          } catch (error) {
            log(`while stopping: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      })();
      return stopping;
    },
  };
}
