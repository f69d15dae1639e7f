/**
 * The tools the benchmarks compare konduktor with, found or prepared before they are used: GNU
 * parallel (a Debian package) and Ray (a cached virtual environment from PyPI). A baseline that
 * cannot be had is never a crash: it comes back as `missing`, with the reason and the one command
 * that prepares it, and the benchmark prints that in its row and on stderr.
 *
 * @example
 * ```ts
 * const parallel = prepareGnuParallel({ install: true, log: console.error });
 * if (!parallel.ok) console.error(skipLine(parallel.missing));
 * ```
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Why a baseline is not there, and how to get it. */
export interface Missing {
  /** The baseline, e.g. `GNU parallel`. */
  readonly name: string;
  /** Why it could not be used, e.g. `no parallel on PATH`. */
  readonly reason: string;
  /** The one command that prepares it. */
  readonly prepare: string;
}

/** A baseline ready to run (`value`: its command or interpreter), or why not. */
export type Prepared =
  | { readonly ok: true; readonly value: string; readonly version: string }
  | { readonly ok: false; readonly missing: Missing };

/** Options of the `prepare…` functions. */
export interface PrepareOptions {
  /** Install what is missing when this machine allows it (root with apt-get; python3 for pip). */
  readonly install: boolean;
  /** Progress lines for people (stderr). */
  readonly log: (line: string) => void;
  /** The search path; `process.env.PATH` by default. */
  readonly path?: string;
}

/** The line a benchmark prints for a baseline it skips. */
export function skipLine(missing: Missing): string {
  return `skipped ${missing.name}: ${missing.reason}; prepare it with: ${missing.prepare}`;
}

/** The executable `name` on `path`, or undefined. */
export function whichCommand(
  name: string,
  path: string = process.env['PATH'] ?? '',
): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const PARALLEL_PREPARE =
  'apt-get install -y parallel (Debian, Ubuntu; brew install parallel on macOS)';

/** GNU parallel on the path (moreutils' `parallel` takes other options and does not count). */
export function findGnuParallel(path?: string): Prepared {
  const command = whichCommand('parallel', path);
  if (command === undefined) {
    return {
      ok: false,
      missing: { name: 'GNU parallel', reason: 'no parallel on PATH', prepare: PARALLEL_PREPARE },
    };
  }
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const first = (probe.stdout ?? '').split('\n')[0] ?? '';
  if (!first.startsWith('GNU parallel')) {
    return {
      ok: false,
      missing: {
        name: 'GNU parallel',
        reason: `${command} is not GNU parallel (moreutils' parallel takes other options)`,
        prepare: PARALLEL_PREPARE,
      },
    };
  }
  return { ok: true, value: command, version: first.replace('GNU parallel ', '') };
}

/**
 * GNU parallel, installed with apt-get when it is missing and `install` allows it and this process
 * may (root, apt-get on the path).
 */
export function prepareGnuParallel(options: PrepareOptions): Prepared {
  const found = findGnuParallel(options.path);
  if (found.ok || !options.install) return found;
  const aptGet = whichCommand('apt-get', options.path);
  if (aptGet === undefined || process.getuid?.() !== 0) {
    const why = aptGet === undefined ? 'no apt-get here' : 'installing needs root';
    return { ok: false, missing: { ...found.missing, reason: `${found.missing.reason} (${why})` } };
  }
  options.log('GNU parallel is missing: apt-get install -y parallel');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean =>
    spawnSync(aptGet, ['install', '-y', '-q', 'parallel'], {
      env,
      stdio: 'ignore',
      timeout: 600_000,
    }).status === 0;
  // A fresh machine may have no package lists yet: update once, then try again.
  const installed =
    install() ||
    (spawnSync(aptGet, ['update', '-q'], { env, stdio: 'ignore', timeout: 600_000 }).status === 0 &&
      install());
  if (!installed) {
    return {
      ok: false,
      missing: { ...found.missing, reason: `${found.missing.reason}, and apt-get install failed` },
    };
  }
  return findGnuParallel(options.path);
}

/** Where the Ray virtual environment lives (`KONDUKTOR_BENCH_RAY_VENV` overrides). */
export function rayVenv(): string {
  return (
    process.env['KONDUKTOR_BENCH_RAY_VENV'] ?? join(homedir(), '.cache', 'konduktor', 'ray-venv')
  );
}

/**
 * The Python interpreter of a virtual environment that imports Ray, created (python3 -m venv,
 * pip install ray) when it is missing and `install` allows it.
 */
export function prepareRay(options: PrepareOptions & { readonly venv?: string }): Prepared {
  const venv = options.venv ?? rayVenv();
  const python = join(venv, 'bin', 'python');
  const prepare = `python3 -m venv ${venv} && ${python} -m pip install ray`;
  const version = (): string | undefined => {
    if (!existsSync(python)) return undefined;
    const probe = spawnSync(python, ['-c', 'import ray; print(ray.__version__)'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return probe.status === 0 ? probe.stdout.trim() : undefined;
  };
  const missing = (reason: string): Prepared => ({
    ok: false,
    missing: { name: 'Ray', reason, prepare },
  });
  const ready = version();
  if (ready !== undefined) return { ok: true, value: python, version: ready };
  const what = existsSync(python)
    ? `the venv at ${venv} cannot import ray`
    : `no Ray venv at ${venv}`;
  if (!options.install) return missing(what);
  const python3 = whichCommand('python3', options.path);
  if (python3 === undefined) return missing(`${what}, and no python3 on PATH to make one`);
  options.log(`${what}: ${prepare} (once; it is cached)`);
  const steps: [string, string[]][] = [
    ...(existsSync(python) ? [] : [[python3, ['-m', 'venv', venv]] as [string, string[]]]),
    [python, ['-m', 'pip', 'install', '--quiet', 'ray']],
  ];
  for (const [command, args] of steps) {
    const step = spawnSync(command, args, { encoding: 'utf8', timeout: 900_000 });
    if (step.status !== 0) {
      const last = (step.stderr || String(step.error)).trim().split('\n').at(-1) ?? '';
      return missing(`${what}, and \`${[command, ...args].join(' ')}\` failed: ${last}`);
    }
  }
  const installed = version();
  return installed === undefined
    ? missing(`${what}, and ray still does not import after pip install`)
    : { ok: true, value: python, version: installed };
}
