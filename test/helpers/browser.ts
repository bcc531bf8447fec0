import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). playwright-core drives it, downloads nothing. */
export const CHROMIUM = process.env.AEP_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium with nothing running in the background that could reach the network. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set AEP_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    ...options,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...(options.args ?? [])],
  });
}
