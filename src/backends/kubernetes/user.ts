/**
 * Who launches: the local user name, for the owner label of JobSets and of secrets.
 * @module
 */
import { userInfo } from 'node:os';

/** The local user name; `$USER` where the passwd entry cannot be read, else `unknown`. */
export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}
