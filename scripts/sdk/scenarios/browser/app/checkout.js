// Source of the minified app code of browser-i-minified. build-minified.mjs
// bundles it with esbuild (minify: mangled names, one long line), injects a
// debug ID with `sentry-cli sourcemaps inject` and serves it as
// js/app.<content hash>.min.js with its source map next to it.
function formatPrice(cents, currency) {
  return currency.symbol + (cents / 100).toFixed(2); // TypeError: currency is undefined
}

function renderCartLine(line, currency) {
  return line.name + ' x' + line.qty + ': ' + formatPrice(line.cents * line.qty, currency);
}

function renderCart(cart) {
  return cart.lines.map(function (line) { return renderCartLine(line, cart.currency); }).join('\n');
}

const cart = {
  lines: [
    { name: 'Green tea', cents: 450, qty: 2 },
    { name: 'Teapot', cents: 2900, qty: 1 },
  ],
  // currency missing: the API returned a cart without it
};

document.body.setAttribute('data-cart', renderCart(cart));
