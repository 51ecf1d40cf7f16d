// The `shadowguard` command line: policies from Git (apply with diff, If-Match and --dry-run), reports,
// CI verdicts, the mirror ramp, alerts and nodes, over the control plane's REST API. Built on
// commander; help reads like kubectl's (grouped commands, examples, "Use … --help"). Server and token
// come from --server/--token or SHADOWGUARD_SERVER/SHADOWGUARD_TOKEN. Exit codes: 0 ok, 1 the command
// failed (unreachable server, HTTP error, bad file), 2 bad usage, verdict --exit-code 3 fail / 4
// inconclusive (docs/cli.md).

import { Command, CommanderError, Help, Option } from 'commander';
import { ApiClient, CliError } from './client.js';
import { observeCommands } from './commands/observe.js';
import { policyCommands } from './commands/policy.js';
import { rampCommands } from './commands/ramp.js';
import type { OutputFormat, Printer } from './output.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('shadowguard')
    .description(
      'shadowguard controls Shadowguard, safe shadow deployments for Envoy and Istio.\n\n' +
        ' Find more information in docs/cli.md of the Shadowguard repository.',
    )
    .usage('[flags] [command]')
    .addOption(
      new Option('-s, --server <url>', 'control plane address').env('SHADOWGUARD_SERVER').default(DEFAULT_SERVER),
    )
    .addOption(new Option('--token <token>', 'API bearer token (viewer reads, editor writes)').env('SHADOWGUARD_TOKEN'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .showSuggestionAfterError()
    .configureHelp({ formatHelp: kubectlStyle })
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  # Show what applying a directory of policies would change, then apply it\n' +
        '  shadowguard policy apply -f policies/ --dry-run\n' +
        '  shadowguard policy apply -f policies/\n\n' +
        '  # Gate a CI step on the verdict of policy checkout\n' +
        '  shadowguard verdict checkout --exit-code\n\n' +
        'Use "shadowguard <command> --help" for more information about a given command.',
    );
  // Commander reads --server/--token defaults from process.env; tests pass their own env.
  for (const [opt, key] of [
    ['server', 'SHADOWGUARD_SERVER'],
    ['token', 'SHADOWGUARD_TOKEN'],
  ] as const) {
    const v = io.env[key];
    if (v !== undefined) program.setOptionValueWithSource(opt, v, 'env');
  }

  const ctx = () => {
    const o = program.opts<{ server: string; token?: string; output: OutputFormat }>();
    const p: Printer = { format: o.output, out: io.out, err: io.err };
    return { api: new ApiClient(o.server, o.token), p };
  };
  program.commandsGroup('Policy Commands (GitOps):');
  policyCommands(program, ctx);
  program.commandsGroup('Observe Commands:');
  observeCommands(program, ctx, setExit);
  program.commandsGroup('Deploy Commands:');
  rampCommands(program, ctx);
  for (const c of program.commands) c.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** kubectl's order: what the tool is, the commands by group, flags, examples, and usage last. */
function kubectlStyle(cmd: Command, helper: Help): string {
  const text = Help.prototype.formatHelp.call(helper, cmd, helper);
  const [usage, ...rest] = text.split('\n\n');
  return `${rest.join('\n\n').trimEnd()}\n\n${usage.replace(/^Usage: /, 'Usage:\n  ')}\n`;
}

/** Runs the CLI; resolves to the exit code (never calls process.exit, so tests can run it in-process). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; a usage error was already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
}

/** The process entry (both bins): stdio, the environment and the exit code. */
export async function main(): Promise<void> {
  // `shadowguard … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.exitCode = await run(process.argv.slice(2), {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    env: process.env,
  });
}
