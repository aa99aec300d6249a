/** The binary form of commands: one slot record per command (see application/layout.ts). */
import { COMMANDS, COMMAND_BY_CODE, COMMAND_VERSION, type Command } from '../application/commands.ts';
import { SlotBuffer, writeRecord } from '../application/layout.ts';
import { type Decoded, type RecordTable, decodeRecords } from './records.ts';

export const COMMAND_TABLE: RecordTable = {
  specs: COMMANDS,
  byCode: COMMAND_BY_CODE,
  version: COMMAND_VERSION,
  what: 'command',
};

export function encodeCommand(command: Command, out = new SlotBuffer(32)): Uint8Array {
  const start = out.length;
  writeRecord(out, COMMANDS[command.type], COMMAND_VERSION, command);
  return out.bytes(start);
}

/** Decodes a batch of commands (at most `maxCommands`). */
export function decodeCommands(bytes: Uint8Array, maxCommands: number): Decoded<Command[]> {
  return decodeRecords(COMMAND_TABLE, bytes, maxCommands) as Decoded<Command[]>;
}

/** Decodes exactly one command. */
export function decodeCommand(bytes: Uint8Array): Decoded<Command> {
  const r = decodeCommands(bytes, 1);
  if (!r.ok) return r;
  if (r.value.length !== 1) {
    return { ok: false, error: { code: 'TRUNCATED', message: 'expected one command, got none', offset: 0 } };
  }
  return { ok: true, value: r.value[0] };
}
