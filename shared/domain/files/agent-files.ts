import type { SentFile } from '../bot-events';
import { isRefusal, type FileRefusal, type FileStore, type PartProgress, type SupportDesk } from '../ports';
import { DownstreamError, isUnanswered } from '../../platform/errors';
import { fileLink, objectKeyOf } from './links';
import { agentFileKind, FILE_LIMITS } from './policy';

/*
 * An agent's files, for the customer: read from the desk, kept in the file
 * store, and linked with the bridge's signed link (links.ts), so that the
 * customer needs no desk account and the link ends.
 */

export interface AgentFileDependencies {
  readonly desk: Pick<SupportDesk, 'describeFile' | 'readFile'>;
  /** Where agents' files are kept and linked from, and for how long. */
  readonly files: DeliveryFiles;
  readonly now?: () => number;
}

/** Files both ways: where agents' files are kept and linked from, and which plain-HTTP origin a customer's may come from. */
export interface DeliveryFiles {
  readonly store: FileStore;
  /** The key links are signed with (links.ts, fileLinkKey). */
  readonly linkKey: () => Promise<Buffer>;
  /** What links start with: the bridge's public URL. */
  readonly publicUrl: string;
  readonly linkSeconds: number;
  /** The Botpress webhook's origin: a customer's file may come from it over plain HTTP and at any address (a stand-in, locally). */
  readonly botOrigin: () => Promise<string | undefined>;
}

/**
 * Each file the agent shared, kept and linked, or refused with a reason the
 * agent reads. A failure retrying may cure is thrown, and the whole reply is
 * tried again (keeping a file twice overwrites it): the store's or the desk's
 * pace as long as they last; a file the desk does not hand over (no answer,
 * a 5xx) for the file's tries only (progress.fileTries counts them), after
 * which the reply goes without it.
 */
export async function rehostAgentFiles(
  shared: readonly { readonly id: string }[],
  progress: PartProgress,
  deps: AgentFileDependencies,
): Promise<{ sent: SentFile[]; refused: FileRefusal[] }> {
  const sent: SentFile[] = [];
  const refused: FileRefusal[] = [];
  const notFetched: { readonly name: string; readonly error: NotHandedOver }[] = [];
  for (const [index, file] of shared.entries()) {
    if (index >= FILE_LIMITS.perMessage) {
      refused.push({ refused: 'too-many', name: file.id, max: FILE_LIMITS.perMessage });
      continue;
    }
    const named = { name: file.id };
    try {
      const outcome = await rehostOne(file.id, named, deps);
      if (isRefusal(outcome)) refused.push(outcome);
      else sent.push(outcome);
    } catch (error) {
      if (!(error instanceof NotHandedOver)) throw error;
      notFetched.push({ name: named.name, error });
    }
  }
  if (notFetched.length > 0) {
    const tries = (progress.fileTries ?? 0) + 1;
    if (tries < FILE_LIMITS.tries) {
      progress.fileTries = tries;
      const { failure } = notFetched[0]!.error;
      throw new DownstreamError(failure.service, `${notFetched.length} file(s) not fetched, try ${tries} of ${FILE_LIMITS.tries}`, {
        cause: failure,
        retryAfterMs: FILE_LIMITS.retryDelaysMs[tries - 1],
      });
    }
    refused.push(...notFetched.map(({ name }) => ({ refused: 'not-fetched' as const, name, tries })));
  }
  return { sent, refused };
}

/** The desk failing to hand over a file in a way another try may cure: the file's failure, where the store's or the desk's pace are not. */
class NotHandedOver extends Error {
  override readonly name: string = 'NotHandedOver';
  constructor(readonly failure: DownstreamError) {
    super(failure.message, { cause: failure });
  }
}

/** A desk call for a file: a transient failure (not its rate limit, which is its pace) becomes the file's. */
async function fromDesk<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (isUnanswered(error)) throw new NotHandedOver(error);
    throw error;
  }
}

async function rehostOne(fileId: string, named: { name: string }, deps: AgentFileDependencies): Promise<SentFile | FileRefusal> {
  const file = await fromDesk(deps.desk.describeFile(fileId));
  if (isRefusal(file)) return file;
  named.name = file.name;
  const kind = agentFileKind(file.mimetype);
  if (file.external) return { refused: 'external', name: file.name };
  if (!kind) return { refused: 'type', name: file.name, mimetype: file.mimetype };
  if ((file.size ?? 0) > FILE_LIMITS.maxBytes) return { refused: 'too-large', name: file.name, bytes: file.size, maxBytes: FILE_LIMITS.maxBytes };
  const body = await fromDesk(deps.desk.readFile(file, FILE_LIMITS.maxBytes));
  if (isRefusal(body)) return body;

  const fileRef = { fileId, name: file.name };
  // Shown in the browser when it is an image; anything else is downloaded, never rendered from the bridge's link.
  const disposition = `${kind === 'image' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.name)}`;
  await deps.files.store.put(objectKeyOf(fileRef), body, { contentType: file.mimetype, disposition });
  const expiresAt = Math.floor((deps.now ?? Date.now)() / 1000) + deps.files.linkSeconds;
  return { name: file.name, mimetype: file.mimetype, size: body.length, kind, url: fileLink(deps.files.publicUrl, fileRef, expiresAt, await deps.files.linkKey()) };
}
