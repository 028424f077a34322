// One build for every bundle. `vscode` is provided by the editor; the native modules
// (onnxruntime-node, sharp) cannot be bundled and ship in node_modules beside dist/.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const nodeExternal = ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'sharp'];

/** Each bundle: [source entry, output file, platform]. */
const bundles = [
  ['extension/main.ts', 'dist/extension.js', 'node'],
  ['language/server/main.ts', 'dist/language-server.js', 'node'],
  ['sidecar/main.ts', 'dist/sidecar.js', 'node'],
  ['sidecar/cli/main.ts', 'dist/cli.js', 'node'],
  ['sidecar/runtime/worker.ts', 'dist/ort-worker.js', 'node'],
  ['webview/gallery/main.ts', 'dist/webview/gallery.js', 'browser'],
  ['webview/dashboard/main.ts', 'dist/webview/dashboard.js', 'browser'],
  ['webview/prepared/main.ts', 'dist/webview/prepared.js', 'browser'],
];

const contexts = await Promise.all(
  bundles.map(([entry, outfile, platform]) =>
    esbuild.context({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform,
      format: platform === 'node' ? 'cjs' : 'iife',
      target: platform === 'node' ? 'node20' : 'es2022',
      external: platform === 'node' ? nodeExternal : [],
      sourcemap: production ? false : 'linked',
      minify: production,
      logLevel: 'warning',
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('watching…');
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  console.log(`built ${bundles.length} bundles into dist/`);
}
