// An event with a ~100 KB extra string: the serialized envelope is larger than
// 32 KiB, so the Node transport gzips the body (Content-Encoding: gzip).
import { Sentry, init, finish } from './_common.mjs';

init();
let big = '';
let i = 0;
while (big.length < 100000) { big += `${i} GET /api/v1/items/${(i * 7919) % 99991} ${Math.random().toString(36).slice(2)}\n`; i++; }
Sentry.setExtra('request_log', big);
Sentry.captureException(new Error('response too large'));
await finish();
