// A bench case over one plugin in its own sandbox Host: the host is made and the plugin loaded in
// setup (untimed), and the host closed in teardown, so a bench file only says what one op does.
import { Host, type LogLevel, type Plugin } from '../sandbox/host/index.js';
import type { BenchCase } from './run.js';

export interface PluginCase {
  name: string;
  load(host: Host): Promise<Plugin>;
  /** After loading, untimed (e.g. open the connection the ops reuse). */
  ready?(plugin: Plugin): void;
  /** One op. */
  run(plugin: Plugin): void;
  /** Before the host closes (e.g. check that the run did not close the connection). */
  done?(): void;
  /** The host's log level (default error: logging is not what these cases measure). */
  logLevel?: LogLevel;
}

export function pluginCase(c: PluginCase): BenchCase {
  let host: Host;
  let plugin: Plugin;
  return {
    name: c.name,
    async setup() {
      host = new Host({ logLevel: c.logLevel ?? 'error' });
      plugin = await c.load(host);
      c.ready?.(plugin);
    },
    run() {
      c.run(plugin);
    },
    async teardown() {
      c.done?.();
      await host.close();
    },
  };
}
