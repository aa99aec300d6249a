/** Why a node refused or failed a command: a stable code and a sentence. */
export type NodeErrorCode = 'OVERLOADED' | 'CLOSED' | 'FAILED' | 'SNAPSHOT_FAILED' | 'NOTHING_TO_DO';

export class NodeError extends Error {
  override name = 'NodeError';

  constructor(
    readonly code: NodeErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
