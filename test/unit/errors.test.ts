import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as errors from '../../src/errors.js';
import {
  asKonduktorError,
  BackendError,
  ConfigError,
  ErrorCodes,
  InternalError,
  StateConflictError,
  UsageError,
  isKonduktorError,
  JobFailedError,
  KonduktorError,
  ResultTimeoutError,
  TaskValidationError,
} from '../../src/errors.js';
import { ExitCodes, exitCodeOf } from '../../src/cli/exit-codes.js';
import { errorJson, formatError } from '../../src/cli/output.js';

describe('errors', () => {
  it('carry stable codes, names and instanceof across the hierarchy', () => {
    const error = new JobFailedError('j-1', {
      reason: 'rank 1 exited with code 2',
      rank: 1,
      exitCode: 2,
      attempt: 0,
      logTail: ['boom'],
    });
    assert.ok(error instanceof KonduktorError);
    assert.ok(error instanceof JobFailedError);
    assert.ok(isKonduktorError(error));
    assert.equal(error.code, ErrorCodes.JOB_FAILED);
    assert.equal(error.name, 'JobFailedError');
    assert.match(error.message, /\| boom/);
    assert.ok(!(new BackendError('x') instanceof JobFailedError));
  });

  it('keep the cause', () => {
    const cause = new Error('disk full');
    assert.equal(new BackendError('store', { cause }).cause, cause);
  });

  it('recognise a konduktor error from another copy of the package by its brand', () => {
    const foreign = Object.assign(new Error('x'), { code: 'JOB_FAILED' });
    Object.defineProperty(foreign, Symbol.for('konduktor.error'), { value: true });
    assert.ok(isKonduktorError(foreign));
    assert.ok(foreign instanceof KonduktorError);
  });

  it('map to one exit code per outcome', () => {
    assert.equal(
      exitCodeOf(new TaskValidationError([{ path: 'name', message: 'bad' }])),
      ExitCodes.USAGE,
    );
    assert.equal(exitCodeOf(new ResultTimeoutError('j', 1000, 'RUNNING')), 124);
    assert.equal(exitCodeOf(new DOMException('x', 'AbortError')), 130);
  });

  it('say what an unexpected error is: a bug is INTERNAL (exit 70), not backend unavailable', () => {
    const bugs = [
      new TypeError("Cannot read properties of undefined (reading 'status')"),
      new RangeError('Invalid array length'),
      new ReferenceError('x is not defined'),
      new Error('other'),
    ];
    for (const bug of bugs) {
      assert.equal(exitCodeOf(bug), ExitCodes.INTERNAL, bug.name);
      assert.equal(ExitCodes.INTERNAL, 70);
      const shown = formatError(bug);
      assert.match(shown, /^error\[INTERNAL\]: konduktor hit an unexpected error, which is a bug/);
      assert.ok(shown.includes(`${bug.name}: ${bug.message}`), shown);
      assert.match(shown, /\n\s+at /, 'the stack, for the bug report');
      assert.equal(errorJson(bug)['code'], 'INTERNAL');
      const wrapped = asKonduktorError(bug);
      assert.ok(wrapped instanceof InternalError);
      assert.equal(wrapped.cause, bug);
    }
    assert.equal(exitCodeOf('a thrown string'), ExitCodes.INTERNAL);
  });

  it('keep errors of the environment (an errno code) as backend unavailable (exit 6)', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), {
      code: 'ENOENT',
      errno: -2,
    });
    assert.equal(exitCodeOf(enoent), ExitCodes.BACKEND);
    assert.equal(errorJson(enoent)['code'], 'BACKEND_UNAVAILABLE');
    assert.match(formatError(enoent), /^error\[BACKEND_UNAVAILABLE\]: ENOENT/);
    assert.equal(exitCodeOf(new DOMException('x', 'AbortError')), ExitCodes.INTERRUPTED);
  });

  it('give config and state errors codes of their own, exit 2 as before', () => {
    assert.equal(new ConfigError('bad').code, 'CONFIG_INVALID');
    assert.equal(new StateConflictError('ended').code, 'STATE_CONFLICT');
    assert.equal(exitCodeOf(new ConfigError('bad')), ExitCodes.USAGE);
    assert.equal(exitCodeOf(new StateConflictError('ended')), ExitCodes.USAGE);
    assert.ok(!(new ConfigError('bad') instanceof UsageError));
  });

  it('set `name` on every class explicitly, so it survives minifiers and module copies', () => {
    const classes = Object.entries(errors).filter(
      ([key, value]) => typeof value === 'function' && /^[A-Z].*Error$/.test(key),
    );
    assert.ok(classes.length >= 17, classes.map(([key]) => key).join());
    for (const [key, ctor] of classes) {
      const own = Object.getOwnPropertyDescriptor(
        (ctor as { prototype: object }).prototype,
        'name',
      );
      assert.equal(own?.value, key, `${key}.prototype.name`);
    }
    // A class renamed by a bundler keeps its konduktor name.
    const Renamed = errors.StateConflictError;
    assert.equal(new Renamed('x').name, 'StateConflictError');
    assert.equal(new KonduktorError('USAGE', 'x').name, 'KonduktorError');
  });
});
