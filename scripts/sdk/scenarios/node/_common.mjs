// Shared setup of the Node scenarios. Run one with the tools' node wrapper
// (scripts/sdk/install), which makes '@sentry/node' importable from here:
//   $MOTH_SDK_TOOLS/bin/node scripts/sdk/scenarios/node/<scenario>.mjs [PORT]
// The DSN is the fixtures' one on 127.0.0.1:PORT (default 8765) unless
// SENTRY_DSN is set.
import * as Sentry from '@sentry/node';

export { Sentry };
export const port = process.argv[2] || process.env.MOTH_CAPTURE_PORT || '8765';
export const dsn =
  process.env.SENTRY_DSN || `http://abcdef0123456789abcdef0123456789@127.0.0.1:${port}/42`;

export function init(extra) {
  Sentry.init({ dsn, debug: !!process.env.SENTRY_DEBUG, ...(extra || {}) });
}

// Send everything queued, then shut the client down (this is when the Node SDK
// sends the release-health session of the process).
export async function finish() {
  await Sentry.flush(5000);
  await Sentry.close(2000);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
