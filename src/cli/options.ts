/**
 * The CLI's one table of options and commands: every option is declared once here (its flags,
 * its kind, its help text), every command lists the options it takes, and from this table come
 * the commander parser and `--help` (src/cli/program.ts), the fast path's parser of a plain
 * `status` (src/cli/run.ts) and the option types each command's code receives
 * ({@link OptionsOf}). A command given an option its code never reads fails
 * test/cli/in-process.test.ts, which records the options each command reads. Data and types
 * only: the fast `status` path loads this module, so it imports nothing.
 * @module
 */
import { OVERRIDE_FLAGS } from '../task/override-flags.js';

/** An option: commander's flags syntax (`-y, --yes`, `--timeout <duration>`) and its kind. */
export interface OptionSpec {
  /** `flag`: no value (`true` when given); `value`: one value; `list`: repeatable values. */
  readonly kind: 'flag' | 'value' | 'list';
  readonly flags: string;
  /** The help text, unless the command gives its own. */
  readonly description: string;
  /** The only values accepted. */
  readonly choices?: readonly string[];
  /** The value when the option is not given. */
  readonly default?: string;
  /** The option must be given. */
  readonly required?: true;
}

/** Every option of every command, by the name its value has in a command's options. */
export const OPTIONS = {
  json: { kind: 'flag', flags: '--json', description: 'machine-readable output' },
  yes: { kind: 'flag', flags: '-y, --yes', description: 'do not ask for confirmation' },
  backend: {
    kind: 'value',
    flags: '--backend <backend>',
    description:
      'where jobs run (default: $KONDUKTOR_BACKEND, else backend: in config.yaml, else local)',
    choices: ['local', 'kubernetes'],
  },
  context: {
    kind: 'value',
    flags: '--context <context>',
    description:
      "kubernetes: the kubeconfig context (default: kubernetes.context in config.yaml, else the kubeconfig's current one)",
  },
  namespace: {
    kind: 'value',
    flags: '--namespace <namespace>',
    description:
      "kubernetes: the namespace (default: kubernetes.namespace in config.yaml, else the context's)",
  },
  timeout: {
    kind: 'value',
    flags: '--timeout <duration>',
    description: 'give up waiting after this long (e.g. 30s, 10m)',
  },
  wait: {
    kind: 'flag',
    flags: '--wait',
    description: 'wait for the job and print only its result document on stdout',
  },
  detach: {
    kind: 'flag',
    flags: '-d, --detach',
    description: 'return at once, printing the job name',
  },
  dryrun: {
    kind: 'flag',
    flags: '--dryrun',
    description: 'print what would be launched, launch nothing',
  },
  ...OVERRIDE_FLAGS,
  limit: {
    kind: 'value',
    flags: '-l, --limit <n>',
    description: 'show at most N jobs',
    default: '100',
  },
  all: { kind: 'flag', flags: '-a, --all', description: 'show every job' },
  follow: { kind: 'flag', flags: '-f, --follow', description: 'keep printing until the job ends' },
  rank: { kind: 'value', flags: '--rank <n>', description: 'the rank', default: '0' },
  attempt: {
    kind: 'value',
    flags: '--attempt <n>',
    description: 'the attempt (RESTART_ATTEMPT) to show, with -f to start at (default: the latest)',
  },
  tail: {
    kind: 'value',
    flags: '--tail <n>',
    description: 'only the last N lines (0: none; with -f, only what comes next)',
  },
  port: {
    kind: 'value',
    flags: '--port <port>',
    description: 'the port (0 picks a free one)',
    default: '8765',
  },
  host: {
    kind: 'value',
    flags: '--host <address>',
    description: 'the address to serve on (beyond loopback needs the token)',
    default: '127.0.0.1',
  },
  open: { kind: 'flag', flags: '--open', description: 'open the page in the browser' },
  trials: { kind: 'value', flags: '--trials <n>', description: 'override trials' },
  parallelism: { kind: 'value', flags: '--parallelism <n>', description: 'override parallelism' },
  maxFailures: { kind: 'value', flags: '--max-failures <n>', description: 'override max_failures' },
  outputDir: {
    kind: 'value',
    flags: '--output-dir <dir>',
    description: 'where trials.csv, trials.json and report.html go',
  },
  kind: {
    kind: 'value',
    flags: '--kind <kind>',
    description: 'the kind of secret: env (its keys become environment variables of the jobs)',
    default: 'env',
  },
  inline: {
    kind: 'list',
    flags: '--inline <KEY=VALUE>',
    description: 'a variable of the secret (repeatable)',
  },
} as const satisfies Readonly<Record<string, OptionSpec>>;

/** The name of an option in {@link OPTIONS}. */
export type OptionName = keyof typeof OPTIONS;

/** A command: its help, its arguments (commander syntax) and its options. */
export interface CommandSpec {
  readonly description: string;
  /** `['<task>', 'the task file (YAML)']`: `<x>` required, `[x]` optional, `x...` repeated. */
  readonly args: readonly (readonly [string, string])[];
  /** The options it takes: `true` with the shared help text, or its own help text. */
  readonly options: { readonly [K in OptionName]?: true | string };
  /** Run when its group is given without a subcommand (`konduktor sweep FILE`). */
  readonly isDefault?: true;
}

/** The backend options, taken by every command that touches jobs. */
const TARGET = { backend: true, context: true, namespace: true } as const;

/** `launch`'s task overrides: every entry of {@link OVERRIDE_FLAGS}. */
const OVERRIDES = Object.fromEntries(Object.keys(OVERRIDE_FLAGS).map((key) => [key, true])) as {
  readonly [K in keyof typeof OVERRIDE_FLAGS]: true;
};

/** Commands that group subcommands (`konduktor sweep run`), with their help text. */
export const GROUPS = {
  secret:
    'the secrets every job gets (env: each key an environment variable); values are never printed',
  sweep: 'run a parameter sweep: trials as jobs, the best trial, CSV/JSON/HTML files',
} as const;

/** Every command, by its words (`'sweep run'` is `run` under the `sweep` group). */
export const COMMANDS = {
  launch: {
    description:
      'launch a task; follows rank 0 logs until the end, or with --wait prints only the result document',
    args: [['<task>', 'the task file (YAML)']],
    options: {
      wait: true,
      yes: true,
      detach: true,
      timeout:
        'give up after this long (e.g. 30s, 10m), exit 124, the job keeps running: with --wait the wait for the result, else following the log',
      ...TARGET,
      json: true,
      dryrun: true,
      ...OVERRIDES,
    },
  },
  result: {
    description: 'wait for a job and print its result document (fails like launch --wait)',
    args: [['<job>', 'the job name']],
    options: { timeout: true, ...TARGET, json: 'print a JSON envelope with the outcome' },
  },
  status: {
    description: 'list jobs, newest first',
    args: [],
    options: { ...TARGET, json: true, limit: true, all: true },
  },
  logs: {
    description: "print one rank's log of a job (rank 0 by default)",
    args: [['<job>', 'the job name']],
    options: { follow: true, rank: true, attempt: true, tail: true, ...TARGET },
  },
  metrics: {
    description: "print rank 0's metric lines (metrics.jsonl) of a job, latest attempt by default",
    args: [['<job>', 'the job name']],
    options: {
      follow: 'keep printing lines as they are written until the job ends',
      json: 'machine-readable output (with -f: one JSON object per line)',
      attempt: 'the attempt (RESTART_ATTEMPT) to show, with -f to start at',
      ...TARGET,
    },
  },
  stop: {
    description:
      'hold jobs: running ones are stopped, queued ones leave the queue (resume with start)',
    args: [['<jobs...>', "job names or globs such as 'trial-*'"]],
    options: { ...TARGET, json: 'print the job names as JSON' },
  },
  start: {
    description: 'put stopped jobs back in the queue; they run again from the start',
    args: [['<jobs...>', "job names or globs such as 'trial-*'"]],
    options: { ...TARGET, json: 'print the job names as JSON' },
  },
  queue: {
    description: 'the local capacity in use, and the queued jobs with what they wait for',
    args: [],
    options: { ...TARGET, json: true },
  },
  down: {
    description: 'cancel and remove jobs, by name or glob',
    args: [['[jobs...]', "job names or globs such as 'trial-*'"]],
    options: {
      all: 'every job',
      yes: true,
      ...TARGET,
      json: 'print the removed job names as JSON',
    },
  },
  recorder: {
    description:
      'kubernetes: record every job outcome of a namespace as soon as it ends, until stopped (run it in the cluster; docs/kubernetes.md)',
    args: [],
    // Always the kubernetes backend: it takes where on it, not which backend.
    options: { context: true, namespace: true },
  },
  rpc: {
    description:
      'serve the machine interface: JSON requests on stdin, replies on stdout, one per line (the Python package uses it; docs/python.md)',
    args: [],
    options: {},
  },
  dashboard: {
    description: 'serve a web UI of jobs, logs, results, sweeps and the queue (until Ctrl+C)',
    args: [],
    options: { port: true, host: true, open: true, ...TARGET },
  },
  'secret create': {
    description: 'create a secret',
    args: [['<name>', "the secret's name (lower-case letters, digits, '-')"]],
    options: { kind: true, inline: true, ...TARGET },
  },
  'secret list': {
    description: 'list your secrets (names, kinds, keys)',
    args: [],
    options: { ...TARGET, json: true },
  },
  'secret delete': {
    description: 'delete a secret',
    args: [['<name>', 'the secret']],
    options: { ...TARGET },
  },
  'sweep run': {
    description: 'run (or resume) the sweep in FILE; `konduktor sweep FILE` does the same',
    args: [['<file>', 'the sweep file (YAML)']],
    isDefault: true,
    options: {
      yes: true,
      json: 'print the best trial and a summary as JSON on stdout',
      ...TARGET,
      trials: true,
      parallelism: true,
      maxFailures: true,
      outputDir: true,
      timeout: 'stop after this long (cancels running trials; resume later)',
    },
  },
  'sweep status': {
    description: 'show a sweep and its trials, or list the sweeps',
    args: [['[name]', 'the sweep name']],
    options: { ...TARGET, json: true },
  },
  'sweep rm': {
    description: 'forget stored sweeps (their jobs and files are kept)',
    args: [['<names...>', 'sweep names']],
    options: { yes: true },
  },
} as const satisfies Readonly<Record<string, CommandSpec>>;

/** A command's words, as in {@link COMMANDS}. */
export type CommandName = keyof typeof COMMANDS;

type Spec<K extends OptionName> = (typeof OPTIONS)[K];

/** The parsed value of an option. */
type ValueOf<S> = S extends { readonly kind: 'flag' }
  ? true
  : S extends { readonly kind: 'list' }
    ? string[]
    : S extends { readonly choices: readonly (infer C)[] }
      ? C
      : string;

/** True for an option that always has a value (a list, a default, a required option). */
type Always<S> = S extends { readonly kind: 'list' }
  ? true
  : S extends { readonly default: string }
    ? true
    : S extends { readonly required: true }
      ? true
      : false;

type Taken<C extends CommandName> = keyof (typeof COMMANDS)[C]['options'] & OptionName;

/** The options a command's code receives, as commander parses them. */
export type OptionsOf<C extends CommandName> = {
  readonly [K in Taken<C> as Always<Spec<K>> extends true ? K : never]: ValueOf<Spec<K>>;
} & {
  readonly [K in Taken<C> as Always<Spec<K>> extends true ? never : K]?: ValueOf<Spec<K>>;
};

/** The parsed value of an argument in commander syntax. */
type ArgValue<A extends string> = A extends `${string}...${string}`
  ? string[]
  : A extends `<${string}`
    ? string
    : string | undefined;

type ArgsTuple<T> = {
  -readonly [I in keyof T]: T[I] extends readonly [infer A extends string, string]
    ? ArgValue<A>
    : never;
};

/** The arguments a command's code receives, in order. */
export type ArgsOf<C extends CommandName> = ArgsTuple<(typeof COMMANDS)[C]['args']>;

/** The words of a command and its option specs, for building a parser. */
export function optionsOf(name: CommandName): [OptionName, OptionSpec, string][] {
  const taken: Readonly<Partial<Record<OptionName, true | string>>> = COMMANDS[name].options;
  return (Object.keys(taken) as OptionName[]).map((key) => {
    const spec: OptionSpec = OPTIONS[key];
    const own = taken[key];
    return [key, spec, typeof own === 'string' ? own : spec.description];
  });
}

/** The camelCase name commander gives an option's value: `--max-failures` → `maxFailures`. */
export function attributeName(spec: OptionSpec): string {
  const long = /--([a-z-]+)/.exec(spec.flags)?.[1] ?? '';
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
