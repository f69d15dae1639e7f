/**
 * The log reader: where the last N lines begin (read backwards in chunks), and lines handed out
 * forward as a file grows, whatever the bytes look like.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogLineReader, readLastLines, tailOffset } from '../../src/backends/local/log-file.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-log-'));
let count = 0;
function file(content: string | Buffer): string {
  count += 1;
  const path = join(dir, `log-${count}`);
  writeFileSync(path, content);
  return path;
}
const tail = (content: string | Buffer, n: number): string[] => {
  const path = file(content);
  return [...new LogLineReader(path, tailOffset(path, n)).rest()];
};

describe('tailOffset and LogLineReader', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives exactly the last N lines, or all when there are fewer', () => {
    assert.deepEqual(tail('a\nb\nc\n', 2), ['b', 'c']);
    assert.deepEqual(tail('a\nb\nc', 2), ['b', 'c']);
    assert.deepEqual(tail('a\nb\nc\n', 3), ['a', 'b', 'c']);
    assert.deepEqual(tail('a\nb\nc\n', 10), ['a', 'b', 'c']);
    assert.deepEqual(tail('a\nb\nc\n', 0), []);
    assert.deepEqual(tail('', 5), []);
    assert.deepEqual(tail('\n', 1), ['']);
    assert.deepEqual(tail('a\n\n\n', 2), ['', '']);
  });

  it('counts lines across chunk boundaries and keeps multi-byte characters whole', () => {
    const line = 'é'.repeat(40_000); // 80,000 bytes: longer than one 64 KiB chunk
    const content = Array.from({ length: 5 }, (_, i) => `${i}${line}`).join('\n');
    const lines = tail(content, 3);
    assert.deepEqual(
      lines.map((l) => l[0]),
      ['2', '3', '4'],
    );
    assert.ok(lines.every((l) => l === `${l[0] ?? ''}${line}`));
  });

  it('reads nothing from a missing file, a named pipe or a directory, without blocking', () => {
    assert.equal(tailOffset(join(dir, 'missing'), 3), 0);
    assert.deepEqual([...new LogLineReader(join(dir, 'missing')).rest()], []);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual([...new LogLineReader(fifo).rest()], []);
    assert.deepEqual(readLastLines(fifo, 3), []);
    assert.deepEqual(readLastLines(dir, 3), []);
  });

  it('hands out only complete lines while the file grows', () => {
    const path = file('one\ntw');
    const reader = new LogLineReader(path);
    assert.deepEqual([...reader.lines()], ['one']);
    appendFileSync(path, 'o\nthree');
    assert.deepEqual([...reader.lines()], ['two']);
    assert.deepEqual([...reader.rest()], ['three']);
  });

  it('readLastLines shortens long lines and shows progress bars as last drawn', () => {
    const path = file(`${'x'.repeat(5000)}\n10%\r50%\r100%\nend\r\n`);
    assert.deepEqual(readLastLines(path, 3, { maxLineLength: 10 }), [
      'xxxxxxxxxx… (4990 more characters)',
      '100%',
      'end',
    ]);
  });
});
