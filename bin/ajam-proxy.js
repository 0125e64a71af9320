#!/usr/bin/env node
// Runs the TypeScript sources directly: register tsx's ESM loader, then start the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli.ts');
