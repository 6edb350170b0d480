// captureException of a TypeError thrown 4 functions deep (plus an Array.map
// callback): reading a property of undefined.
import { Sentry, init, finish } from './_common.mjs';

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

init();
try {
  handleRequest({ userId: 42 });
} catch (e) {
  Sentry.captureException(e);
}
await finish();
