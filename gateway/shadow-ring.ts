/**
 * A byte ring in a SharedArrayBuffer with one writer thread and one reader thread: how the proxy
 * thread hands the shadow worker its per-exchange messages (`shadow-offload.ts`). A postMessage
 * costs the sending thread a structured clone, a message-port dispatch and a wake-up of the other
 * thread, about 9 µs per shadowed request on the proxy thread (gateway.bench, worker on, 1 KB
 * bodies); writing the same message here is a JSON.stringify and two copies, and the reader needs
 * waking only when it sleeps.
 *
 * Records: `u32 length of the rest | u32 json bytes | json (UTF-8) | u32 bodies | (u32 n | n bytes)*`,
 * little-endian, wrapping at the end of the data area. The writer publishes a record by moving the
 * write position after the record is copied; the reader frees it by moving the read position.
 * Positions are free-running 32-bit counters (the capacity is a power of two), so a full ring and
 * an empty one differ. A record that does not fit returns false from `write`, and the caller uses
 * another channel (see the ordering rule in `shadow-offload.ts`): nothing blocks and nothing is
 * overwritten.
 *
 * Waking: the reader announces sleep (`sleep`), then checks the ring once more. The writer
 * publishes records, then (`wake`) takes back the announcement if there is one, and must then
 * ring the reader's doorbell (the caller's channel: the shadow worker's message port). All
 * accesses are sequentially consistent Atomics, so either the reader sees the record or the writer
 * sees the announcement: no wake-up is lost, and one sleep gets one doorbell. (Not
 * `Atomics.waitAsync`: on Node 20 a notified waitAsync does not wake a worker's event loop, so its
 * promise may never settle; nodejs/node#44729.)
 */

const HEADER_BYTES = 64;
/** Int32 slots of the header. */
const WRITE = 0;
const READ = 1;
const SLEEPING = 2;

/** A ring of `capacity` data bytes (a power of two, at least 64). */
export function createRing(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 64 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two of at least 64 bytes (got ${capacity})`);
  }
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

class RingView {
  protected readonly header: Int32Array;
  protected readonly data: Buffer;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(sab: SharedArrayBuffer) {
    this.header = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = Buffer.from(sab, HEADER_BYTES);
    this.capacity = this.data.length;
    this.mask = this.capacity - 1;
  }

  /** Bytes published and not yet read. */
  protected used(): number {
    return (Atomics.load(this.header, WRITE) - Atomics.load(this.header, READ)) >>> 0;
  }
}

export class RingWriter extends RingView {
  /** Where the next record starts (the published write position, kept here to save a load). */
  #pos: number;
  #scratch = Buffer.allocUnsafeSlow(4096);
  #len = Buffer.allocUnsafe(4);

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.#pos = Atomics.load(this.header, WRITE) >>> 0;
  }

  /**
   * Appends one record. Returns false, writing nothing, when the record does not fit in the free
   * space. The reader only sees it for sure after {@link wake}.
   */
  write(json: string, bodies: readonly Uint8Array[]): boolean {
    // The fixed part (lengths and JSON) is built in a scratch buffer: at most 3 bytes per UTF-16 unit.
    const need = 12 + json.length * 3 + bodies.length * 4;
    if (need > this.#scratch.length) this.#scratch = Buffer.allocUnsafeSlow(Math.max(need, this.#scratch.length * 2));
    const s = this.#scratch;
    const jsonBytes = s.write(json, 8, 'utf8');
    s.writeUInt32LE(jsonBytes, 4);
    let head = 8 + jsonBytes;
    s.writeUInt32LE(bodies.length, head);
    head += 4;
    let size = head;
    for (const b of bodies) size += 4 + b.length;
    if (size > this.capacity - this.used()) return false;
    s.writeUInt32LE(size - 4, 0);

    let at = this.#put(s.subarray(0, head), this.#pos);
    const len = this.#len;
    for (const b of bodies) {
      len.writeUInt32LE(b.length, 0);
      at = this.#put(len, at);
      at = this.#put(b, at);
    }
    this.#pos = at;
    Atomics.store(this.header, WRITE, at | 0);
    return true;
  }

  /**
   * True when the reader had announced sleep: the announcement is taken back, and the caller must
   * now ring the reader's doorbell. Separate from `write` because a doorbell costs the writer more
   * than a record, so callers write a turn's records and wake once.
   */
  wake(): boolean {
    return Atomics.compareExchange(this.header, SLEEPING, 1, 0) === 1;
  }

  /** Copies `src` to ring position `at` (wrapping), returns the position after it. */
  #put(src: Uint8Array, at: number): number {
    const n = src.length;
    const off = at & this.mask;
    const first = Math.min(n, this.capacity - off);
    this.data.set(first === n ? src : src.subarray(0, first), off);
    if (first < n) this.data.set(src.subarray(first), 0);
    return (at + n) >>> 0;
  }
}

/** One record as read: its JSON text and copies of its bodies (the ring space is reused). */
export interface RingRecord {
  json: string;
  bodies: Buffer[];
}

export class RingReader extends RingView {
  #pos: number;
  #word = Buffer.allocUnsafe(4);

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.#pos = Atomics.load(this.header, READ) >>> 0;
  }

  /** The next record, or undefined when the ring is empty. */
  read(): RingRecord | undefined {
    if ((Atomics.load(this.header, WRITE) >>> 0) === this.#pos) return undefined;
    let at = this.#pos;
    const u32 = (): number => {
      at = this.#get(this.#word, 4, at);
      return this.#word.readUInt32LE(0);
    };
    const size = u32();
    const end = (this.#pos + 4 + size) >>> 0;
    const jsonBytes = u32();
    const off = at & this.mask;
    let json: string;
    if (off + jsonBytes <= this.capacity) {
      json = this.data.toString('utf8', off, off + jsonBytes);
      at = (at + jsonBytes) >>> 0;
    } else {
      const tmp = Buffer.allocUnsafe(jsonBytes);
      at = this.#get(tmp, jsonBytes, at);
      json = tmp.toString('utf8');
    }
    const count = u32();
    const bodies: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const n = u32();
      const b = Buffer.allocUnsafeSlow(n); // its own ArrayBuffer: it may be moved on to the proxy thread
      at = this.#get(b, n, at);
      bodies.push(b);
    }
    if (at !== end) throw new Error(`shadow ring: record at ${this.#pos} is ${size + 4} bytes but its fields took ${(at - this.#pos) >>> 0}`);
    this.#pos = end;
    Atomics.store(this.header, READ, end | 0);
    return { json, bodies };
  }

  /**
   * Announces sleep. False when a record arrived meanwhile (the announcement is withdrawn: read
   * on); true when the reader must now wait for its doorbell, after which it calls {@link awake}.
   */
  sleep(): boolean {
    Atomics.store(this.header, SLEEPING, 1);
    if ((Atomics.load(this.header, WRITE) >>> 0) === this.#pos) return true;
    Atomics.store(this.header, SLEEPING, 0);
    return false;
  }

  /** Withdraws a sleep announcement (the reader was woken by its doorbell or anything else). */
  awake(): void {
    Atomics.store(this.header, SLEEPING, 0);
  }

  /** Copies `n` bytes at ring position `at` (wrapping) into `dst`, returns the position after them. */
  #get(dst: Buffer, n: number, at: number): number {
    const off = at & this.mask;
    const first = Math.min(n, this.capacity - off);
    this.data.copy(dst, 0, off, off + first);
    if (first < n) this.data.copy(dst, first, 0, n - first);
    return (at + n) >>> 0;
  }
}
