/**
 * The dashboard's request rules (src/dashboard/security.ts) for every kind of address it may
 * serve on: loopback, a named address beyond it, a wildcard.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { Guard, hostHeader, isLoopback } from '../../src/dashboard/security.js';

const TOKEN = 't'.repeat(32);

/** A request as the server sees it: headers and URL only (what the rules read). */
const req = (headers: Record<string, string>, url = '/'): IncomingMessage =>
  ({ headers, url }) as unknown as IncomingMessage;

const refusal = (guard: Guard, request: IncomingMessage, changesState: boolean): string => {
  try {
    guard.check(request, changesState);
    return 'allowed';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('dashboard security', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.5', 'example.com', '128.0.0.1'])
      assert.equal(isLoopback(host), false, host);
    assert.equal(hostHeader('::1', 80), '[::1]:80');
    assert.equal(hostHeader('127.0.0.1', 80), '127.0.0.1:80');
  });

  it('on loopback: reads need no token, actions do, foreign hosts are refused', () => {
    const guard = new Guard('127.0.0.1', 8765, TOKEN);
    assert.equal(guard.tokenOnEveryRequest, false);
    for (const host of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765'])
      assert.equal(refusal(guard, req({ host }), false), 'allowed', host);
    for (const host of ['evil.example:8765', '127.0.0.1:8766', '127.0.0.1', 'localhost.evil:8765'])
      assert.equal(refusal(guard, req({ host }), false), 'HOST_REFUSED', host);
    const host = '127.0.0.1:8765';
    assert.equal(refusal(guard, req({ host }), true), 'TOKEN_REQUIRED');
    assert.equal(refusal(guard, req({ host, 'x-konduktor-token': 'x' }), true), 'TOKEN_REQUIRED');
    assert.equal(refusal(guard, req({ host }, `/?token=${TOKEN}`), true), 'TOKEN_REQUIRED');
    assert.equal(refusal(guard, req({ host, 'x-konduktor-token': TOKEN }), true), 'allowed');
    assert.equal(
      refusal(
        guard,
        req({ host, 'x-konduktor-token': TOKEN, origin: 'http://evil.example' }),
        true,
      ),
      'ORIGIN_REFUSED',
    );
    assert.equal(
      refusal(guard, req({ host, 'x-konduktor-token': TOKEN, origin: `http://${host}` }), true),
      'allowed',
    );
  });

  it('beyond loopback: only the named host, and the token on every request', () => {
    const guard = new Guard('192.168.1.5', 9000, TOKEN);
    assert.equal(guard.tokenOnEveryRequest, true);
    const host = '192.168.1.5:9000';
    assert.equal(refusal(guard, req({ host }), false), 'TOKEN_REQUIRED');
    assert.equal(refusal(guard, req({ host }, `/api/jobs?token=${TOKEN}`), false), 'allowed');
    assert.equal(
      refusal(guard, req({ host, cookie: `a=b; konduktor_token=${TOKEN}` }), false),
      'allowed',
    );
    assert.equal(refusal(guard, req({ host, 'x-konduktor-token': TOKEN }), false), 'allowed');
    assert.equal(
      refusal(guard, req({ host, cookie: 'konduktor_token=nope' }), false),
      'TOKEN_REQUIRED',
    );
    // The cookie alone never acts on jobs: actions need the header.
    assert.equal(
      refusal(guard, req({ host, cookie: `konduktor_token=${TOKEN}` }), true),
      'TOKEN_REQUIRED',
    );
    for (const other of ['127.0.0.1:9000', 'localhost:9000', 'evil.example:9000'])
      assert.equal(
        refusal(guard, req({ host: other }, `/?token=${TOKEN}`), false),
        'HOST_REFUSED',
        other,
      );
  });

  it('on a wildcard address: any host, but always the token', () => {
    const guard = new Guard('0.0.0.0', 9000, TOKEN);
    assert.equal(guard.tokenOnEveryRequest, true);
    assert.equal(refusal(guard, req({ host: 'anything:9000' }), false), 'TOKEN_REQUIRED');
    assert.equal(
      refusal(guard, req({ host: 'anything:9000' }, `/?token=${TOKEN}`), false),
      'allowed',
    );
  });

  it('makes a different random token per run', () => {
    const a = new Guard('127.0.0.1', 1).token;
    const b = new Guard('127.0.0.1', 1).token;
    assert.notEqual(a, b);
    assert.ok(a.length >= 32);
  });
});
