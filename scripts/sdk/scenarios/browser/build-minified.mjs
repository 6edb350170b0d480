// Builds the static files of browser-i-minified into OUT_DIR (argument):
//   js/app.<hash>.min.js + .map   app/checkout.js minified by esbuild, with a
//                                 debug ID injected by sentry-cli (offline)
//   minified.html                 index.html's twin that also loads that file
// Run with the tools' node wrapper (it resolves esbuild from the tools dir).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || 'minified-out');
const js = path.join(out, 'js');
mkdirSync(js, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'app', 'checkout.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2018',
  sourcemap: true,
  entryNames: '[name].[hash].min', // content-hashed file name, as bundlers do for caching
  outdir: js,
  metafile: true,
  logLevel: 'warning',
});
const file = Object.keys(result.metafile.outputs).find((f) => f.endsWith('.js'));
const name = path.basename(file);

// Debug IDs: what the Sentry bundler plugins / `sentry-cli sourcemaps inject`
// do; the SDK then reports debug_meta.images for frames of this file.
const cli = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@sentry/cli/package.json')),
  '..', 'cli-linux-x64', 'bin', 'sentry-cli',
);
execFileSync(cli, ['sourcemaps', 'inject', js], {
  env: { ...process.env, SENTRY_DISABLE_UPDATE_CHECK: 'true' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (!readFileSync(path.join(js, name), 'utf8').includes('debugId=')) {
  throw new Error('sentry-cli did not inject a debug ID into ' + name);
}

const html = readFileSync(path.join(here, 'index.html'), 'utf8').replace(
  '<script src="js/scenarios.js"></script>',
  `<script src="js/scenarios.js"></script>\n  <script src="js/${name}"></script>`,
);
writeFileSync(path.join(out, 'minified.html'), html);
console.log(readdirSync(js).join(' '));
