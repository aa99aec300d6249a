#!/usr/bin/env -S node --no-parallel-scavenge --no-parallel-marking --no-parallel-compaction --no-parallel-pointer-update --no-concurrent-marking --no-cppheap-concurrent-marking --heap-growing-percent=300
// The `bourse` command: runs the TypeScript sources through tsx's loader. The first line's V8
// flags are a node process's (src/cli/node-process.ts says why).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
