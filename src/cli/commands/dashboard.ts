/**
 * `konduktor dashboard`: serves the web UI until Ctrl+C (or SIGTERM), printing its URL on stderr.
 * @module
 */
import { spawn } from 'node:child_process';
import { UsageError } from '../../errors.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { onInterrupt } from '../interrupt.js';
import { info } from '../output.js';
import { integerOption } from './common.js';
import type { OptionsOf } from '../options.js';
import { backendFromFlags } from '../target.js';

/** Runs `dashboard` and returns the exit code once it is stopped. */
export async function runDashboard(options: OptionsOf<'dashboard'>): Promise<ExitCode> {
  const port = integerOption(options.port, '--port') ?? 0;
  if (port > 65_535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const backend = await backendFromFlags(options);
  const { startDashboard } = await import('../../dashboard/server.js');
  const { isLoopback, TOKEN_HEADER_NAME } = await import('../../dashboard/security.js');
  let dashboard;
  try {
    dashboard = await startDashboard({ backend, host: options.host, port });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new UsageError(
        `cannot serve on ${options.host}:${port} (${code}); choose another --port or --host`,
      );
    }
    throw error;
  }
  if (!isLoopback(options.host)) {
    info(
      `warning: serving beyond this machine on ${options.host}: anyone who can reach it and has the URL's token can see and act on your jobs (every request needs the token)`,
    );
  }
  info(`konduktor dashboard for ${backend.description}`);
  info(`open ${dashboard.url}   (Ctrl+C stops)`);
  // Scripts that act on jobs (POST) need the token too, and on loopback no URL carries it.
  // Printing it gives nothing away: on loopback any local process can read it from the page
  // (beyond, the URL above carries it), and what it guards against — another site's page in the
  // user's browser — cannot read this terminal.
  info(
    `scripts acting on jobs send the header ${TOKEN_HEADER_NAME}: ${dashboard.token}   (e.g. curl -X POST -H '${TOKEN_HEADER_NAME}: ${dashboard.token}' ${new URL('api/jobs/NAME/cancel', dashboard.url).href})`,
  );
  // The URL, token included, goes to the user's own browser only: never through a shell.
  if (options.open === true) openBrowser(dashboard.url);
  const interrupt = onInterrupt();
  try {
    await new Promise((resolve) => {
      interrupt.signal.addEventListener('abort', resolve, { once: true });
    });
  } finally {
    interrupt.dispose();
  }
  await dashboard.close();
  await backend.close();
  return ExitCodes.SUCCESS;
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {
      info(`could not start ${command}; open the URL yourself`);
    });
    child.unref();
  } catch {
    info(`could not start ${command}; open the URL yourself`);
  }
}
