/**
 * The `konduktor` command line (commander). Each command's code is loaded only when it runs, so
 * `status` does not pay for the task parser or the Kubernetes client.
 * @module
 */
import { Command, CommanderError, Option, type OptionValues } from '@commander-js/extra-typings';
import { ExitCodes } from './exit-codes.js';
import { type JsonEnvelopeContext, out, reportFatal } from './output.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const backendOption = (): Option<
  '--backend <backend>',
  undefined,
  undefined,
  'local' | 'kubernetes'
> =>
  new Option(
    '--backend <backend>',
    'where jobs run (default: $KONDUKTOR_BACKEND, else backend: in config.yaml, else local)',
  ).choices(['local', 'kubernetes'] as const);

/** Adds the options that choose a backend (and where on Kubernetes) to a command. */
function withBackendOptions<Args extends unknown[], Opts extends OptionValues>(
  command: Command<Args, Opts>,
) {
  return command
    .addOption(backendOption())
    .option('--context <context>', 'kubernetes: the kubeconfig context (default: the current one)')
    .option('--namespace <namespace>', "kubernetes: the namespace (default: the context's)");
}

const program = new Command('konduktor')
  .description('Launch batch jobs on this machine or on Kubernetes and get their JSON result back.')
  .version('0.1.0', '-v, --version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

/**
 * Set before a command runs when it was given `--json`: then an error that ends it is also an
 * envelope on stdout (a program reading stdout gets one JSON document whatever happened).
 */
let jsonOutput: JsonEnvelopeContext | undefined;
program.hook('preAction', (_program, command) => {
  if (command.opts()['json'] !== true) return;
  // `result` and `metrics` name one job by their argument; others' are files or globs.
  const oneJob = command.name() === 'result' || command.name() === 'metrics';
  jsonOutput = { job: oneJob ? command.args[0] : undefined };
});

withBackendOptions(
  program
    .command('launch')
    .description(
      'launch a task; follows rank 0 logs until the end, or with --wait prints only the result document',
    )
    .argument('<task>', 'the task file (YAML)')
    .option('--wait', 'wait for the job and print only its result document on stdout')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-d, --detach', 'return at once, printing the job name')
    .option(
      '--timeout <duration>',
      'give up after this long (e.g. 30s, 10m), exit 124, the job keeps running: with --wait the wait for the result, else following the log',
    ),
)
  .option('--json', 'machine-readable output')
  .option('--dryrun', 'print what would be launched, launch nothing')
  .option('-n, --name <name>', 'override the task name')
  .option(
    '--env <KEY[=VALUE]>',
    'set an environment variable (repeatable; KEY alone copies it)',
    collect,
    [],
  )
  .option('--env-file <path>', 'read environment variables from a dotenv file')
  .option('--num-nodes <n>', 'override num_nodes')
  .option('--cpus <n>', 'override resources.cpus')
  .option('--memory <gib>', 'override resources.memory (GiB)')
  .option('--gpus <NAME[:COUNT]>', 'override resources.accelerators (none removes them)')
  .option('--image-id <image>', 'override resources.image_id')
  .option('--max-restarts <n>', 'override resources.job_config.max_restarts')
  .action(async (task, options) => {
    const { runLaunch } = await import('./commands/launch.js');
    process.exitCode = await runLaunch(task, options);
  });

withBackendOptions(
  program
    .command('result')
    .description('wait for a job and print its result document (fails like launch --wait)')
    .argument('<job>', 'the job name')
    .option('--timeout <duration>', 'give up waiting after this long (e.g. 30s, 10m)'),
)
  .option('--json', 'print a JSON envelope with the outcome')
  .action(async (job, options) => {
    const { runResult } = await import('./commands/result.js');
    process.exitCode = await runResult(job, options);
  });

withBackendOptions(program.command('status').description('list jobs, newest first'))
  .option('--json', 'machine-readable output')
  .option('-l, --limit <n>', 'show at most N jobs', '100')
  .option('-a, --all', 'show every job')
  .action(async (options) => {
    const { runStatus } = await import('./commands/status.js');
    process.exitCode = await runStatus(options);
  });

withBackendOptions(
  program
    .command('logs')
    .description("print one rank's log of a job (rank 0 by default)")
    .argument('<job>', 'the job name')
    .option('-f, --follow', 'keep printing until the job ends')
    .option('--rank <n>', 'the rank', '0')
    .option(
      '--attempt <n>',
      'the attempt (RESTART_ATTEMPT) to show, with -f to start at (default: the latest)',
    )
    .option('--tail <n>', 'only the last N lines (0: none; with -f, only what comes next)'),
).action(async (job, options) => {
  const { runLogs } = await import('./commands/logs.js');
  process.exitCode = await runLogs(job, options);
});

withBackendOptions(
  program
    .command('metrics')
    .description("print rank 0's metric lines (metrics.jsonl) of a job, latest attempt by default")
    .argument('<job>', 'the job name')
    .option('-f, --follow', 'keep printing lines as they are written until the job ends')
    .option('--json', 'machine-readable output (with -f: one JSON object per line)')
    .option('--attempt <n>', 'the attempt (RESTART_ATTEMPT) to show, with -f to start at'),
).action(async (job, options) => {
  const { runMetrics } = await import('./commands/metrics.js');
  process.exitCode = await runMetrics(job, options);
});

withBackendOptions(
  program
    .command('stop')
    .description(
      'hold jobs: running ones are stopped, queued ones leave the queue (resume with start)',
    )
    .argument('<jobs...>', "job names or globs such as 'trial-*'"),
)
  .option('--json', 'print the job names as JSON')
  .action(async (jobs, options) => {
    const { runHold } = await import('./commands/hold.js');
    process.exitCode = await runHold('stop', jobs, options);
  });

withBackendOptions(
  program
    .command('start')
    .description('put stopped jobs back in the queue; they run again from the start')
    .argument('<jobs...>', "job names or globs such as 'trial-*'"),
)
  .option('--json', 'print the job names as JSON')
  .action(async (jobs, options) => {
    const { runHold } = await import('./commands/hold.js');
    process.exitCode = await runHold('start', jobs, options);
  });

withBackendOptions(
  program
    .command('queue')
    .description('the local capacity in use, and the queued jobs with what they wait for'),
)
  .option('--json', 'machine-readable output')
  .action(async (options) => {
    const { runQueue } = await import('./commands/queue.js');
    process.exitCode = await runQueue(options);
  });

withBackendOptions(
  program
    .command('down')
    .description('cancel and remove jobs, by name or glob')
    .argument('[jobs...]', "job names or globs such as 'trial-*'")
    .option('-a, --all', 'every job')
    .option('-y, --yes', 'do not ask for confirmation'),
)
  .option('--json', 'print the removed job names as JSON')
  .action(async (jobs, options) => {
    const { runDown } = await import('./commands/down.js');
    process.exitCode = await runDown(jobs, options);
  });

withBackendOptions(
  program
    .command('recorder')
    .description(
      'kubernetes: record every job outcome of a namespace as soon as it ends, until stopped (run it in the cluster; docs/kubernetes.md)',
    ),
).action(async (options) => {
  const { runRecorderCommand } = await import('./commands/recorder.js');
  process.exitCode = await runRecorderCommand(options);
});

program
  .command('rpc')
  .description(
    'serve the machine interface: JSON requests on stdin, replies on stdout, one per line (the Python package uses it; docs/python.md)',
  )
  .action(async () => {
    const { runRpc } = await import('./commands/rpc.js');
    process.exitCode = await runRpc();
  });

withBackendOptions(
  program
    .command('dashboard')
    .description('serve a web UI of jobs, logs, results, sweeps and the queue (until Ctrl+C)')
    .option('--port <port>', 'the port (0 picks a free one)', '8765')
    .option(
      '--host <address>',
      'the address to serve on (beyond loopback needs the token)',
      '127.0.0.1',
    )
    .option('--open', 'open the page in the browser'),
).action(async (options) => {
  const { runDashboard } = await import('./commands/dashboard.js');
  process.exitCode = await runDashboard(options);
});

// --- secrets (issue 13) ---
const secretCommand = program
  .command('secret')
  .description(
    'the secrets every job gets (env: each key an environment variable); values are never printed',
  );

withBackendOptions(
  secretCommand
    .command('create')
    .description('create a secret')
    .argument('<name>', "the secret's name (lower-case letters, digits, '-')")
    .requiredOption('--kind <kind>', 'the kind of secret: env')
    .option('--inline <KEY=VALUE>', 'a variable of the secret (repeatable)', collect, []),
).action(async (name, options) => {
  const { runSecretCreate } = await import('./commands/secret.js');
  process.exitCode = await runSecretCreate(name, options);
});

withBackendOptions(
  secretCommand.command('list').description('list your secrets (names, kinds, keys)'),
)
  .option('--json', 'machine-readable output')
  .action(async (options) => {
    const { runSecretList } = await import('./commands/secret.js');
    process.exitCode = await runSecretList(options);
  });

withBackendOptions(
  secretCommand.command('delete').description('delete a secret').argument('<name>', 'the secret'),
).action(async (name, options) => {
  const { runSecretDelete } = await import('./commands/secret.js');
  process.exitCode = await runSecretDelete(name, options);
});
// --- end secrets ---

// --- sweeps (issue 5) ---
const sweepCommand = program
  .command('sweep')
  .description('run a parameter sweep: trials as jobs, the best trial, CSV/JSON/HTML files');

withBackendOptions(
  sweepCommand
    .command('run', { isDefault: true })
    .description('run (or resume) the sweep in FILE; `konduktor sweep FILE` does the same')
    .argument('<file>', 'the sweep file (YAML)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the best trial and a summary as JSON on stdout'),
)
  .option('--trials <n>', 'override trials')
  .option('--parallelism <n>', 'override parallelism')
  .option('--max-failures <n>', 'override max_failures')
  .option('--output-dir <dir>', 'where trials.csv, trials.json and report.html go')
  .option('--timeout <duration>', 'stop after this long (cancels running trials; resume later)')
  .action(async (file, options) => {
    const { runSweepRun } = await import('./commands/sweep-run.js');
    process.exitCode = await runSweepRun(file, options);
  });

withBackendOptions(
  sweepCommand
    .command('status')
    .description('show a sweep and its trials, or list the sweeps')
    .argument('[name]', 'the sweep name')
    .option('--json', 'machine-readable output'),
).action(async (name, options) => {
  const { runSweepStatus } = await import('./commands/sweep-status.js');
  process.exitCode = await runSweepStatus(name, options);
});

sweepCommand
  .command('rm')
  .description('forget stored sweeps (their jobs and files are kept)')
  .argument('<names...>', 'sweep names')
  .option('-y, --yes', 'do not ask for confirmation')
  .action(async (names, options) => {
    const { runSweepRm } = await import('./commands/sweep-rm.js');
    process.exitCode = await runSweepRm(names, options);
  });
// --- end sweeps ---

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander already printed them.
    process.exitCode =
      error.exitCode === 0 ||
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version'
        ? ExitCodes.SUCCESS
        : ExitCodes.USAGE;
    // Commander already said what is wrong on stderr; a `--json` caller still gets its envelope.
    if (process.exitCode === ExitCodes.USAGE && process.argv.includes('--json')) {
      out(
        JSON.stringify({ outcome: 'error', error: { code: 'USAGE', message: usageText(error) } }),
      );
    }
  } else {
    process.exitCode = reportFatal(error, jsonOutput);
  }
}

/** Commander's message without its own `error: ` prefix. */
function usageText(error: CommanderError): string {
  return error.message.replace(/^error: /, '');
}
