/**
 * Peak memory of packing a large workdir for the Kubernetes bucket channel: writes a workdir of
 * incompressible files (10 × 20 MiB by default), packs it as a launch does when a bucket is
 * configured (streamed into a spill file in a private directory, hashed on the way), and prints
 * the hash, the sizes, the time and the process's peak RSS (`process.resourceUsage().maxRSS`).
 * `node --import tsx bench/pack-memory.ts [--mib 200] [--workdir DIR]`; run it under
 * `/usr/bin/time -v` for the kernel's own figure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCode, writeArchive } from '../src/backends/kubernetes/shipping/pack.js';
import {
  ArchiveSink,
  discardSpill,
  prepareSpillDir,
} from '../src/backends/kubernetes/shipping/sink.js';
import { parseTaskYaml } from '../src/task/load.js';

const MIB = 1024 * 1024;
const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};

const dir = mkdtempSync(join(tmpdir(), 'konduktor-bench-packmem-'));
try {
  let workdir = arg('--workdir');
  if (workdir === undefined) {
    workdir = join(dir, 'work');
    mkdirSync(workdir);
    const files = Math.max(1, Math.round(Number(arg('--mib') ?? '200') / 20));
    for (let i = 0; i < files; i += 1)
      writeFileSync(join(workdir, `blob${i}.bin`), randomBytes(20 * MIB));
    writeFileSync(join(workdir, 'train.py'), 'print(1)\n');
  }
  const spec = parseTaskYaml(`name: packmem\nrun: 'true'\nworkdir: ${JSON.stringify(workdir)}\n`);
  const before = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  const scan = scanCode(spec);
  if (scan === undefined) throw new Error('nothing to pack');
  const spill = join(dir, 'spill');
  prepareSpillDir(spill);
  const sink = new ArchiveSink({
    // The Secret limit (index.ts), not imported: it would load the Kubernetes client into the figure.
    keepInMemory: 960 * 1024,
    spillDir: spill,
  });
  const counts = await writeArchive(scan, sink);
  const packed = sink.result();
  const ms = performance.now() - t0;
  if (packed.path !== undefined) discardSpill(packed.path);
  console.log(
    `sha256 ${packed.sha256}: ${(packed.size / MIB).toFixed(1)} MiB archive of ${counts.files} files ` +
      `(${(counts.bytes / MIB).toFixed(1)} MiB) in ${Math.round(ms)} ms; ` +
      `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (${Math.round(before / 1024)} MiB before packing)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
