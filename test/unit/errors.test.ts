import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BackendError,
  ErrorCodes,
  isKonduktorError,
  JobFailedError,
  KonduktorError,
  ResultTimeoutError,
  TaskValidationError,
} from '../../src/errors.js';
import { ExitCodes, exitCodeOf } from '../../src/cli/exit-codes.js';

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
    assert.equal(exitCodeOf(new Error('other')), ExitCodes.BACKEND);
  });
});
