// A genuinely uncaught TypeError (thrown from a timer): the
// onUncaughtException integration captures it (level fatal), flushes, and the
// process exits with status 1. The session is sent as `crashed`.
import { init } from './_common.mjs';

function renderProfile(user) {
  return formatAddress(user.profile);
}
function formatAddress(profile) {
  const fields = ['street', 'city'];
  return joinFields(profile.address, fields);
}
function joinFields(address, fields) {
  return fields.map((f) => address[f].toUpperCase()).join(', ');
}
function handleRequest(req) {
  const user = { id: req.userId, profile: { address: { street: 'Main St' } } };
  return renderProfile(user); // address.city is undefined -> TypeError
}

init({ release: 'shop-api@2.3.0' });
setTimeout(() => handleRequest({ userId: 1 }), 10);
// no flush: the SDK flushes by itself before the process exits
