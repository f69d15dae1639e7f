#!/usr/bin/env node
/**
 * The `konduktor` entry point: the CLI ({@link run}) with the process's own io.
 * @module
 */
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2));
