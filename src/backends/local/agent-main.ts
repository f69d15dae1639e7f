/**
 * The admission agent's process: `node agent-main.js HOME`. Started detached by a konduktor
 * process that left jobs queued; exits when the queue is empty.
 * @module
 */
import { LocalBackend } from './local-backend.js';

const home = process.argv[2];
if (home === undefined) {
  process.stderr.write('usage: agent-main HOME\n');
  process.exit(2);
}
const backend = new LocalBackend({ home });
try {
  await backend.runAgent();
} finally {
  await backend.close();
}
