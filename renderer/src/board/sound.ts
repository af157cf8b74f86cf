/**
 * The board's spoken calls: a queue that plays each call's WAV in the order the calls came,
 * never dropping one. Each call's speech is fetched as soon as it is queued (so a slow fetch
 * does not hold the next call up) but played strictly in order, each once: the WAV already
 * holds the repeats and the volume of the speech settings. While sound is locked (a browser plays sound only after a click on
 * the page) the calls wait in the queue and are all played once it is unlocked.
 */
import type { BoardCall, SpeechSettings } from '../../../common/board';

/** Plays one WAV at a volume (0 to 1) and settles when it has finished. */
export interface AudioPlayer {
  /** false while the browser still needs a click before it plays sound */
  readonly unlocked: boolean;
  /** called from the click that turns sound on */
  unlock(): Promise<void>;
  play(wav: ArrayBuffer, volume: number): Promise<void>;
}

export interface SpeechQueueOptions {
  speech(callId: string): Promise<ArrayBuffer>;
  player: AudioPlayer;
  /** a call whose speech could not be fetched or played (after one more try): told, not hidden */
  onFailed?(call: BoardCall, error: unknown): void;
  /** the queue's length changed (calls waiting to be spoken, the one playing included) */
  onChange?(pending: readonly BoardCall[]): void;
  /**
   * a call queued while sound was still off and not turned on within `staleMs` of it: not
   * spoken late (an hour of old calls after the click would help nobody), but told
   */
  onMissed?(call: BoardCall): void;
  /** default 2 minutes */
  staleMs?: number;
  now?(): number;
}

interface Entry {
  call: BoardCall;
  settings: SpeechSettings;
  audio: Promise<ArrayBuffer>;
  /** when it was queued, if sound was off then */
  queuedLockedAt: number | null;
}

export class SpeechQueue {
  private readonly entries: Entry[] = [];
  private running = false;
  private stopped = false;

  constructor(private readonly options: SpeechQueueOptions) {}

  /** Queues a call (a recall too: it is spoken again). Nothing is queued when speech is off. */
  enqueue(call: BoardCall, settings: SpeechSettings): void {
    if (!settings.enabled || this.stopped) return;
    const audio = this.fetchSpeech(call.callId);
    // a rejection is handled when its turn comes; this keeps it from being reported as unhandled meanwhile
    audio.catch(() => undefined);
    const now = this.options.now?.() ?? Date.now();
    this.entries.push({ call, settings, audio, queuedLockedAt: this.options.player.unlocked ? null : now });
    this.changed();
    void this.run();
  }

  /** The calls still to be spoken, oldest first. */
  pending(): readonly BoardCall[] {
    return this.entries.map((e) => e.call);
  }

  /** Turns sound on (from a click) and plays what waited. */
  async unlock(): Promise<void> {
    await this.options.player.unlock();
    void this.run();
  }

  /** Takes calls again after `stop` (a page mounted again). */
  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    this.entries.length = 0;
    this.changed();
  }

  private async fetchSpeech(callId: string): Promise<ArrayBuffer> {
    try {
      return await this.options.speech(callId);
    } catch {
      // one more try: a call is not given up on for one lost request
      return await this.options.speech(callId);
    }
  }

  private changed(): void {
    this.options.onChange?.(this.pending());
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.stopped && this.entries.length > 0 && this.options.player.unlocked) {
        const entry = this.entries[0]!;
        const now = this.options.now?.() ?? Date.now();
        if (entry.queuedLockedAt !== null && now - entry.queuedLockedAt > (this.options.staleMs ?? 120_000)) {
          this.options.onMissed?.(entry.call);
          this.entries.shift();
          this.changed();
          continue;
        }
        try {
          // the WAV is the whole call as set: the chime, both languages `repeat` times, at the
          // set volume (main/speech/compose.ts); it is played once, as it is
          await this.options.player.play(await entry.audio, 1);
        } catch (e) {
          this.options.onFailed?.(entry.call, e);
        }
        this.entries.shift();
        this.changed();
      }
    } finally {
      this.running = false;
    }
  }
}

/** The browser's player: Web Audio (decoding from memory: no blob URL, no media-src in the CSP). */
export class WebAudioPlayer implements AudioPlayer {
  private context: AudioContext | null = null;

  private ctx(): AudioContext {
    this.context ??= new AudioContext();
    return this.context;
  }

  get unlocked(): boolean {
    return this.ctx().state === 'running';
  }

  async unlock(): Promise<void> {
    await this.ctx().resume();
  }

  async play(wav: ArrayBuffer, volume: number): Promise<void> {
    const ctx = this.ctx();
    const buffer = await ctx.decodeAudioData(wav);
    const source = ctx.createBufferSource();
    const gain = ctx.createGain();
    gain.gain.value = volume;
    source.buffer = buffer;
    source.connect(gain).connect(ctx.destination);
    await new Promise<void>((done) => {
      source.onended = () => done();
      source.start();
    });
  }
}
