/** `npm run ui:build`: build the web UI bundle into dist/ui (the server also does this at start when needed). */
import { buildUi, UI_DEFAULT_OUT_DIR } from './build.js';

const outDir = process.argv[2] ?? UI_DEFAULT_OUT_DIR;
const started = Date.now();
buildUi({ outDir })
  .then((b) => {
    process.stdout.write(
      `web UI built into ${b.outDir} (${Math.round((b.js.length + b.css.length) / 1024)} KB, hash ${b.hash}) in ${Date.now() - started} ms\n`,
    );
  })
  .catch((err: unknown) => {
    process.stderr.write(`ui:build: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
