/**
 * The admission agent's process: `node agent-main.js HOME STORE`, where STORE is the store file's
 * identity (`DEV:INO`) when the agent was started. Started detached by a konduktor process that
 * left jobs queued; exits when the queue is empty, or at once when that store is gone (its home
 * deleted, perhaps made anew): the agent creates nothing in a home it did not find.
 * @module
 */
import { fileIdentity, homeLayout, isSameFile, parseFileIdentity, resolveHome } from './home.js';
import { LocalBackend } from './local-backend.js';

const [homeArg, storeArg] = process.argv.slice(2);
if (homeArg === undefined) {
  process.stderr.write('usage: agent-main HOME [DEV:INO]\n');
  process.exit(2);
}
const home = resolveHome(homeArg);
const { database } = homeLayout(home);
// Started without an identity (by hand, or by an older konduktor): the store found now, if any.
const store = parseFileIdentity(storeArg) ?? fileIdentity(database);
if (store === undefined || !isSameFile(database, store)) process.exit(0);
const backend = new LocalBackend({ home, existingStore: store });
try {
  await backend.runAgent();
} catch (err) {
  // The store went between the check above and its opening: nothing to serve, nothing to say.
  if (isSameFile(database, store)) throw err;
} finally {
  await backend.close();
}
