/**
 * A minimal ZIP reader (and a stored-only writer) for .npz files: end-of-central-directory,
 * ZIP64 end records and extra fields, stored and deflated members, CRC-32 checked.
 * The central directory is authoritative: numpy streams members with force_zip64, so its local
 * headers may carry 0xFFFFFFFF sizes or a data descriptor.
 * https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
 */
import { host } from "../host.js";
import { ByteReader, fail } from "./binary.js";
import { checkBytes, checkCount, type ReadLimits } from "./limits.js";

export interface ZipMember {
  readonly name: string;
  readonly data: Uint8Array;
}

const SIGNATURE = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
} as const;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_RECORD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_SIZE = 56;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8_NAME = 0x0800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const METHOD_NAMES: Record<number, string> = { 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "zstd", 95: "xz", 99: "AES encryption" };
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

interface CentralEntry {
  name: string;
  nameBytes: Uint8Array;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

interface Directory {
  offset: number;
  size: number;
  entryCount: number;
}

export function readZip(bytes: Uint8Array, file: string, limits?: ReadLimits): ZipMember[] {
  const reader = new ByteReader(bytes, file);
  const directory = readEndRecords(reader);
  checkCount(limits, directory.entryCount, file, "the archive lists");
  const entries = readCentralDirectory(reader, directory);
  // What the members say they inflate to, before anything is inflated (a zip bomb says it too,
  // or fails its inflate limit below).
  checkBytes(limits, entries.reduce((n, e) => n + e.size, 0), file, "its members inflate to");
  const spans = entries.map((entry) => ({ entry, ...locateData(reader, entry, directory.offset) }));
  // Members must not share bytes: overlapping members are how "zip bombs" multiply their output.
  const byStart = [...spans].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i++) {
    const [before, after] = [byStart[i - 1]!, byStart[i]!];
    if (after.start < before.end) fail("NNX3021", file, `members "${before.entry.name}" and "${after.entry.name}" overlap (at offset ${after.start})`);
  }
  return spans.map(({ entry, dataStart }) => ({ name: entry.name, data: extract(reader, entry, dataStart) }));
}

/** Writes stored (uncompressed) members, which is what numpy.savez writes. */
export function writeZip(members: readonly ZipMember[]): Uint8Array {
  const encoder = new TextEncoder();
  const names = members.map((m) => encoder.encode(m.name));
  const localSize = members.reduce((sum, m, i) => sum + LOCAL_HEADER_SIZE + names[i]!.length + m.data.length, 0);
  const centralSize = names.reduce((sum, name) => sum + CENTRAL_HEADER_SIZE + name.length, 0);
  if (localSize + centralSize > U32_MAX || members.length > U16_MAX) {
    throw new RangeError("writeZip writes no ZIP64: keep archives under 4 GiB and 65535 members");
  }
  const out = new Uint8Array(localSize + centralSize + END_RECORD_SIZE);
  const view = new DataView(out.buffer);
  const localOffsets: number[] = [];
  let pos = 0;
  // Fields shared by the local and the central header, starting at "version needed".
  const writeCommon = (at: number, member: ZipMember, name: Uint8Array): void => {
    view.setUint16(at, 20, true); // version needed: 2.0
    view.setUint16(at + 2, FLAG_UTF8_NAME, true);
    view.setUint16(at + 4, METHOD_STORED, true);
    view.setUint16(at + 8, 0x21, true); // date 1980-01-01, as Python writes for no date
    view.setUint32(at + 10, crc32(member.data), true);
    view.setUint32(at + 14, member.data.length, true);
    view.setUint32(at + 18, member.data.length, true);
    view.setUint16(at + 22, name.length, true);
  };
  members.forEach((member, i) => {
    const name = names[i]!;
    localOffsets.push(pos);
    view.setUint32(pos, SIGNATURE.local, true);
    writeCommon(pos + 4, member, name);
    out.set(name, pos + LOCAL_HEADER_SIZE);
    out.set(member.data, pos + LOCAL_HEADER_SIZE + name.length);
    pos += LOCAL_HEADER_SIZE + name.length + member.data.length;
  });
  members.forEach((member, i) => {
    const name = names[i]!;
    view.setUint32(pos, SIGNATURE.central, true);
    view.setUint16(pos + 4, 20, true); // version made by
    writeCommon(pos + 6, member, name);
    view.setUint32(pos + 42, localOffsets[i]!, true);
    out.set(name, pos + CENTRAL_HEADER_SIZE);
    pos += CENTRAL_HEADER_SIZE + name.length;
  });
  view.setUint32(pos, SIGNATURE.end, true);
  view.setUint16(pos + 8, members.length, true);
  view.setUint16(pos + 10, members.length, true);
  view.setUint32(pos + 12, centralSize, true);
  view.setUint32(pos + 16, localSize, true);
  return out;
}

function readEndRecords(reader: ByteReader): Directory {
  const { file, length } = reader;
  const end = findEndRecord(reader);
  if (reader.u16(end + 4, "the end record") !== 0 || reader.u16(end + 6, "the end record") !== 0) {
    fail("NNX3022", file, "multi-disk (split) ZIP archives are not supported");
  }
  let directory: Directory = {
    entryCount: reader.u16(end + 10, "the end record"),
    size: reader.u32(end + 12, "the end record"),
    offset: reader.u32(end + 16, "the end record"),
  };
  let directoryLimit = end;
  if (end >= ZIP64_LOCATOR_SIZE && reader.u32(end - ZIP64_LOCATOR_SIZE, "the ZIP64 locator") === SIGNATURE.zip64Locator) {
    const locator = end - ZIP64_LOCATOR_SIZE;
    const zip64End = toOffset(reader, reader.u64(locator + 8, "the ZIP64 locator"), "the ZIP64 end record offset");
    if (zip64End + ZIP64_END_SIZE > locator) {
      fail("NNX3021", file, `the ZIP64 end record offset ${zip64End} does not leave room for the record before the locator at ${locator}`);
    }
    expectSignature(reader, zip64End, SIGNATURE.zip64End, "the ZIP64 end record");
    if (reader.u32(zip64End + 16, "the ZIP64 end record") !== 0 || reader.u32(zip64End + 20, "the ZIP64 end record") !== 0) {
      fail("NNX3022", file, "multi-disk (split) ZIP archives are not supported");
    }
    directory = {
      entryCount: toOffset(reader, reader.u64(zip64End + 32, "the ZIP64 end record"), "the ZIP64 entry count"),
      size: toOffset(reader, reader.u64(zip64End + 40, "the ZIP64 end record"), "the ZIP64 central directory size"),
      offset: toOffset(reader, reader.u64(zip64End + 48, "the ZIP64 end record"), "the ZIP64 central directory offset"),
    };
    directoryLimit = zip64End;
  }
  if (directory.offset + directory.size > directoryLimit) {
    fail("NNX3021", file, `the central directory (offset ${directory.offset}, ${directory.size} bytes) runs past the end records at ${directoryLimit} in a ${length}-byte file`);
  }
  return directory;
}

function findEndRecord(reader: ByteReader): number {
  const last = reader.length - END_RECORD_SIZE;
  // The record is followed only by its comment (at most 64 KiB), whose length it states.
  for (let pos = last; pos >= 0 && pos >= last - U16_MAX; pos--) {
    if (reader.u32(pos, "the end record") === SIGNATURE.end && reader.u16(pos + 20, "the end record") === last - pos) return pos;
  }
  return fail("NNX3020", reader.file, "not a ZIP file (or truncated): no end-of-central-directory record at its end");
}

function readCentralDirectory(reader: ByteReader, directory: Directory): CentralEntry[] {
  const { file } = reader;
  const entries: CentralEntry[] = [];
  const end = directory.offset + directory.size;
  let pos = directory.offset;
  for (let i = 0; i < directory.entryCount; i++) {
    if (pos + CENTRAL_HEADER_SIZE > end) {
      fail("NNX3021", file, `the central directory (${directory.size} bytes) ends after ${i} of its ${directory.entryCount} entries`);
    }
    expectSignature(reader, pos, SIGNATURE.central, `central directory entry ${i}`);
    const what = `central directory entry ${i}`;
    const flags = reader.u16(pos + 8, what);
    const nameLength = reader.u16(pos + 28, what);
    const extraLength = reader.u16(pos + 30, what);
    const commentLength = reader.u16(pos + 32, what);
    const recordEnd = pos + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (recordEnd > end) fail("NNX3021", file, `${what} runs past the end of the central directory at ${end}`);
    const nameBytes = reader.slice(pos + CENTRAL_HEADER_SIZE, nameLength, what);
    const name = decodeName(nameBytes, flags, file);
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) fail("NNX3022", file, `member "${name}" is encrypted; encrypted archives are not supported`);
    const method = reader.u16(pos + 10, what);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      const known = METHOD_NAMES[method];
      fail("NNX3022", file, `member "${name}" uses compression method ${method}${known ? ` (${known})` : ""}; only stored (0) and deflate (8) are supported`);
    }
    const extra = reader.slice(pos + CENTRAL_HEADER_SIZE + nameLength, extraLength, what);
    const sizes = applyZip64Extra(
      {
        size: reader.u32(pos + 24, what),
        compressedSize: reader.u32(pos + 20, what),
        localOffset: reader.u32(pos + 42, what),
        disk: reader.u16(pos + 34, what),
      },
      extra,
      name,
      reader,
    );
    if (sizes.disk !== 0) fail("NNX3022", file, "multi-disk (split) ZIP archives are not supported");
    entries.push({ name, nameBytes, method, crc: reader.u32(pos + 16, what), ...sizes });
    pos = recordEnd;
  }
  if (pos !== end) fail("NNX3021", file, `the central directory is ${directory.size} bytes but its ${directory.entryCount} entries take ${pos - directory.offset}`);
  return entries;
}

interface Sizes {
  size: number;
  compressedSize: number;
  localOffset: number;
  disk: number;
}

/** Fields saturated at 0xFFFFFFFF (0xFFFF for the disk) are in the ZIP64 extra field, in this order. */
function applyZip64Extra(sizes: Sizes, extra: Uint8Array, name: string, reader: ByteReader): Sizes {
  const wide = (["size", "compressedSize", "localOffset"] as const).filter((key) => sizes[key] === U32_MAX);
  const needsDisk = sizes.disk === U16_MAX;
  if (wide.length === 0 && !needsDisk) return sizes;
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  const malformed = (what: string): never => fail("NNX3021", reader.file, `member "${name}": ${what}`);
  for (let pos = 0; pos + 4 <= extra.length; ) {
    const id = view.getUint16(pos, true);
    const fieldLength = view.getUint16(pos + 2, true);
    if (pos + 4 + fieldLength > extra.length) malformed("an extra field runs past the end of the extra data");
    if (id === ZIP64_EXTRA_ID) {
      if (fieldLength < wide.length * 8 + (needsDisk ? 4 : 0)) malformed(`the ZIP64 extra field is ${fieldLength} bytes, too short for ${wide.join(", ")}`);
      const out = { ...sizes };
      wide.forEach((key, i) => {
        out[key] = toOffset(reader, view.getBigUint64(pos + 4 + i * 8, true), `the ZIP64 ${key} of member "${name}"`);
      });
      if (needsDisk) out.disk = view.getUint32(pos + 4 + wide.length * 8, true);
      return out;
    }
    pos += 4 + fieldLength;
  }
  return malformed("sizes are saturated (0xFFFFFFFF) but there is no ZIP64 extra field");
}

/** Finds a member's data through its local header, which must agree with the central entry. */
function locateData(reader: ByteReader, entry: CentralEntry, directoryOffset: number): { start: number; end: number; dataStart: number } {
  const { file } = reader;
  const what = `the local header of member "${entry.name}"`;
  const start = entry.localOffset;
  if (start + LOCAL_HEADER_SIZE > directoryOffset) fail("NNX3021", file, `${what} at offset ${start} is not before the central directory at ${directoryOffset}`);
  expectSignature(reader, start, SIGNATURE.local, what);
  const nameLength = reader.u16(start + 26, what);
  const extraLength = reader.u16(start + 28, what);
  const localName = reader.slice(start + LOCAL_HEADER_SIZE, nameLength, what);
  if (!sameBytes(localName, entry.nameBytes)) fail("NNX3021", file, `${what} names "${decodeName(localName, 0, file)}" instead`);
  if (reader.u16(start + 8, what) !== entry.method) fail("NNX3021", file, `${what} has another compression method than the central directory`);
  const dataStart = start + LOCAL_HEADER_SIZE + nameLength + extraLength;
  const end = dataStart + entry.compressedSize;
  if (end > directoryOffset) {
    fail("NNX3021", file, `member "${entry.name}": its ${entry.compressedSize} data bytes at offset ${dataStart} run into the central directory at ${directoryOffset}`);
  }
  return { start, end, dataStart };
}

function extract(reader: ByteReader, entry: CentralEntry, dataStart: number): Uint8Array {
  const { file } = reader;
  const raw = reader.slice(dataStart, entry.compressedSize, `member "${entry.name}"`);
  let data: Uint8Array;
  if (entry.method === METHOD_STORED) {
    if (entry.compressedSize !== entry.size) {
      fail("NNX3021", file, `stored member "${entry.name}" has a compressed size of ${entry.compressedSize} but a size of ${entry.size}`);
    }
    data = raw;
  } else {
    if (entry.size > host().maxBytes) fail("NNX3002", file, `member "${entry.name}" inflates to ${entry.size} bytes, more than this ${host().name} can hold`);
    try {
      // The host stops a lying size (or a zip bomb) from inflating past what the directory promised.
      data = host().inflateRaw(raw, entry.size);
    } catch (e) {
      return fail("NNX3023", file, `member "${entry.name}": the deflate data is corrupt or larger than its stated ${entry.size} bytes (${(e as Error).message})`);
    }
    if (data.length !== entry.size) fail("NNX3023", file, `member "${entry.name}" inflates to ${data.length} bytes but the directory says ${entry.size}`);
  }
  const crc = crc32(data);
  if (crc !== entry.crc) fail("NNX3023", file, `member "${entry.name}": CRC-32 is ${hex32(crc)} but the directory says ${hex32(entry.crc)} (the data is corrupt)`);
  return data;
}

function expectSignature(reader: ByteReader, pos: number, signature: number, what: string): void {
  const found = reader.u32(pos, what);
  if (found !== signature) fail("NNX3020", reader.file, `${what} at offset ${pos} has the signature ${hex32(found)}, expected ${hex32(signature)}`);
}

function toOffset(reader: ByteReader, value: bigint, what: string): number {
  if (value > BigInt(reader.length)) fail("NNX3021", reader.file, `${what} is ${value}, beyond the ${reader.length}-byte file`);
  return Number(value);
}

function decodeName(bytes: Uint8Array, flags: number, file: string): string {
  // Without the UTF-8 flag the name is CP437; numpy's names are ASCII, where the two agree.
  if (!(flags & FLAG_UTF8_NAME)) return new TextDecoder("latin1").decode(bytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("NNX3021", file, "a member name flagged as UTF-8 is not valid UTF-8");
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function hex32(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
