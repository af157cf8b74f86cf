/**
 * electron-updater's feed, signed: a custom provider (`setFeedURL({ provider: 'custom' })`)
 * that fetches the channel's metadata file and its detached signature, verifies the signature
 * over the exact bytes fetched, and only then parses those same bytes for electron-updater,
 * which goes on to download the file and check it against the signed sha512. A refusal here
 * stops electron-updater before it acts on the metadata. Both files are read through the feed
 * client's bounded request (256 KB for the metadata, 1 KB for the signature): a larger file is
 * refused and its connection closed, never read whole. Cancelling the check's token (the
 * controller's deadline) stops both requests.
 */
import { CancellationToken, type CustomPublishOptions, type UpdateInfo } from 'builder-util-runtime';
import { Provider, type AppUpdater, type ResolvedUpdateFileInfo } from 'electron-updater';
import { parseUpdateInfo, resolveFiles, type ProviderRuntimeOptions } from 'electron-updater/out/providers/Provider.js';
import { z } from 'zod';
import { feedUrlRefusal } from './feed-policy';
import { FeedHttpExecutor, FeedResponseTooLargeError } from './http-executor';
import { UpdateRefusedError } from './refusal';
import { MAX_SIGNATURE_FILE, SIGNATURE_SUFFIX, verifyMetadataSignature, type ReleaseKey } from './signature';

export interface SignedFeed {
  /** the folder URL holding latest.yml / latest-linux.yml, their .sig files and the installers */
  url: string;
  keys: readonly ReleaseKey[];
  /** told which key verified each metadata file (for the log) */
  onVerified?: (file: string, keyId: string) => void;
  /** the token of the check in progress: cancelling it stops the feed's requests at once */
  checkToken?: () => CancellationToken | null;
}

/** The options for `updater.setFeedURL(...)`. */
export function signedFeedOptions(feed: SignedFeed): CustomPublishOptions {
  return { provider: 'custom', updateProvider: SignedFeedProvider, signedFeed: feed };
}

const SHA512 = z.union([z.string().regex(/^[A-Za-z0-9+/]{86}==$/), z.string().regex(/^[0-9a-f]{128}$/)]);
const SEMVER = /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,30})?(\+[0-9A-Za-z.-]{1,30})?$/;
const updateInfoSchema = z
  .object({
    version: z.string().regex(SEMVER, 'not a semantic version'),
    files: z
      .array(
        z.object({ url: z.string().min(1).max(500), sha512: SHA512, size: z.number().int().positive().optional() }).passthrough(),
      )
      .min(1)
      .max(20),
    path: z.string().max(500).optional(),
    sha512: SHA512.optional(),
    releaseDate: z.string().max(40).optional(),
    stagingPercentage: z.number().min(0).max(100).optional(),
  })
  .passthrough();

export const MAX_METADATA_BYTES = 256 * 1024;
const NO_CACHE = { accept: '*/*', 'cache-control': 'no-cache' };

/** A file past its size limit is a refusal (the feed is serving something it must not), other errors stay errors. */
function tooLarge(err: unknown, refusal: 'metadata_invalid' | 'signature_invalid', file: string): unknown {
  if (err instanceof FeedResponseTooLargeError)
    return new UpdateRefusedError(refusal, `${file} is larger than ${String(err.maxBytes)} bytes; it was not read`);
  return err;
}

export class SignedFeedProvider extends Provider<UpdateInfo> {
  private readonly feed: SignedFeed;
  private readonly baseUrl: URL;

  constructor(
    options: CustomPublishOptions,
    private readonly updater: AppUpdater,
    runtimeOptions: ProviderRuntimeOptions,
  ) {
    super(runtimeOptions);
    this.feed = options.signedFeed as SignedFeed;
    const base = new URL(this.feed.url);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.baseUrl = base;
  }

  private get channelFile(): string {
    const channel = this.updater.channel;
    return `${channel ? this.getCustomChannelName(channel) : this.getDefaultChannelName()}.yml`;
  }

  async getLatestVersion(): Promise<UpdateInfo> {
    const refusal = feedUrlRefusal(this.baseUrl);
    if (refusal) throw new UpdateRefusedError('feed_not_https', refusal);
    const file = this.channelFile;
    const metadataUrl = new URL(file, this.baseUrl);
    const token = new CancellationToken(this.feed.checkToken?.() ?? undefined);
    const executor = this.feedExecutor();
    let metadata: Buffer;
    let signature: Buffer | null;
    try {
      [metadata, signature] = await Promise.all([
        executor
          .fetchBounded(metadataUrl, { maxBytes: MAX_METADATA_BYTES, cancellationToken: token, headers: NO_CACHE })
          .then((body) => body ?? Buffer.alloc(0))
          .catch((err: unknown) => {
            throw tooLarge(err, 'metadata_invalid', file);
          }),
        executor
          .fetchBounded(new URL(file + SIGNATURE_SUFFIX, this.baseUrl), {
            maxBytes: MAX_SIGNATURE_FILE,
            cancellationToken: token,
            headers: NO_CACHE,
            missingIsNull: true,
          })
          .catch((err: unknown) => {
            throw tooLarge(err, 'signature_invalid', file + SIGNATURE_SUFFIX);
          }),
      ]);
    } finally {
      // the other request stops too when one fails (and a finished one has nothing left to stop)
      token.cancel();
    }
    const check = verifyMetadataSignature(metadata, signature, this.feed.keys);
    if (!check.ok) throw new UpdateRefusedError(check.refusal, `${file}: ${check.detail}`);
    this.feed.onVerified?.(file, check.keyId);
    // the bytes just verified are the bytes parsed
    let info: UpdateInfo;
    try {
      info = parseUpdateInfo(metadata.toString('utf8'), file, metadataUrl);
    } catch (err) {
      throw new UpdateRefusedError(
        'metadata_invalid',
        `${file} is not readable update metadata: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
    const shape = updateInfoSchema.safeParse(info);
    if (!shape.success) {
      const issue = shape.error.issues[0];
      throw new UpdateRefusedError(
        'metadata_invalid',
        `${file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unexpected content'}`,
      );
    }
    return info;
  }

  /** The feed's HTTP client: the counter's own (createFeedUpdater sets it before the provider is made). */
  private feedExecutor(): FeedHttpExecutor {
    const executor: unknown = this.executor;
    if (!(executor instanceof FeedHttpExecutor))
      throw new Error("the signed feed needs the counter's feed client (createFeedUpdater)");
    return executor;
  }

  resolveFiles(updateInfo: UpdateInfo): ResolvedUpdateFileInfo[] {
    const files = resolveFiles(updateInfo, this.baseUrl);
    for (const f of files) {
      const refusal = feedUrlRefusal(f.url);
      if (refusal) throw new UpdateRefusedError('feed_not_https', refusal);
    }
    return files;
  }
}
