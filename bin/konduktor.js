#!/usr/bin/env -S node --
// The installed entry point: the compiled CLI (npm install builds dist/ through `prepare`).
// `node --` in the shebang: Node 20 reads options such as `--env-file` anywhere in its argument
// list, even after the script's name, unless `--` ends its own options; konduktor's
// `launch --env-file FILE` must reach konduktor.
import '../dist/cli/main.js';
