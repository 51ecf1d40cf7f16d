#!/usr/bin/env node
// The production entry point of the control plane (`shadow-control-plane`, the container command).
// The control plane is TypeScript run through tsx's ESM loader; main() parses argv and the
// SHADOWGUARD_* environment, listens, and shuts down cleanly on SIGTERM/SIGINT.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../control-plane/src/main.ts');
await main();
