import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';

// The allowlist of accounts.md by file extension; the server checks the types again, and the magic bytes.
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.ics': 'text/calendar',
  '.zip': 'application/zip',
  '.doc': 'application/msword',
  '.xls': 'application/vnd.ms-excel',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.odt': 'application/vnd.oasis.opendocument.text',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.odp': 'application/vnd.oasis.opendocument.presentation',
};

/** An attachment as POST /api/notify takes it. */
export interface AttachmentPayload {
  readonly filename: string;
  readonly content_type: string;
  readonly content: string;
}

/** The content type Herald expects for a file name, or undefined when Herald does not take that kind of file. */
export function contentTypeOf(path: string): string | undefined {
  return TYPES_BY_EXTENSION[extname(path).toLowerCase()];
}

/** Why a path cannot be attached (not a readable file, a type Herald refuses), or undefined when it can. */
export async function attachmentProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return `${path} is not a file`;
  } catch {
    return `no file at ${path}`;
  }
  if (contentTypeOf(path) === undefined) return `Herald does not take ${extname(path) || 'extensionless'} files (pdf, images, txt, csv, ics, zip and office documents)`;
  return undefined;
}

/** Reads a file into the payload; the server decides on sizes and bytes. */
export async function readAttachment(path: string): Promise<AttachmentPayload> {
  const content = await readFile(path);
  return { filename: basename(path), content_type: contentTypeOf(path) ?? 'application/octet-stream', content: content.toString('base64') };
}
