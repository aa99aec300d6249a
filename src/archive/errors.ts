/** Why an archive cannot be opened or read: a stable code, and where (file, byte offset, index). */
export type ArchiveErrorCode =
  | 'NOT_AN_ARCHIVE'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'BAD_HEADER'
  | 'SEGMENT_TOO_SHORT'
  | 'BAD_RECORD'
  | 'GAP'
  | 'TERM_REGRESSION'
  | 'CLOSED'
  | 'TRUNCATED'
  | 'OUT_OF_RANGE';

export class ArchiveError extends Error {
  override name = 'ArchiveError';

  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
    readonly file?: string,
    readonly offset?: number,
    readonly index?: number,
  ) {
    const where = [
      file === undefined ? '' : `file ${file}`,
      offset === undefined ? '' : `offset ${offset}`,
      index === undefined ? '' : `index ${index}`,
    ].filter((s) => s !== '').join(', ');
    super(where === '' ? `${code}: ${message}` : `${code}: ${message} (${where})`);
  }
}
