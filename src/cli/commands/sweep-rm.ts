/**
 * `konduktor sweep rm NAME...`: forgets stored sweeps; their jobs and files are kept.
 * @module
 */
import { resolveHome } from '../../backends/local/home.js';
import { UsageError } from '../../errors.js';
import { SweepStore } from '../../sweep/store.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { currentEnv } from '../io.js';
import type { OptionsOf } from '../options.js';
import { formatError, info } from '../output.js';

/** Runs `sweep rm NAME...`: forgets stored sweeps (their jobs and files stay). */
export async function runSweepRm(
  names: readonly string[],
  options: OptionsOf<'sweep rm'>,
): Promise<ExitCode> {
  if (names.length === 0) throw new UsageError('give the name of the sweep to remove');
  if (
    options.yes !== true &&
    !(await confirm(`Forget sweep${names.length === 1 ? '' : 's'} ${names.join(', ')}?`))
  ) {
    return ExitCodes.USAGE;
  }
  const store = new SweepStore(resolveHome(undefined, currentEnv()));
  try {
    let code: ExitCode = ExitCodes.SUCCESS;
    for (const name of names) {
      if (store.deleteSweep(name)) info(`removed sweep ${name} (its jobs and files are kept)`);
      else {
        info(formatError(new UsageError(`no sweep named ${JSON.stringify(name)}`)));
        code = ExitCodes.USAGE;
      }
    }
    return code;
  } finally {
    store.close();
  }
}
