// An unhandled promise rejection: captured by the onUnhandledRejection
// integration (default mode 'warn': the process goes on).
import { init, finish, sleep } from './_common.mjs';

init({ release: 'shop-api@2.3.0' });
setTimeout(() => { Promise.reject(new Error('unhandled: token refresh failed')); }, 10);
await sleep(1500);
await finish();
