// An exception with breadcrumbs, tags, user, extra, a custom context, release
// and environment. With a release set, the SDK also sends the process's
// release-health session (when the client closes).
import { Sentry, init, finish } from './_common.mjs';

init({ release: 'shop-api@2.3.0', environment: 'staging' });
Sentry.addBreadcrumb({ category: 'auth', message: 'User logged in', level: 'info' });
Sentry.addBreadcrumb({ category: 'query', message: 'SELECT * FROM carts WHERE id = $1', data: { rows: 1 } });
Sentry.setTag('feature', 'checkout');
Sentry.setTags({ region: 'eu-west-1', canary: 'false' });
Sentry.setUser({ id: 'u-42', email: 'ada@example.com', username: 'ada' });
Sentry.setExtra('cart_size', 3);
Sentry.setContext('payment', { provider: 'stripe', attempt: 2 });
try {
  throw new RangeError('quantity must be between 1 and 10');
} catch (e) {
  Sentry.captureException(e);
}
await finish();
