// Waiting in a test for something the proxy, the simulator or a socket makes true in its own time:
// poll, and on timeout name what was waited for. One helper, so every test waits the same way.

/** Resolves once `cond()` holds (polled every `pollMs`); rejects naming `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what = 'a condition', ms = 10_000, pollMs = 5): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** As `until`, for a value: resolves with the first `get()` that is not undefined. */
export async function untilValue<T>(get: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  let value: T | undefined;
  await until(() => (value = get()) !== undefined, what, ms);
  return value as T;
}
