// Builds dist/: the ESM module, the minified classic script that defines
// window.consentGateway, the lazily loaded consent banner, and the minified
// loader snippet.
import { build } from 'esbuild';

const common = { bundle: true, target: ['es2019'], legalComments: 'none', logLevel: 'warning' };

await Promise.all([
  build({ ...common, entryPoints: ['src/index.js'], format: 'esm', outfile: 'dist/gateway.esm.js' }),
  build({ ...common, entryPoints: ['src/browser.js'], format: 'iife', minify: true, outfile: 'dist/gateway.min.js' }),
  build({ ...common, entryPoints: ['src/banner/index.js'], format: 'iife', minify: true, outfile: 'dist/banner.min.js' }),
  build({ ...common, entryPoints: ['snippet.js'], bundle: false, target: ['es5'], minify: true, outfile: 'dist/snippet.min.js' }),
]);
