#!/usr/bin/env node
// The installed entry point: the compiled CLI (npm install builds dist/ through `prepare`).
import '../dist/cli/main.js';
