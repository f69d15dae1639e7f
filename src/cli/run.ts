/**
 * `run(argv, io)`: the whole CLI as a function, for the installed binary (src/cli/main.ts, with
 * the process's io) and for tests (in-process, with their own writers, environment, working
 * directory and signals). The most frequent read-only command, a plain `status`, is parsed from
 * the option table without loading commander (about 15 ms of a 100 ms budget), and served from
 * the store alone when it can be (src/cli/status-fast.ts).
 * @module
 */
import type { BackendPool } from '../backends/resolve.js';
import { type ExitCode } from './exit-codes.js';
import { type CliIo, currentEnv, type RunContext, withRun } from './io.js';
import { type CommandName, type OptionsOf, optionsOf } from './options.js';
import { PROCESS_IO, reportFatal } from './output.js';
import type { OptionsHook } from './program.js';

/** Options of {@link run} for tests. */
export interface RunOptions {
  /** Sees (and may wrap) the options object each command's code receives. */
  readonly onOptions?: OptionsHook;
}

/**
 * Runs `konduktor ARGV...` and returns its exit code. Errors are reported as the binary reports
 * them (stderr, and a `--json` envelope on stdout); nothing is thrown. A run with its own io
 * closes the backends it made when it ends (the jobs keep running), and a second Ctrl+C of its
 * {@link CliIo.signals} ends it at once with that exit code, as the process would exit.
 * @param argv - the words after `konduktor`, e.g. `['status', '--json']`.
 * @param io - the run's streams, environment, working directory and signals.
 */
export async function run(
  argv: readonly string[],
  io: CliIo = PROCESS_IO,
  options: RunOptions = {},
): Promise<ExitCode> {
  const own = io !== PROCESS_IO;
  let leave: (code: ExitCode) => void = () => undefined;
  const left = new Promise<ExitCode>((resolve) => {
    leave = resolve;
  });
  const backends: { pool?: BackendPool } = {};
  const context: RunContext = {
    io,
    leave: own
      ? (code) => {
          leave(code as ExitCode);
        }
      : (code) => process.exit(code),
    ...(own ? { backends } : {}),
  };
  try {
    return await withRun(context, () => Promise.race([command(argv, options), left]), {
      process: !own,
    });
  } finally {
    await backends.pool?.close();
  }
}

async function command(argv: readonly string[], options: RunOptions): Promise<ExitCode> {
  const fast =
    argv[0] === 'status' && options.onOptions === undefined
      ? parseSimple('status', argv.slice(1))
      : undefined;
  if (fast === undefined) {
    const { runProgram } = await import('./program.js');
    return runProgram(argv, options.onOptions);
  }
  try {
    const { fastStatus } = await import('./status-fast.js');
    const code = fastStatus(fast, currentEnv());
    if (code !== undefined) return code;
    const { runStatus } = await import('./commands/status.js');
    return await runStatus(fast);
  } catch (error) {
    return reportFatal(error, fast.json === true ? {} : undefined);
  }
}

/**
 * A command's options parsed from the table without commander, for the simple forms only
 * (`-a`, `--all`, `-l N`, `--limit N`); undefined for anything else (an unknown word, a missing
 * value, `--limit=N`, a choice not allowed), which the full parser then takes, or refuses.
 */
function parseSimple<C extends CommandName>(
  command: C,
  words: readonly string[],
): OptionsOf<C> | undefined {
  const parsed: Record<string, unknown> = {};
  const specs = optionsOf(command);
  for (const [key, spec] of specs) {
    if (spec.default !== undefined) parsed[key] = spec.default;
    if (spec.kind === 'list') parsed[key] = [];
  }
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    const found = specs.find(([, spec]) =>
      spec.flags
        .split(/[ ,]+/)
        .filter((part) => part.startsWith('-'))
        .includes(word),
    );
    if (found === undefined) return undefined;
    const [key, spec] = found;
    if (spec.kind === 'flag') {
      parsed[key] = true;
      continue;
    }
    const value = words[i + 1];
    if (value === undefined || (spec.choices !== undefined && !spec.choices.includes(value))) {
      return undefined;
    }
    parsed[key] = spec.kind === 'list' ? [...(parsed[key] as string[]), value] : value;
    i += 1;
  }
  return parsed as OptionsOf<C>;
}
