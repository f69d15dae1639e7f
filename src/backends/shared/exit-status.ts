/**
 * Exit statuses as both backends see them: a shell (the supervisors, the pod's wrapper) reports a
 * process killed by signal N as exit status 128 + N.
 * @module
 */

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/**
 * The signal an exit status above 128 stands for (`137` → `SIGKILL`, an unnamed one as `SIG<N>`),
 * or `undefined` for an ordinary exit status.
 */
export function signalOfExitCode(code: number): string | undefined {
  if (code <= 128 || code > 128 + 64) return undefined;
  const number = code - 128;
  return SIGNAL_NAMES[number] ?? `SIG${number}`;
}
