import { createHash } from 'node:crypto';
import { z } from 'zod';

/** At most this many files per message. */
export const MAX_ATTACHMENTS = 10;
/** The ceiling of ATTACHMENTS_MAX_BYTES: decoded bytes of one message's files together. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const MAX_BASE64_CHARS = Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;
const MAX_FILENAME_OCTETS = 255;

const OFFICE_TYPES = [
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
] as const;

/** The content types a message may carry (accounts.md). */
export const ATTACHMENT_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/plain',
  'text/csv',
  'text/calendar',
  'application/zip',
  ...OFFICE_TYPES,
] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** How a file of a type must start; a type not listed here is not checked. */
const MAGIC: Partial<Record<AttachmentType, readonly Buffer[]>> = {
  'application/pdf': [Buffer.from('%PDF-')],
  'image/png': [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  'image/jpeg': [Buffer.from([0xff, 0xd8, 0xff])],
  'image/gif': [Buffer.from('GIF87a'), Buffer.from('GIF89a')],
  // A zip starts with a local file header, or is the empty archive's end record.
  'application/zip': [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x05, 0x06])],
};

/** True when `content` starts as files of `type` must. */
export function hasMagicBytes(type: AttachmentType, content: Buffer): boolean {
  const signatures = MAGIC[type];
  return signatures === undefined || signatures.some((signature) => content.subarray(0, signature.length).equals(signature));
}

/** Why `name` is not a safe base name, or undefined. */
export function filenameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (Buffer.byteLength(name) > MAX_FILENAME_OCTETS) return `must be at most ${MAX_FILENAME_OCTETS} octets`;
  if (/[/\\]/.test(name)) return 'must be a base name, without / or \\';
  if (/[\p{Cc}\u2028\u2029]/u.test(name)) return 'must not contain control characters or line breaks';
  if (/\p{Cs}/u.test(name)) return 'must be valid Unicode';
  if (name === '.' || name === '..') return 'must be a file name';
  return undefined;
}

// One character class, no groups: a grouped pattern backtracks (and overflows the stack) on megabytes.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (value: string) => value.length % 4 === 0 && BASE64_CHARS.test(value);

/** One attachment as a client sends it; decoded and checked, with its size and digest. */
export const attachmentSchema = z
  .strictObject({
    filename: z.string().superRefine((name, ctx) => {
      const problem = filenameProblem(name);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    content_type: z.enum(ATTACHMENT_TYPES),
    content: z
      .string()
      .max(MAX_BASE64_CHARS, `must decode to at most ${MAX_ATTACHMENT_BYTES} bytes`)
      .refine(isBase64, 'must be base64 (RFC 4648, with padding, no line breaks)')
      .meta({ description: 'The file, base64-encoded.' }),
    content_id: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,100}$/, 'must be 1 to 100 of A-Z, a-z, 0-9, ".", "_", "@" or "-"')
      .optional()
      .meta({ description: 'Makes the file an inline part, referenced from the HTML as cid:<content_id>.' }),
  })
  .transform((input, ctx) => {
    const content = Buffer.from(input.content, 'base64');
    if (!hasMagicBytes(input.content_type, content)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: `is not a ${input.content_type} file (its first bytes do not match)` });
      return z.NEVER;
    }
    return {
      filename: input.filename,
      content_type: input.content_type,
      content_id: input.content_id ?? null,
      content,
      size: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  });
export type Attachment = z.output<typeof attachmentSchema>;

export const attachmentsField = z
  .array(attachmentSchema)
  .max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} files`)
  // Files already refused have no size; the sum counts the others.
  .refine((files) => totalBytes(files.filter((f) => typeof f?.size === 'number')) <= MAX_ATTACHMENT_BYTES, `at most ${MAX_ATTACHMENT_BYTES} bytes decoded, all files together`)
  .optional()
  .meta({ description: `Files: at most ${MAX_ATTACHMENTS}, at most ATTACHMENTS_MAX_BYTES (10 MB) decoded together.` });

export function totalBytes(files: readonly Pick<Attachment, 'size'>[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

/** What the idempotency hash sees of an attachment: everything but the bytes, which its digest stands for. */
export function hashedForm(file: Attachment): Record<string, unknown> {
  return { filename: file.filename, content_type: file.content_type, content_id: file.content_id, sha256: file.sha256 };
}

export const attachmentViewSchema = z.object({
  position: z.number().int(),
  filename: z.string(),
  content_type: z.string(),
  content_id: z.string().nullable(),
  size: z.number().int(),
  sha256: z.string(),
});
export type AttachmentView = z.infer<typeof attachmentViewSchema>;
