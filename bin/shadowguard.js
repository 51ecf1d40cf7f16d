#!/usr/bin/env node
// The `shadowguard` CLI (cli/main.ts; docs/cli.md), built or from source (run-main.js).
import { runMain } from './run-main.js';

await runMain('cli/main');
