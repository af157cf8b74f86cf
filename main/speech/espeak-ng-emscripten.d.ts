// eSpeak NG built for WebAssembly (Emscripten): the part of its module the speech worker uses.
declare module '@echogarden/espeak-ng-emscripten' {
  interface ESpeakNGWorker {
    set_voice(name: string): number;
    set_rate(wordsPerMinute: number): number;
    get_samplerate(): number;
    synthesize(text: string, callback: (samples: Int16Array | null, events: unknown[]) => void): void;
    list_voices(): { identifier: string; name: string }[];
  }
  interface ESpeakNGModule {
    eSpeakNGWorker: new () => ESpeakNGWorker;
  }
  interface ESpeakNGOptions {
    /** hands over espeak-ng.data (the voices and dictionaries) instead of the module reading it */
    getPreloadedPackage?: (name: string, size: number) => ArrayBuffer;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }
  const initialise: (options?: ESpeakNGOptions) => Promise<ESpeakNGModule>;
  export default initialise;
}
