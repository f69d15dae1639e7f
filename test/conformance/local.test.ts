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
  // Room for the suite's parallel and 3-node jobs whatever the machine's size.
  makeBackend: () =>
    new LocalBackend({
      home: join(dir, 'home'),
      graceMs: 2000,
      capacity: { cpus: 64, memory: 256 },
    }),
  jobTimeoutMs: 30_000,
});
