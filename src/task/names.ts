/**
 * Task names: the rules and the message, kept free of the schema library so that modules which
 * only name jobs (the local store, the CLI's fast paths) load quickly.
 * @module
 */

/**
 * The longest task name. The job is named `<name>-<hex>` and its pods get the hostname
 * `<name>-<hex>-workers-0-<index>`; Kubernetes limits that to 63 characters (a DNS-1123 label), so
 * 40 leaves room for 4 hex digits and a 7-digit node index.
 */
export const TASK_NAME_MAX_LENGTH = 40;

/** A valid task name: lower-case letters, digits and `-`, starting with a letter, not ending with `-`. */
export const TASK_NAME_PATTERN = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * The problem with a task name, or undefined when it is valid.
 *
 * @example
 * ```ts
 * taskNameProblem('My_Job'); // '"My_Job" is not a valid name: …; did you mean \'my-job\'?'
 * ```
 */
export function taskNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty; it becomes the job name prefix, e.g. name: my-job';
  if (!TASK_NAME_PATTERN.test(name)) {
    const fixed = suggestTaskName(name);
    const hint = fixed === undefined ? '' : `; did you mean '${fixed}'?`;
    return (
      `${JSON.stringify(name)} is not a valid name: use lower-case letters, digits and '-', ` +
      `starting with a letter and not ending with '-' (job names must be DNS labels)${hint}`
    );
  }
  if (name.length > TASK_NAME_MAX_LENGTH) {
    return (
      `${JSON.stringify(name)} is ${name.length} characters long; the limit is ` +
      `${TASK_NAME_MAX_LENGTH} so that pod hostnames "<name>-<hex>-workers-0-<index>" stay ` +
      `within Kubernetes' 63-character limit for DNS labels`
    );
  }
  return undefined;
}

/**
 * A valid name close to `name` (lower-cased, other characters turned into `-`, and `job-` before
 * one that starts with a digit: `123abc` → `job-123abc`, keeping what makes it distinct), if
 * there is one.
 */
function suggestTaskName(name: string): string | undefined {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '');
  const fixed = (/^[0-9]/.test(cleaned) ? `job-${cleaned}` : cleaned)
    .slice(0, TASK_NAME_MAX_LENGTH)
    .replace(/-+$/, '');
  return fixed !== '' && fixed !== name && TASK_NAME_PATTERN.test(fixed) ? fixed : undefined;
}
