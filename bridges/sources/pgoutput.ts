/**
 * Decoding of what a PostgreSQL logical walsender sends inside CopyData once START_REPLICATION
 * runs (XLogData 'w' and primary keepalive 'k'), the pgoutput messages carried in XLogData
 * (protocol version 1, text tuples), and encoding of the standby status update ('r') the
 * client sends back. Pure functions over Buffers, no I/O, so the Postgres source owns all flow
 * control. Formats:
 * https://www.postgresql.org/docs/15/protocol-replication.html (streaming messages) and
 * https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html (pgoutput).
 */

/** Milliseconds between the Unix epoch and the PostgreSQL epoch, 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = 946_684_800_000;

/** A WAL position. */
export type Lsn = bigint;

/** Formats an LSN as PostgreSQL prints it (`%X/%X`), e.g. `0/16B3748`. */
export function formatLsn(lsn: Lsn): string {
  const hi = Number(lsn >> 32n);
  const lo = Number(lsn & 0xffff_ffffn);
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** Parses `X/X` into an LSN; undefined when the text is not one. */
export function parseLsn(text: string): Lsn | undefined {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** PostgreSQL timestamp (microseconds since 2000-01-01) to epoch milliseconds. */
export function pgTimeToEpochMs(micros: bigint): number {
  // Floor division, also right for (absurd) times before 2000.
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  return Number(ms) + PG_EPOCH_MS;
}

/** Epoch milliseconds to a PostgreSQL timestamp, for the status update's clock field. */
export function epochMsToPgTime(ms: number): bigint {
  return BigInt(Math.trunc(ms) - PG_EPOCH_MS) * 1000n;
}

/** What a CopyData message of a replication stream holds. */
export type StreamMessage =
  | { kind: 'xlogdata'; walStart: Lsn; walEnd: Lsn; body: Buffer }
  | { kind: 'keepalive'; walEnd: Lsn; replyRequested: boolean };

/** A malformed or unexpected message; the stream cannot continue. */
export class PgOutputFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgOutputFormatError';
  }
}

/** Decodes one CopyData payload of a START_REPLICATION stream. */
export function decodeStreamMessage(chunk: Buffer): StreamMessage {
  const tag = chunk[0];
  if (tag === 0x77 /* 'w' */ && chunk.length >= 25) {
    return {
      kind: 'xlogdata',
      walStart: chunk.readBigUInt64BE(1),
      walEnd: chunk.readBigUInt64BE(9),
      // 17..24 is the server clock, unused.
      body: chunk.subarray(25),
    };
  }
  if (tag === 0x6b /* 'k' */ && chunk.length >= 18) {
    return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 };
  }
  throw new PgOutputFormatError(
    `unexpected replication stream message: tag 0x${(tag ?? 0).toString(16)}, ${chunk.length} bytes`,
  );
}

/**
 * Standby status update: written, flushed and applied positions and the client clock.
 * https://www.postgresql.org/docs/15/protocol-replication.html ("Standby status update")
 */
export function encodeStatusUpdate(lsn: Lsn, nowMs: number): Buffer {
  const buf = Buffer.alloc(34);
  buf[0] = 0x72; // 'r'
  buf.writeBigUInt64BE(lsn, 1); // written
  buf.writeBigUInt64BE(lsn, 9); // flushed: what the slot's confirmed_flush_lsn becomes
  buf.writeBigUInt64BE(lsn, 17); // applied
  buf.writeBigInt64BE(epochMsToPgTime(nowMs), 25);
  buf[33] = 0; // no reply requested
  return buf;
}

/** One column as a Relation message describes it. */
export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity (every column under REPLICA IDENTITY FULL). */
  isKey: boolean;
}

/** A column value in a tuple: text, NULL, or an unchanged TOASTed value the server did not send. */
export type TupleValue = string | null | typeof UNCHANGED_TOAST;

/** Marks a column whose value is unchanged and stored out of line ('u'): not sent. */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast');

/** A decoded pgoutput message (protocol version 1); LSNs as bigint, times as epoch ms. */
export type PgOutputMessage =
  | { type: 'begin'; finalLsn: Lsn; commitTimeMs: number; xid: number }
  | { type: 'commit'; commitLsn: Lsn; endLsn: Lsn; commitTimeMs: number }
  | { type: 'origin'; commitLsn: Lsn; name: string }
  | {
      type: 'relation';
      relationId: number;
      schema: string;
      table: string;
      /** relreplident: d (default), n (nothing), f (full), i (index). */
      replicaIdentity: string;
      columns: RelationColumn[];
    }
  | { type: 'type'; typeOid: number; schema: string; name: string }
  | { type: 'insert'; relationId: number; newTuple: TupleValue[] }
  | {
      type: 'update';
      relationId: number;
      /** 'K': replica identity key columns only; 'O': the whole old row (REPLICA IDENTITY FULL). */
      oldKind: 'K' | 'O' | null;
      oldTuple: TupleValue[] | null;
      newTuple: TupleValue[];
    }
  | { type: 'delete'; relationId: number; oldKind: 'K' | 'O'; oldTuple: TupleValue[] }
  | { type: 'truncate'; relationIds: number[]; cascade: boolean; restartIdentity: boolean }
  | { type: 'message'; transactional: boolean; lsn: Lsn; prefix: string };

/** Sequential reader over one message; every read is bounds-checked by Buffer. */
class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  u8(): number {
    const v = this.buf.readUInt8(this.offset);
    this.offset += 1;
    return v;
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  /** NUL-terminated string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new PgOutputFormatError('unterminated string in pgoutput message');
    const s = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    if (n < 0 || this.offset + n > this.buf.length) {
      throw new PgOutputFormatError(`pgoutput value of ${n} bytes overruns its message`);
    }
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  char(): string {
    return String.fromCharCode(this.u8());
  }
}

function readTuple(r: Reader): TupleValue[] {
  const n = r.i16();
  const values: TupleValue[] = new Array<TupleValue>(n);
  for (let i = 0; i < n; i++) {
    const kind = r.char();
    switch (kind) {
      case 'n':
        values[i] = null;
        break;
      case 'u':
        values[i] = UNCHANGED_TOAST;
        break;
      case 't':
        values[i] = r.bytes(r.i32()).toString('utf8');
        break;
      default:
        // 'b' (binary) only comes with the binary option, which this client never asks for.
        throw new PgOutputFormatError(`unsupported tuple column kind '${kind}'`);
    }
  }
  return values;
}

/** Decodes one pgoutput message (the body of an XLogData message). */
export function decodePgOutput(body: Buffer): PgOutputMessage {
  try {
    return decode(new Reader(body));
  } catch (err) {
    if (err instanceof PgOutputFormatError) throw err;
    // RangeError from a Buffer read: the message is shorter than its fields say.
    throw new PgOutputFormatError(`truncated pgoutput message '${String.fromCharCode(body[0] ?? 0)}' (${body.length} bytes)`);
  }
}

function decode(r: Reader): PgOutputMessage {
  const tag = r.char();
  switch (tag) {
    case 'B': {
      const finalLsn = r.u64();
      const commitTimeMs = pgTimeToEpochMs(r.i64());
      return { type: 'begin', finalLsn, commitTimeMs, xid: r.u32() };
    }
    case 'C': {
      r.u8(); // flags, unused
      const commitLsn = r.u64();
      const endLsn = r.u64();
      return { type: 'commit', commitLsn, endLsn, commitTimeMs: pgTimeToEpochMs(r.i64()) };
    }
    case 'O': {
      const commitLsn = r.u64();
      return { type: 'origin', commitLsn, name: r.cstring() };
    }
    case 'R': {
      const relationId = r.u32();
      const schema = r.cstring();
      const table = r.cstring();
      const replicaIdentity = r.char();
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        const name = r.cstring();
        const typeOid = r.u32();
        const typeMod = r.i32();
        columns.push({ name, typeOid, typeMod, isKey: (flags & 1) === 1 });
      }
      // pgoutput sends an empty namespace for pg_catalog.
      return { type: 'relation', relationId, schema: schema === '' ? 'pg_catalog' : schema, table, replicaIdentity, columns };
    }
    case 'Y': {
      const typeOid = r.u32();
      const schema = r.cstring();
      return { type: 'type', typeOid, schema, name: r.cstring() };
    }
    case 'I': {
      const relationId = r.u32();
      const n = r.char();
      if (n !== 'N') throw new PgOutputFormatError(`Insert: expected 'N' tuple, got '${n}'`);
      return { type: 'insert', relationId, newTuple: readTuple(r) };
    }
    case 'U': {
      const relationId = r.u32();
      let kind = r.char();
      let oldKind: 'K' | 'O' | null = null;
      let oldTuple: TupleValue[] | null = null;
      if (kind === 'K' || kind === 'O') {
        oldKind = kind;
        oldTuple = readTuple(r);
        kind = r.char();
      }
      if (kind !== 'N') throw new PgOutputFormatError(`Update: expected 'N' tuple, got '${kind}'`);
      return { type: 'update', relationId, oldKind, oldTuple, newTuple: readTuple(r) };
    }
    case 'D': {
      const relationId = r.u32();
      const kind = r.char();
      if (kind !== 'K' && kind !== 'O') throw new PgOutputFormatError(`Delete: expected 'K' or 'O' tuple, got '${kind}'`);
      return { type: 'delete', relationId, oldKind: kind, oldTuple: readTuple(r) };
    }
    case 'T': {
      const n = r.i32();
      const options = r.u8();
      const relationIds: number[] = [];
      for (let i = 0; i < n; i++) relationIds.push(r.u32());
      return { type: 'truncate', relationIds, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2 };
    }
    case 'M': {
      const transactional = (r.u8() & 1) === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      r.bytes(r.i32()); // content, unused
      return { type: 'message', transactional, lsn, prefix };
    }
    default:
      throw new PgOutputFormatError(`unknown pgoutput message type '${tag}'`);
  }
}
