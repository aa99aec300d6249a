#!/usr/bin/env -S node --single-threaded-gc --heap-growing-percent=300
// The `bourse` command: runs the TypeScript sources through tsx's loader. The first line's V8
// flags are a node process's (src/cli/node-process.ts says why).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
