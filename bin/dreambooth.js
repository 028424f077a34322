#!/usr/bin/env node
// The `dreambooth` command-line program: a thin launcher for the bundled CLI.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('dreambooth: the CLI is not built yet. Run `npm run build` in ' + path.dirname(__dirname) + ' first.\n');
  process.exit(2);
}
require(cli);
