#!/usr/bin/env node
// The entry point of the control plane (`shadow-control-plane`), built or from source (run-main.js).
// main() parses argv and the SHADOWGUARD_* environment, listens, and shuts down cleanly on SIGTERM/SIGINT.
import { runMain } from './run-main.js';

await runMain('control-plane/src/main');
