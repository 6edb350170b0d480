// An Error whose `cause` is a DbError whose `cause` is a low-level connection
// error: the LinkedErrors integration sends 3 exception values, innermost
// first, linked by mechanism.exception_id / parent_id with source "cause".
import { Sentry, init, finish } from './_common.mjs';

class DbError extends Error {
  constructor(msg, opts) { super(msg, opts); this.name = 'DbError'; }
}

function connect(host) {
  throw new Error(`connect ECONNREFUSED ${host}:5432`);
}
function queryOrders() {
  try {
    connect('10.0.0.5');
  } catch (e) {
    throw new DbError('query failed: SELECT * FROM orders WHERE status = $1', { cause: e });
  }
}
function loadDashboard() {
  try {
    queryOrders();
  } catch (e) {
    throw new Error('dashboard could not be loaded', { cause: e });
  }
}

init();
try {
  loadDashboard();
} catch (e) {
  Sentry.captureException(e);
}
await finish();
