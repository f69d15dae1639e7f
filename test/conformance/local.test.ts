import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { defineConformance } from './backend-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-conformance-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

defineConformance('local', {
  makeBackend: () => new LocalBackend({ home: join(dir, 'home'), graceMs: 2000 }),
  jobTimeoutMs: 30_000,
});
