// File: https://w3c.github.io/FileAPI/#file-section

import { Blob, blobFromBytes, normalizeType, processBlobParts, type BlobPart, type BlobPropertyBag } from './blob.ts';
import { StringCtor, TypeErrorCtor } from './internal/primordials.ts';

export interface FilePropertyBag extends BlobPropertyBag {
  lastModified?: number;
}

const fileOf = new WeakMap<File, { name: string; lastModified: number }>();

function st(f: File): { name: string; lastModified: number } {
  const s = fileOf.get(f);
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

export class File extends Blob {
  // https://w3c.github.io/FileAPI/#file-constructor
  constructor(fileBits: Iterable<BlobPart>, fileName: string, options?: FilePropertyBag) {
    if (arguments.length < 2) throw new TypeErrorCtor(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeErrorCtor("Failed to construct 'File': The provided value is not of type 'FilePropertyBag'.");
    }
    super();
    const bytes = processBlobParts(fileBits, options?.endings, 'File');
    blobFromBytes(bytes, options?.type === undefined ? '' : normalizeType(options.type), this);
    const lm = options?.lastModified;
    fileOf.set(this, { name: StringCtor(fileName), lastModified: lm === undefined ? Date.now() : Math.trunc(Number(lm)) || 0 });
  }

  get name(): string { return st(this).name; }
  get lastModified(): number { return st(this).lastModified; }
  get webkitRelativePath(): string { st(this); return ''; }
  get [Symbol.toStringTag](): string { return 'File'; }
}

/** A File over `bytes` (not copied), for FormData entries and parsed uploads. */
export function fileFromBytes(bytes: Uint8Array, name: string, type: string, lastModified = Date.now()): File {
  const f = Object.create(File.prototype) as File;
  blobFromBytes(bytes, type, f);
  fileOf.set(f, { name, lastModified });
  return f;
}
