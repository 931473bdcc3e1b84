import type { SentFile } from '../bot-events';
import { isRefusal, type FileRefusal, type FileStore, type SupportDesk } from '../ports';
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
 * agent reads. A failure retrying may cure (the desk or the store down) is
 * thrown, and the whole reply is tried again: keeping a file twice overwrites it.
 */
export async function rehostAgentFiles(shared: readonly { readonly id: string }[], deps: AgentFileDependencies): Promise<{ sent: SentFile[]; refused: FileRefusal[] }> {
  const sent: SentFile[] = [];
  const refused: FileRefusal[] = [];
  for (const [index, file] of shared.entries()) {
    const outcome = index < FILE_LIMITS.perMessage ? await rehostOne(file.id, deps) : ({ refused: 'too-many', name: file.id, max: FILE_LIMITS.perMessage } as const);
    if (isRefusal(outcome)) refused.push(outcome);
    else sent.push(outcome);
  }
  return { sent, refused };
}

async function rehostOne(fileId: string, deps: AgentFileDependencies): Promise<SentFile | FileRefusal> {
  const file = await deps.desk.describeFile(fileId);
  if (isRefusal(file)) return file;
  const kind = agentFileKind(file.mimetype);
  if (file.external) return { refused: 'external', name: file.name };
  if (!kind) return { refused: 'type', name: file.name, mimetype: file.mimetype };
  if ((file.size ?? 0) > FILE_LIMITS.maxBytes) return { refused: 'too-large', name: file.name, bytes: file.size, maxBytes: FILE_LIMITS.maxBytes };
  const body = await deps.desk.readFile(file, FILE_LIMITS.maxBytes);
  if (isRefusal(body)) return body;

  const fileRef = { fileId, name: file.name };
  // Shown in the browser when it is an image; anything else is downloaded, never rendered from the bridge's link.
  const disposition = `${kind === 'image' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.name)}`;
  await deps.files.store.put(objectKeyOf(fileRef), body, { contentType: file.mimetype, disposition });
  const expiresAt = Math.floor((deps.now ?? Date.now)() / 1000) + deps.files.linkSeconds;
  return { name: file.name, mimetype: file.mimetype, size: body.length, kind, url: fileLink(deps.files.publicUrl, fileRef, expiresAt, await deps.files.linkKey()) };
}
