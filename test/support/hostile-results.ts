/**
 * Things a job can leave at rank 0's result.json instead of a file, as shell commands, with the
 * outcome each must give: shared by the CLI test of the local backend and the test of the
 * Kubernetes container script.
 */

export const OUT = '"$KONDUKTOR_OUTPUT_DIR/result.json"';

/** One thing left at result.json. */
export interface HostileCase {
  /** A short name, also the task name. */
  readonly name: string;
  /** The `run` command that leaves it (bash, in rank 0's environment). */
  readonly run: string;
  /** The CLI's exit code for the outcome. */
  readonly exit: number;
  /** What the error message must say. */
  readonly message: RegExp;
}

export const HOSTILE_RESULTS: readonly HostileCase[] = [
  {
    name: 'directory',
    run: `mkdir ${OUT}`,
    exit: 3,
    message: /result\.json is a directory/,
  },
  {
    name: 'fifo',
    run: `mkfifo ${OUT}`,
    exit: 3,
    message: /result\.json is a named pipe \(FIFO\)/,
  },
  {
    name: 'socket',
    run: `python3 -c 'import os, socket; socket.socket(socket.AF_UNIX).bind(os.environ["KONDUKTOR_OUTPUT_DIR"] + "/result.json")'`,
    exit: 3,
    message: /result\.json is a socket/,
  },
  {
    name: 'dev-zero',
    run: `ln -s /dev/zero ${OUT}`,
    exit: 3,
    message: /result\.json is a symbolic link to "\/dev\/zero", a character device/,
  },
  {
    name: 'dev-urandom',
    run: `ln -s /dev/urandom ${OUT}`,
    exit: 3,
    message: /result\.json is a symbolic link to "\/dev\/urandom", a character device/,
  },
  {
    // Resolves in the reading process: its stdin is /dev/null here, a pipe or a tty elsewhere.
    name: 'dev-stdin',
    run: `ln -s /dev/stdin ${OUT}`,
    exit: 3,
    message: /result\.json is a symbolic link to "\/dev\/stdin", a (character device|named pipe)/,
  },
  {
    name: 'dangling',
    run: `ln -s "$KONDUKTOR_OUTPUT_DIR/nowhere.json" ${OUT}`,
    exit: 3,
    message: /result\.json is a symbolic link to ".*nowhere\.json", which points to nothing/,
  },
  {
    name: 'loop',
    run: `ln -s result.json ${OUT}`,
    exit: 3,
    message: /result\.json is a symbolic link to "result\.json" in a loop of links/,
  },
  {
    // A regular file whose every read fails (reading address 0 of the reader's memory).
    name: 'read-fails',
    run: `ln -s /proc/self/mem ${OUT}`,
    exit: 3,
    message:
      /result\.json is a symbolic link to "\/proc\/self\/mem", a file that could not be read \((EIO|Input\/output error)/,
  },
  {
    name: 'sparse',
    run: `truncate -s 64G ${OUT}`,
    exit: 5,
    message: /wrote a result of 68719476736 bytes, over the limit of 4096 bytes/,
  },
];
