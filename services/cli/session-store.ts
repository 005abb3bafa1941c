import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const rememberedSchema = z.object({ url: z.string(), username: z.string(), refresh_token: z.string() });
/** What `--remember` keeps: where, who, and the refresh token (never the password or the access token). */
export type RememberedSession = z.infer<typeof rememberedSchema>;

/** ~/.config/herald/session.json, readable by its owner only (mode 0600, its folder 0700). */
export class SessionStore {
  readonly path: string;

  constructor(home: string = homedir()) {
    this.path = join(home, '.config', 'herald', 'session.json');
  }

  /** The remembered session, or undefined when there is none (or it is unreadable). */
  async load(): Promise<RememberedSession | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = rememberedSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes the file whole (a temporary file renamed over it), created 0600 so the token is never readable by others. */
  async save(session: RememberedSession): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    // A umask cannot widen it, but an old file's mode is not ours to keep.
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }

  /**
   * Runs `work` holding session.json.lock: a refresh uses the remembered token up, so two herald
   * commands refreshing at once would present it twice, which Herald takes for theft and answers by
   * revoking the whole session. A lock older than `staleMs` is a crashed holder's and is taken over.
   */
  async withLock<T>(work: () => Promise<T>, { timeoutMs = 30_000, staleMs = 60_000 } = {}): Promise<T> {
    const lock = `${this.path}.lock`;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await (await open(lock, 'wx', 0o600)).close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
        if (age > staleMs) await rm(lock, { force: true });
        else if (Date.now() > deadline) throw new Error(`${lock} is held by another herald command; delete it if none is running`, { cause: error });
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    try {
      return await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async remove(): Promise<boolean> {
    try {
      await rm(this.path);
      return true;
    } catch {
      return false;
    }
  }
}
