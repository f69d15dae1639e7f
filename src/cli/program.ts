/**
 * The `konduktor` command line (commander), built from the one table of commands and options
 * (src/cli/options.ts). Nothing is parsed on import: {@link runProgram} parses the argv it is
 * given. Each command's code is loaded only when it runs, so `status` does not pay for the task
 * parser or the Kubernetes client.
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { type ExitCode, ExitCodes } from './exit-codes.js';
import {
  type ArgsOf,
  COMMANDS,
  type CommandName,
  GROUPS,
  type OptionsOf,
  attributeName,
  optionsOf,
} from './options.js';
import { type JsonEnvelopeContext, info, out, outExact, reportFatal } from './output.js';

/** A command's code: its arguments and options as parsed, to an exit code. */
type Handler<C extends CommandName> = (args: ArgsOf<C>, options: OptionsOf<C>) => Promise<ExitCode>;

/** Every command's code, typed by the table: a command without code fails to compile. */
const HANDLERS: { readonly [C in CommandName]: Handler<C> } = {
  launch: async ([task], options) =>
    (await import('./commands/launch.js')).runLaunch(task, options),
  result: async ([job], options) => (await import('./commands/result.js')).runResult(job, options),
  status: async (_args, options) => (await import('./commands/status.js')).runStatus(options),
  logs: async ([job], options) => (await import('./commands/logs.js')).runLogs(job, options),
  metrics: async ([job], options) =>
    (await import('./commands/metrics.js')).runMetrics(job, options),
  stop: async ([jobs], options) =>
    (await import('./commands/hold.js')).runHold('stop', jobs, options),
  start: async ([jobs], options) =>
    (await import('./commands/hold.js')).runHold('start', jobs, options),
  queue: async (_args, options) => (await import('./commands/queue.js')).runQueue(options),
  down: async ([jobs], options) => (await import('./commands/down.js')).runDown(jobs, options),
  recorder: async (_args, options) =>
    (await import('./commands/recorder.js')).runRecorderCommand(options),
  rpc: async () => (await import('./commands/rpc.js')).runRpc(),
  dashboard: async (_args, options) =>
    (await import('./commands/dashboard.js')).runDashboard(options),
  'secret create': async ([name], options) =>
    (await import('./commands/secret.js')).runSecretCreate(name, options),
  'secret list': async (_args, options) =>
    (await import('./commands/secret.js')).runSecretList(options),
  'secret delete': async ([name], options) =>
    (await import('./commands/secret.js')).runSecretDelete(name, options),
  'sweep run': async ([file], options) =>
    (await import('./commands/sweep-run.js')).runSweepRun(file, options),
  'sweep status': async ([name], options) =>
    (await import('./commands/sweep-status.js')).runSweepStatus(name, options),
  'sweep rm': async ([names], options) =>
    (await import('./commands/sweep-rm.js')).runSweepRm(names, options),
};

/** Called with the options object a command's code receives (tests record what it reads). */
export type OptionsHook = (command: CommandName, options: object) => object;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * The commander program of the table; `done` receives the exit code of the command that ran,
 * and `jsonOutput` is set before a command given `--json` runs.
 */
function buildProgram(
  done: (code: ExitCode) => void,
  json: { context?: JsonEnvelopeContext },
  hook: OptionsHook | undefined,
): Command {
  const program = new Command('konduktor')
    .description(
      'Launch batch jobs on this machine or on Kubernetes and get their JSON result back.',
    )
    .version('0.1.0', '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: outExact,
      writeErr: (text) => {
        info(text.replace(/\n$/, ''));
      },
    });
  // Set before a command runs when it was given `--json`: then an error that ends it is also an
  // envelope on stdout (a program reading stdout gets one JSON document whatever happened).
  program.hook('preAction', (_program, command) => {
    if (command.opts()['json'] !== true) return;
    // `result` and `metrics` name one job by their argument; others' are files or globs.
    const oneJob = command.name() === 'result' || command.name() === 'metrics';
    json.context = { job: oneJob ? command.args[0] : undefined };
  });
  const groups = new Map<string, Command>();
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    const spec = COMMANDS[name];
    const words = name.split(' ');
    let parent = program;
    if (words.length === 2) {
      const group = words[0] as keyof typeof GROUPS;
      parent =
        groups.get(group) ??
        groups.set(group, program.command(group).description(GROUPS[group])).get(group) ??
        program;
    }
    const command = parent
      .command(words.at(-1) ?? name, 'isDefault' in spec ? { isDefault: true } : {})
      .description(spec.description);
    for (const [argument, description] of spec.args) command.argument(argument, description);
    for (const [, option, description] of optionsOf(name)) {
      const made = new Option(option.flags, description);
      if (option.choices !== undefined) made.choices(option.choices);
      if (option.default !== undefined) made.default(option.default);
      if (option.required === true) made.makeOptionMandatory();
      if (option.kind === 'list') made.argParser(collect).default([]);
      command.addOption(made);
    }
    command.action(async (...parsed: unknown[]) => {
      const options = command.opts();
      const given = hook === undefined ? options : hook(name, options);
      const args = parsed.slice(0, spec.args.length);
      // The table's types are what commander parses: flags are true, values strings, lists arrays.
      const handler = HANDLERS[name] as (args: unknown[], options: object) => Promise<ExitCode>;
      done(await handler(args, given));
    });
  }
  return program;
}

/**
 * Parses `argv` (the words after `konduktor`) and runs the command; returns its exit code. An
 * error that ends the command is reported on stderr (and as an envelope with `--json`).
 */
export async function runProgram(argv: readonly string[], hook?: OptionsHook): Promise<ExitCode> {
  let code: ExitCode = ExitCodes.SUCCESS;
  const json: { context?: JsonEnvelopeContext } = {};
  const program = buildProgram((c) => (code = c), json, hook);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (!(error instanceof CommanderError)) return reportFatal(error, json.context);
    // Help and version are not errors; commander already printed them.
    if (
      error.exitCode === 0 ||
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version'
    ) {
      return ExitCodes.SUCCESS;
    }
    // Commander already said what is wrong on stderr; a `--json` caller still gets its envelope.
    if (argv.includes('--json')) {
      const message = error.message.replace(/^error: /, '');
      out(JSON.stringify({ outcome: 'error', error: { code: 'USAGE', message } }));
    }
    return ExitCodes.USAGE;
  }
}

/** Every option's value name matches its table key (checked by test/cli/in-process.test.ts). */
export function attributeNames(): [string, string][] {
  return (Object.keys(COMMANDS) as CommandName[]).flatMap((name) =>
    optionsOf(name).map(([key, spec]) => [key, attributeName(spec)] as [string, string]),
  );
}
