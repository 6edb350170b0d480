// captureMessage with level warning (the Node SDK attaches a synthetic stack).
import { Sentry, init, finish } from './_common.mjs';

init();
Sentry.captureMessage('Payment provider latency high', 'warning');
await finish();
