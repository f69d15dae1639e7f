/**
 * Kubernetes' rules for label keys and values, which task labels must follow because they are put
 * on the JobSet as written.
 *
 * @example
 * ```ts
 * labelKeyProblem('kueue.x-k8s.io/queue-name'); // undefined
 * labelValueProblem('has space'); // '"has space" is not a valid label value: …'
 * ```
 * @module
 */

/** The longest label value, and the longest name part of a label key. */
export const LABEL_MAX_LENGTH = 63;

const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MAX_LENGTH = 253;

/**
 * The problem with a label key (an optional DNS-subdomain prefix and `/`, then a name of at most
 * 63 letters, digits, `-`, `_` or `.` with alphanumeric ends), or undefined when it is valid.
 */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const rule =
    'a label key is an optional DNS prefix and "/" followed by at most 63 letters, digits, ' +
    "'-', '_' or '.', starting and ending with a letter or digit";
  if (
    prefix !== undefined &&
    (prefix.length > DNS_SUBDOMAIN_MAX_LENGTH || !DNS_SUBDOMAIN.test(prefix))
  ) {
    return `${JSON.stringify(key)} is not a valid label key: ${rule}`;
  }
  if (name.length > LABEL_MAX_LENGTH || !LABEL_NAME.test(name)) {
    return `${JSON.stringify(key)} is not a valid label key: ${rule}`;
  }
  return undefined;
}

/**
 * The problem with a label value (empty, or at most 63 letters, digits, `-`, `_` or `.` with
 * alphanumeric ends), or undefined when it is valid.
 */
export function labelValueProblem(value: string): string | undefined {
  if (value === '' || (value.length <= LABEL_MAX_LENGTH && LABEL_NAME.test(value)))
    return undefined;
  return (
    `${JSON.stringify(value)} is not a valid label value: at most 63 letters, digits, '-', '_' ` +
    "or '.', starting and ending with a letter or digit"
  );
}
